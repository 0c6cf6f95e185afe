// Host-side view of the kernel's memory: pool accounting by tag, the simulated physical memory
// (for the virtual DMA controller and for sharing pages with a second process), and mappings.
//
// Everything here needs a running KernelSession. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wavert/nt/callsite.h"
#include "wavert/nt/mm.h"

namespace wavert::host {

// ---- Pool ------------------------------------------------------------------------------------

struct PoolTagUsage {
  std::uint32_t tag = 0;
  std::string name;                     // the tag as its four characters read in memory ('Fred' -> "derF")
  std::uint64_t outstanding_count = 0;  // blocks allocated and not yet freed
  std::uint64_t outstanding_bytes = 0;  // bytes the driver asked for in those blocks
  std::uint64_t peak_count = 0;         // high-water marks of the two above
  std::uint64_t peak_bytes = 0;
  std::uint64_t allocations = 0;  // successful allocations since boot
  std::uint64_t frees = 0;
};

// Usage of one tag (all zero when the tag was never used), and of every tag seen since boot.
PoolTagUsage pool_tag_usage(std::uint32_t tag);
std::vector<PoolTagUsage> pool_usage();
std::string pool_tag_name(std::uint32_t tag);

// Freed blocks stay poisoned (0xDE) and unreusable for a while, so a use after free reads garbage
// and a write after free is caught when the block leaves quarantine.
inline constexpr std::size_t kPoolQuarantineBlocks = 64;
inline constexpr std::size_t kPoolQuarantineBytes = 4u << 20;
// Fill bytes: fresh uninitialized memory, freed memory, guard bytes after each block.
inline constexpr std::uint8_t kPoolUninitializedFill = 0xBA;
inline constexpr std::uint8_t kPoolFreedFill = 0xDE;
inline constexpr std::uint8_t kPoolGuardFill = 0xFD;
// Requests above this fail with NULL (a clear out-of-memory rather than an attempt to map it).
inline constexpr std::uint64_t kPoolMaxAllocationBytes = 1ull << 30;
// Tag of the MDLs the memory manager allocates from pool ('Mdl ' read in memory order).
inline constexpr std::uint32_t kMdlPoolTag = 0x206C644D;

// ---- Simulated physical memory ---------------------------------------------------------------

inline constexpr std::uint64_t kPhysicalPageBytes = 4096;

// RAM is one memfd (so a second process can map the very same pages), cut into pages whose
// physical addresses are scattered. Physical contiguity exists only inside one extent: runs of
// kPhysicalExtentBytes consecutive page frames that are also consecutive in the memfd. So a
// physically contiguous allocation is at most 4 MiB: MmAllocateContiguousMemorySpecifyCache, or
// MmAllocatePagesForMdlEx(Low, High, 0, Bytes, CacheType, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS),
// which is what the port's AllocateContiguousPagesForMdl should call (one run or NULL).
inline constexpr std::uint64_t kPhysicalExtentBytes = 4u << 20;

int physical_memory_fd();
std::uint64_t physical_memory_bytes();
std::uint64_t physical_pages_total();
std::uint64_t physical_pages_free();
// Every page frame of RAM, in memfd order: page i lives at memfd offset i * kPhysicalPageBytes.
std::vector<PFN_NUMBER> physical_page_frames();
// Where a page frame lives in the memfd; nullopt when the frame is not RAM.
std::optional<std::uint64_t> physical_page_offset(PFN_NUMBER pfn);
bool physical_page_allocated(PFN_NUMBER pfn);

// For the virtual DMA controller: a host pointer to `bytes` of RAM at a physical address. The
// whole range must be allocated pages that are physically contiguous (one extent); otherwise the
// access is reported (Rule::DmaToUnallocatedPage, naming `site`) and nullptr is returned.
void* physical_to_host(std::uint64_t physical_address, std::size_t bytes,
                       const WAVERT_CALL_SITE& site = WAVERT_CALL_SITE::current());

// ---- Mappings --------------------------------------------------------------------------------

struct MappingInfo {
  void* base = nullptr;       // what MmMapLockedPagesSpecifyCache returned (includes ByteOffset)
  std::size_t bytes = 0;      // bytes described, from base
  KPROCESSOR_MODE mode = KernelMode;
  MEMORY_CACHING_TYPE requested = MmCached;
  // The caching in force: the pages' own type when they have one (MmAllocatePagesForMdlEx,
  // contiguous memory), else the requested type, as MmMapLockedPagesSpecifyCache documents.
  MEMORY_CACHING_TYPE effective = MmCached;
  PMDL mdl = nullptr;         // nullptr for MmAllocateContiguousMemory* blocks
};

// The mapping containing va (any byte of it), if any.
std::optional<MappingInfo> mapping_info(const void* va);
// Live mappings of one MDL (kernel and user).
std::vector<MappingInfo> mdl_mappings(PMDL mdl);
// Page frames still held by MDLs and contiguous blocks.
std::uint64_t physical_pages_allocated();

} // namespace wavert::host
