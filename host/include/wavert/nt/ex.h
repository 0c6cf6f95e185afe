// Executive pool (wdm.h): ExAllocatePool2, ExAllocatePoolWithTag and friends, ExFreePool(WithTag).
//
// Values are the WDK's (POOL_TYPE, POOL_FLAGS). The host pool is strict where the documentation
// says "must": see host/kernel/pool.cpp for what each routine checks and reports.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

typedef enum _POOL_TYPE {
  NonPagedPool = 0,
  NonPagedPoolExecute = NonPagedPool,
  PagedPool = 1,
  NonPagedPoolMustSucceed = 2,
  DontUseThisType = 3,
  NonPagedPoolCacheAligned = 4,
  PagedPoolCacheAligned = 5,
  NonPagedPoolCacheAlignedMustS = 6,
  MaxPoolType = 7,
  NonPagedPoolBase = 0,
  NonPagedPoolBaseMustSucceed = 2,
  NonPagedPoolBaseCacheAligned = 4,
  NonPagedPoolBaseCacheAlignedMustS = 6,
  NonPagedPoolSession = 32,
  PagedPoolSession = 33,
  NonPagedPoolMustSucceedSession = 34,
  DontUseThisTypeSession = 35,
  NonPagedPoolCacheAlignedSession = 36,
  PagedPoolCacheAlignedSession = 37,
  NonPagedPoolCacheAlignedMustSSession = 38,
  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = 516,
  NonPagedPoolSessionNx = 544,
} POOL_TYPE;

// POOL_FLAGS: "Low 32-bits are for required parameters (allocation fails if they cannot be
// satisfied). High 32-bits are for optional parameters (allocation succeeds if they cannot be
// satisfied or are unrecognized)." (learn.microsoft.com, POOL_FLAGS)
typedef ULONG64 POOL_FLAGS;

#define POOL_FLAG_REQUIRED_START 0x0000000000000001ull
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ull
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ull
#define POOL_FLAG_SESSION 0x0000000000000004ull
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ull
#define POOL_FLAG_RESERVED1 0x0000000000000010ull
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ull
#define POOL_FLAG_NON_PAGED 0x0000000000000040ull
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ull
#define POOL_FLAG_PAGED 0x0000000000000100ull
#define POOL_FLAG_RESERVED2 0x0000000000000200ull
#define POOL_FLAG_RESERVED3 0x0000000000000400ull
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ull
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ull
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ull
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ull

extern "C" {

// IRQL <= DISPATCH_LEVEL; POOL_FLAG_PAGED only at IRQL <= APC_LEVEL. Zeroed unless
// POOL_FLAG_UNINITIALIZED. NULL on failure, on a zero tag or on invalid flags.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALLER);

// Deprecated: the memory is NOT zeroed. The host fills it with a pattern (0xBA) so a driver that
// reads it before writing sees garbage in tests, as it would on Windows.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALLER);

// wdm.h's zeroing and explicitly-uninitialized wrappers around the POOL_TYPE interface.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                              WAVERT_CALLER);

// IRQL <= DISPATCH_LEVEL for non-paged blocks, <= APC_LEVEL for paged ones. The tag must be the
// one the block was allocated with.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID ExFreePoolWithTag(PVOID P, ULONG Tag, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID ExFreePool(PVOID P, WAVERT_CALLER);

} // extern "C"
