// Memory manager (wdm.h): pages, MDLs over the host's simulated physical memory, mappings and
// physically contiguous memory.
//
// The MDL has Windows' x64 layout and the PFN array follows the header, because WDK macros (and
// miniports) read the fields directly. Page frame numbers are simulated: deliberately scattered
// over a wide physical range so that scatter/gather code is exercised (host/kernel/physmem.cpp).
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L

// Byte offset of a virtual address inside its page, the page it lies in, and page arithmetic.
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
#define BYTES_TO_PAGES(Size) \
  ((ULONG)(((ULONG_PTR)(Size) >> PAGE_SHIFT) + ((((ULONG_PTR)(Size)) & (PAGE_SIZE - 1)) != 0)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
// Pages touched by Size bytes starting at Va (the first page may be entered mid-way).
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
  ((ULONG)((((ULONG_PTR)BYTE_OFFSET(Va)) + ((ULONG_PTR)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))
#define COMPUTE_PAGES_SPANNED(Va, Size) ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)

struct _EPROCESS;
struct _IRP;

typedef struct _MDL {
  struct _MDL* Next;
  CSHORT Size;      // bytes of header plus PFN array
  CSHORT MdlFlags;  // MDL_*
  struct _EPROCESS* Process;
  PVOID MappedSystemVa;  // valid when MdlFlags has MAPPED_TO_SYSTEM_VA or SOURCE_IS_NONPAGED_POOL
  PVOID StartVa;         // page-aligned virtual address of the described buffer (NULL: none)
  ULONG ByteCount;
  ULONG ByteOffset;  // offset of the buffer in its first page
} MDL, *PMDL;

static_assert(sizeof(MDL) == 48, "MDL must have the Windows x64 size");
static_assert(offsetof(MDL, Next) == 0 && offsetof(MDL, Size) == 8 && offsetof(MDL, MdlFlags) == 10 &&
                  offsetof(MDL, Process) == 16 && offsetof(MDL, MappedSystemVa) == 24 &&
                  offsetof(MDL, StartVa) == 32 && offsetof(MDL, ByteCount) == 40 &&
                  offsetof(MDL, ByteOffset) == 44,
              "MDL fields must have the Windows x64 offsets");

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000

typedef enum _MEMORY_CACHING_TYPE {
  MmNotMapped = -1,
  MmNonCached = 0,
  MmCached = 1,
  MmWriteCombined = 2,
  MmHardwareCoherentCached = 3,
  MmNonCachedUnordered = 4,
  MmUSWCCached = 5,
  MmMaximumCacheType = 6,
} MEMORY_CACHING_TYPE;

typedef enum _MM_PAGE_PRIORITY {
  LowPagePriority = 0,
  NormalPagePriority = 16,
  HighPagePriority = 32,
} MM_PAGE_PRIORITY;

// Since Windows 8 these may be ORed into a Priority argument.
#define MdlMappingNoWrite 0x80000000u
#define MdlMappingNoExecute 0x40000000u

// MmAllocatePagesForMdlEx Flags.
#define MM_DONT_ZERO_ALLOCATION 0x00000001
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY 0x00000002
#define MM_ALLOCATE_FULLY_REQUIRED 0x00000004
#define MM_ALLOCATE_NO_WAIT 0x00000008
#define MM_ALLOCATE_PREFER_CONTIGUOUS 0x00000010
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS 0x00000020
#define MM_ALLOCATE_FAST_LARGE_PAGES 0x00000040
#define MM_ALLOCATE_TRIM_IF_NECESSARY 0x00000080
#define MM_ALLOCATE_AND_HOT_REMOVE 0x00000100

#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))

// Bytes an MDL describing Length bytes at Base needs, header and PFN array together.
inline SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length) {
  return sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length);
}

extern "C" {

// Allocates physical pages between LowAddress and HighAddress (then the ranges SkipBytes further
// on), not contiguous. The MDL may describe LESS than TotalBytes when memory is short: callers
// check MmGetMdlByteCount. Free the pages with MmFreePagesFromMdl, then the MDL with ExFreePool.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                                       PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                                         PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                                         MEMORY_CACHING_TYPE CacheType, ULONG Flags, WAVERT_CALLER);
// Frees the pages (and, as since Windows 7, the MDL's system-space mapping), not the MDL itself.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList, WAVERT_CALLER);

// KernelMode: IRQL <= DISPATCH_LEVEL, at most one system mapping per MDL. UserMode: IRQL <=
// APC_LEVEL. Priority is an MM_PAGE_PRIORITY, optionally ORed with MdlMappingNo*.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                               MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                               ULONG BugCheckOnFailure, ULONG Priority, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList, WAVERT_CALLER);

// WDK macro made a function so a bad MDL pointer is reported instead of dereferenced: returns the
// existing system mapping, or maps with MmCached.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority, WAVERT_CALLER);

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                               BOOLEAN ChargeQuota, struct _IRP* Irp, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID IoFreeMdl(PMDL Mdl, WAVERT_CALLER);
// Host limit: the buffer must lie in the simulated physical window (memory from
// MmAllocateContiguousMemorySpecifyCache or a system mapping of an MDL); pool blocks have no
// simulated physical pages and are reported.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList, WAVERT_CALLER);

// Physically contiguous, page-aligned, uninitialized (filled with a pattern), mapped into system
// space. NULL when no run of free pages fits the limits.
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                                         PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                         PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                         PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                         MEMORY_CACHING_TYPE CacheType, WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             WAVERT_CALLER);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID MmFreeContiguousMemory(PVOID BaseAddress, WAVERT_CALLER);

// Physical address behind a system virtual address in the simulated physical window; 0 (and a
// report) for addresses the host has no physical page for.
NTKERNELAPI PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress, WAVERT_CALLER);

} // extern "C"
