// Internal: how the parts of the host's memory manager call each other.
//
// Lock order: mdl.cpp's lock may be held while calling physmem.cpp (which takes its own lock);
// nothing is called with pool.cpp's lock held, and pool.cpp calls mdl_on_pool_free() with no lock
// held. So the order is mdl -> physmem, and pool is a leaf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wavert/host/kernel.hpp"
#include "wavert/nt/callsite.h"
#include "wavert/nt/mm.h"

namespace wavert::host::detail {

// ---- pool.cpp
void pool_boot();
void pool_shutdown();  // reports PoolLeak, then releases every block
// For the memory manager's own structures (MDLs): no fault injection, no IRQL rule (the calling
// routine already checked both), zeroed, non-paged.
void* pool_allocate_internal(std::size_t bytes, std::uint32_t tag, const WAVERT_CALL_SITE& site);
// Frees a block allocate_internal returned, skipping the MDL hook (the caller already dropped
// its record).
void pool_free_internal(void* block, const WAVERT_CALL_SITE& site);

// ---- mdl.cpp
void mdl_boot();
void mdl_shutdown();  // reports MdlLeak, unmaps and frees every page the driver still holds
// Called by ExFreePool before the block is released: lets the MDL layer check that an MDL is
// freed only after its pages and mappings.
void mdl_on_pool_free(const void* block, const WAVERT_CALL_SITE& site);

// ---- physmem.cpp (its own lock; callable with mdl.cpp's lock held)
void physmem_boot(const KernelConfig& config);
void physmem_shutdown();

struct PageLimits {
  std::uint64_t low = 0;   // lowest acceptable physical address
  std::uint64_t high = 0;  // highest acceptable physical address (inclusive)
  std::uint64_t skip = 0;  // further ranges start this much later (0: one range only)
};

// Scatter allocation: up to `pages` free pages inside the limits, never two physically adjacent
// pages in a row when it can be avoided. Returns fewer when memory is short.
std::vector<PFN_NUMBER> physmem_allocate_scattered(const PageLimits& limits, std::size_t pages);
// One run of `pages` physically contiguous pages inside [low, high], starting on a multiple of
// align_pages, not crossing a multiple of boundary_bytes (0: no boundary). Empty on failure.
std::vector<PFN_NUMBER> physmem_allocate_contiguous(std::uint64_t low, std::uint64_t high, std::size_t pages,
                                                    std::size_t align_pages, std::uint64_t boundary_bytes);
// Returns pages to the free pool and poisons them (kPoolFreedFill), so that a later
// MM_DONT_ZERO_ALLOCATION shows stale bytes rather than zeros.
void physmem_free(const PFN_NUMBER* pfns, std::size_t count);
// Zero-fill or pattern-fill allocated pages through the host's direct view.
void physmem_fill(const PFN_NUMBER* pfns, std::size_t count, std::uint8_t value);
bool physmem_is_allocated(PFN_NUMBER pfn);
// Maps pages at consecutive virtual addresses (aliases of the memfd pages) followed by one
// inaccessible guard page. hint: preferred address or nullptr. nullptr on failure.
void* physmem_map(const PFN_NUMBER* pfns, std::size_t count, void* hint, bool writable);
void physmem_unmap(void* base, std::size_t count);

} // namespace wavert::host::detail
