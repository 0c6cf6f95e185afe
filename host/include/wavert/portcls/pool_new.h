// Pool-aware operator new for PortCls drivers, without replacing the process's global new/delete.
//
// WDK drivers allocate COM objects with placement-style new expressions naming the pool:
//
//   CMiniportWaveRT* p = new (NonPagedPoolNx, 'tRvW') CMiniportWaveRT(UnknownOuter);
//
// and CUnknown::NonDelegatingRelease frees them with `delete this`. On Windows the driver links
// its own global operator delete, which calls ExFreePool. On the host the driver shares a process
// with the port driver, the tests and libstdc++; a global replacement would capture every delete in
// that process. So here:
//   * the allocation functions below are *placement* forms (extra parameters), which add to the
//     global set instead of replacing anything: only new-expressions that name a pool reach them;
//   * the matching deallocation is a *class-scope* operator delete on CUnknown (stdunk.h), which is
//     what `delete this` in NonDelegatingRelease finds first. See docs/abi-portcls.md, "Pool new and
//     delete", for the exact declarations stdunk.h carries.
//
// Memory comes back zeroed, as the WDK's stdunk.h operator new promises (it zeroes after
// ExAllocatePoolWithTag); drivers rely on members they do not initialise being 0.
//
// Every form is noexcept: a new-expression whose allocation function is non-throwing checks the
// result for NULL and skips the constructor ([expr.new]), which is the kernel contract
// ("if (!p) return STATUS_INSUFFICIENT_RESOURCES"). Without noexcept the compiler may assume a
// non-NULL result and construct into address 0.
#pragma once

#include <stddef.h>

#include "wavert/nt/callsite.h"
#include "wavert/nt/ex.h"
#include "wavert/nt/types.h"

namespace wavert::portcls {

// The tag the WDK's stdunk.h uses when a new-expression names a pool type but no tag: 'PcNw' in
// memory ('wNcP' as a multi-character constant).
inline constexpr ULONG kDefaultNewTag = 0x774E6350;

// POOL_TYPE -> POOL_FLAGS, as "Updating deprecated ExAllocatePool calls to ExAllocatePool2" and
// "NX and execute pool types" document it: NonPagedPool (== NonPagedPoolExecute) is executable,
// NonPagedPoolNx is not, *CacheAligned adds POOL_FLAG_CACHE_ALIGNED. Returns 0 for types with no
// ExAllocatePool2 equivalent (must-succeed, session, reserved), which the caller hands to
// ExAllocatePoolZero so the host reports the bad pool type by name.
constexpr POOL_FLAGS PoolFlagsFromPoolType(POOL_TYPE pool_type) {
  switch (pool_type) {
    case NonPagedPool: return POOL_FLAG_NON_PAGED_EXECUTE;
    case NonPagedPoolNx: return POOL_FLAG_NON_PAGED;
    case PagedPool: return POOL_FLAG_PAGED;
    case NonPagedPoolCacheAligned: return POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_CACHE_ALIGNED;
    case NonPagedPoolNxCacheAligned: return POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED;
    case PagedPoolCacheAligned: return POOL_FLAG_PAGED | POOL_FLAG_CACHE_ALIGNED;
    default: return 0;
  }
}

inline void* AllocateZeroedPool(size_t size, POOL_TYPE pool_type, ULONG tag, const WAVERT_CALL_SITE& site) noexcept {
  const POOL_FLAGS flags = PoolFlagsFromPoolType(pool_type);
  if (flags == 0) return ExAllocatePoolZero(pool_type, size, tag, site);
  return ExAllocatePool2(flags, size, tag, site);
}

}  // namespace wavert::portcls

// The trailing WAVERT_CALLER parameter is defaulted, so `new (NonPagedPoolNx, tag) T(...)` is the
// WDK spelling unchanged, and pool accounting and leak reports name the driver line that wrote the
// new-expression rather than this header.

inline void* operator new(size_t size, POOL_TYPE pool_type, ULONG tag, WAVERT_CALLER) noexcept {
  return ::wavert::portcls::AllocateZeroedPool(size, pool_type, tag, CallSite);
}

inline void* operator new(size_t size, POOL_TYPE pool_type, WAVERT_CALLER) noexcept {
  return ::wavert::portcls::AllocateZeroedPool(size, pool_type, ::wavert::portcls::kDefaultNewTag, CallSite);
}

// Windows 10 2004+ stdunk.h adds POOL_FLAGS forms. The memory is zeroed unless the caller passes
// POOL_FLAG_UNINITIALIZED, exactly as ExAllocatePool2 behaves.
inline void* operator new(size_t size, POOL_FLAGS pool_flags, ULONG tag, WAVERT_CALLER) noexcept {
  return ExAllocatePool2(pool_flags, size, tag, CallSite);
}

// No array forms: `delete[]` would find the global array deallocation function, not the pool, and
// drivers allocate arrays with ExAllocatePool2 directly.

// Placement deallocation functions matching the forms above. The language calls one only when a
// constructor run by such a new-expression exits with an exception (host test code; driver code is
// built with -fno-exceptions). Returning the block to the pool keeps even that path leak-free.
inline void operator delete(void* p, POOL_TYPE, ULONG, WAVERT_CALL_SITE) noexcept {
  if (p != nullptr) ExFreePool(p);
}
inline void operator delete(void* p, POOL_TYPE, WAVERT_CALL_SITE) noexcept {
  if (p != nullptr) ExFreePool(p);
}
inline void operator delete(void* p, POOL_FLAGS, ULONG, WAVERT_CALL_SITE) noexcept {
  if (p != nullptr) ExFreePool(p);
}
