// Memory descriptor lists over the simulated physical memory, their mappings, and physically
// contiguous memory.
//
// Every MDL the memory manager creates is recorded; routines look an MDL up by address before
// touching it, so a wild or stale pointer is reported instead of dereferenced. Mappings are real
// aliases: consecutive virtual pages mapped onto the memfd pages the MDL names, followed by an
// inaccessible guard page. Each mapping records its caching type (the port reports
// MmWriteCombined to clients as "call a memory barrier").
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "memory_internal.hpp"
#include "wavert/host/faults.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/ex.h"
#include "wavert/nt/irql.h"

namespace wavert::host {
namespace {

enum class MdlKind {
  Pages,      // MmAllocatePagesForMdl(Ex): owns its pages until MmFreePagesFromMdl
  Described,  // IoAllocateMdl: describes memory it does not own
};

struct MdlRecord {
  MdlKind kind = MdlKind::Pages;
  std::size_t capacity_pages = 0;   // PFN array entries allocated after the header
  // Pages still held (Pages kind), as allocated: frees use this copy, never the driver-writable
  // PFN array. Empty after MmFreePagesFromMdl.
  std::vector<PFN_NUMBER> owned;
  bool pages_freed = false;
  MEMORY_CACHING_TYPE page_cache = MmNotMapped;  // the pages' own caching, MmNotMapped: none
  WAVERT_CALL_SITE site{};
  std::uint64_t serial = 0;
};

struct Mapping {
  std::byte* region = nullptr;  // page-aligned start of the virtual range
  std::size_t pages = 0;        // mapped pages (the guard page follows)
  MappingInfo info;
  std::vector<PFN_NUMBER> pfns;
};

struct ContiguousBlock {
  std::vector<PFN_NUMBER> pfns;
  std::size_t bytes = 0;
  WAVERT_CALL_SITE site{};
  std::uint64_t serial = 0;
};

struct MdlState {
  std::unordered_map<const MDL*, MdlRecord> mdls;
  std::unordered_set<const MDL*> freed_mdls;       // MDLs released since boot, for clearer reports
  std::map<std::uintptr_t, Mapping> mappings;      // key: region start
  std::unordered_map<const void*, ContiguousBlock> contiguous;  // key: the returned address
  std::unordered_set<const void*> freed_contiguous;
  std::uint64_t next_serial = 1;
};

// Lock order: g_mutex, then physmem's lock (memory_internal.hpp). Pool routines are called only
// without g_mutex held, because ExFreePool calls back into mdl_on_pool_free.
std::mutex g_mutex;
MdlState g_state;  // guarded by g_mutex

std::string site_text(const WAVERT_CALL_SITE& site) {
  std::string text = site.File ? site.File : "(unknown file)";
  text += ":" + std::to_string(site.Line);
  return text;
}

bool irql_at_most(KIRQL max, const char* routine, const WAVERT_CALL_SITE& site) {
  const KIRQL irql = KeGetCurrentIrql();
  if (irql <= max) return true;
  verifier_report(Rule::IrqlTooHigh, site, "%s at IRQL %u: the maximum is %u", routine, unsigned{irql}, unsigned{max});
  return false;
}

bool valid_cache_type(MEMORY_CACHING_TYPE type) {
  return type == MmNonCached || type == MmCached || type == MmWriteCombined;
}

const Mapping* mapping_containing(const void* va) {  // requires g_mutex
  const auto address = reinterpret_cast<std::uintptr_t>(va);
  auto it = g_state.mappings.upper_bound(address);
  if (it == g_state.mappings.begin()) return nullptr;
  --it;
  if (address >= it->first + it->second.pages * kPhysicalPageBytes) return nullptr;
  return &it->second;
}

Mapping* mapping_at_base(const void* base) {  // requires g_mutex
  const auto address = reinterpret_cast<std::uintptr_t>(PAGE_ALIGN(base));
  auto it = g_state.mappings.find(address);
  if (it == g_state.mappings.end() || it->second.info.base != base) return nullptr;
  return &it->second;
}

void remove_mapping(std::uintptr_t key) {  // requires g_mutex
  auto it = g_state.mappings.find(key);
  if (it == g_state.mappings.end()) return;
  PMDL mdl = it->second.info.mdl;
  if (mdl != nullptr && it->second.info.mode == KernelMode && g_state.mdls.count(mdl)) {
    mdl->MdlFlags = static_cast<CSHORT>(mdl->MdlFlags & ~MDL_MAPPED_TO_SYSTEM_VA);
    mdl->MappedSystemVa = nullptr;
  }
  detail::physmem_unmap(it->second.region, it->second.pages);
  g_state.mappings.erase(it);
}

// Unmaps every mapping of an MDL; returns how many user-mode ones there were.
std::size_t remove_mappings_of(const MDL* mdl, std::size_t* kernel_count) {  // requires g_mutex
  std::vector<std::uintptr_t> keys;
  std::size_t user = 0;
  std::size_t kernel = 0;
  for (const auto& [key, m] : g_state.mappings) {
    if (m.info.mdl != mdl) continue;
    keys.push_back(key);
    (m.info.mode == UserMode ? user : kernel)++;
  }
  for (std::uintptr_t key : keys) remove_mapping(key);
  if (kernel_count) *kernel_count = kernel;
  return user;
}

// Creates a mapping record; returns the caller-visible address or nullptr.
void* add_mapping(const std::vector<PFN_NUMBER>& pfns, std::size_t byte_offset, std::size_t bytes, void* hint,
                  bool writable, KPROCESSOR_MODE mode, MEMORY_CACHING_TYPE requested, MEMORY_CACHING_TYPE effective,
                  PMDL mdl) {  // requires g_mutex
  void* region = detail::physmem_map(pfns.data(), pfns.size(), hint, writable);
  if (region == nullptr) return nullptr;
  Mapping m;
  m.region = static_cast<std::byte*>(region);
  m.pages = pfns.size();
  m.pfns = pfns;
  m.info = MappingInfo{m.region + byte_offset, bytes, mode, requested, effective, mdl};
  g_state.mappings[reinterpret_cast<std::uintptr_t>(region)] = m;
  return m.region + byte_offset;
}

// Allocates and records an MDL structure from pool. Called without g_mutex.
PMDL new_mdl(std::size_t pfn_capacity, MdlKind kind, const WAVERT_CALL_SITE& site) {
  const std::size_t bytes = sizeof(MDL) + pfn_capacity * sizeof(PFN_NUMBER);
  auto* mdl = static_cast<PMDL>(detail::pool_allocate_internal(bytes, kMdlPoolTag, site));
  if (mdl == nullptr) return nullptr;
  // Size is a CSHORT on Windows too; MDLs above 32 KiB of header and PFNs store its low 16 bits.
  mdl->Size = static_cast<CSHORT>(static_cast<std::uint16_t>(bytes));
  std::lock_guard lock(g_mutex);
  MdlRecord record;
  record.kind = kind;
  record.capacity_pages = pfn_capacity;
  record.site = site;
  record.serial = g_state.next_serial++;
  g_state.mdls[mdl] = record;
  g_state.freed_mdls.erase(mdl);
  return mdl;
}

PMDL allocate_pages_for_mdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                            SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags, const char* routine,
                            const WAVERT_CALL_SITE& site) {
  if (fault_should_fail(FaultSite::Mdl, site)) return nullptr;
  if (!irql_at_most(DISPATCH_LEVEL, routine, site)) return nullptr;
  const auto low = static_cast<std::uint64_t>(LowAddress.QuadPart);
  const auto high = static_cast<std::uint64_t>(HighAddress.QuadPart);
  const auto skip = static_cast<std::uint64_t>(SkipBytes.QuadPart);
  // "The maximum amount of memory that MmAllocatePagesForMdlEx can allocate in a single call is
  // (4 gigabytes - PAGE_SIZE)."
  constexpr std::uint64_t kMaxBytes = (4ull << 30) - PAGE_SIZE;
  constexpr ULONG kKnownFlags = MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY |
                                MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT | MM_ALLOCATE_PREFER_CONTIGUOUS |
                                MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS | MM_ALLOCATE_TRIM_IF_NECESSARY;
  const bool chunks = (Flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) != 0;
  const char* problem = nullptr;
  if (TotalBytes == 0) problem = "TotalBytes is 0";
  else if (TotalBytes > kMaxBytes) problem = "TotalBytes exceeds the documented maximum of 4 GiB - PAGE_SIZE";
  else if (low > high) problem = "LowAddress is above HighAddress";
  else if (skip % PAGE_SIZE != 0) problem = "SkipBytes must be a multiple of PAGE_SIZE";
  else if (!valid_cache_type(CacheType)) problem = "CacheType must be MmNonCached, MmCached or MmWriteCombined";
  else if ((Flags & ~kKnownFlags) != 0) problem = "unsupported Flags (large pages and hot-remove are not for drivers here)";
  else if (chunks && skip != 0 && ((skip & (skip - 1)) != 0 || TotalBytes % skip != 0))
    problem = "with MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, SkipBytes must be a power of two >= PAGE_SIZE and "
              "TotalBytes a multiple of it";
  if (problem != nullptr) {
    verifier_report(Rule::MdlBadArgument, site, "%s: %s", routine, problem);
    return nullptr;
  }

  const std::size_t want = BYTES_TO_PAGES(TotalBytes);
  std::vector<PFN_NUMBER> pfns;
  if (chunks && skip == 0) {
    // "either succeeds and returns a single, contiguous block, or it fails and returns NULL"
    pfns = detail::physmem_allocate_contiguous(low, high, want, 1, 0);
  } else if (chunks) {
    // Blocks of exactly SkipBytes, each aligned on SkipBytes; partial allocations keep whole blocks.
    const std::size_t block_pages = skip / PAGE_SIZE;
    while (pfns.size() < want) {
      std::vector<PFN_NUMBER> block = detail::physmem_allocate_contiguous(low, high, block_pages, block_pages, 0);
      if (block.empty()) break;
      pfns.insert(pfns.end(), block.begin(), block.end());
    }
  } else {
    pfns = detail::physmem_allocate_scattered({low, high, skip}, want);
  }
  const bool full = pfns.size() == want;
  if (pfns.empty() || (!full && (Flags & MM_ALLOCATE_FULLY_REQUIRED))) {
    detail::physmem_free(pfns.data(), pfns.size());
    return nullptr;
  }
  detail::physmem_fill(pfns.data(), pfns.size(), (Flags & MM_DONT_ZERO_ALLOCATION) ? kPoolUninitializedFill : 0);

  PMDL mdl = new_mdl(pfns.size(), MdlKind::Pages, site);
  if (mdl == nullptr) {
    detail::physmem_free(pfns.data(), pfns.size());
    return nullptr;
  }
  std::copy(pfns.begin(), pfns.end(), MmGetMdlPfnArray(mdl));
  mdl->MdlFlags = MDL_PAGES_LOCKED;
  mdl->StartVa = nullptr;
  mdl->ByteOffset = 0;
  // A full allocation describes exactly what was asked; a short one whole pages.
  mdl->ByteCount = static_cast<ULONG>(full ? TotalBytes : pfns.size() * PAGE_SIZE);
  std::lock_guard lock(g_mutex);
  MdlRecord& record = g_state.mdls[mdl];
  record.owned = pfns;
  record.page_cache = CacheType;
  return mdl;
}

// Looks an MDL up; reports and returns nullptr when it is not one the host made (or was freed).
MdlRecord* find_mdl(const MDL* mdl, const char* routine, Rule unknown_rule, const WAVERT_CALL_SITE& site) {
  if (mdl == nullptr) {
    verifier_report(Rule::MdlBadArgument, site, "%s(NULL): an MDL is required", routine);
    return nullptr;
  }
  auto it = g_state.mdls.find(mdl);
  if (it != g_state.mdls.end()) return &it->second;
  if (g_state.freed_mdls.count(mdl)) {
    verifier_report(unknown_rule, site, "%s(%p): this MDL was already freed", routine, static_cast<const void*>(mdl));
  } else {
    verifier_report(unknown_rule, site,
                    "%s(%p): not an MDL from MmAllocatePagesForMdl(Ex) or IoAllocateMdl", routine,
                    static_cast<const void*>(mdl));
  }
  return nullptr;
}

} // namespace

namespace detail {

void mdl_boot() {
  std::lock_guard lock(g_mutex);
  g_state = MdlState{};
}

void mdl_shutdown() {
  std::unique_lock lock(g_mutex);
  std::string text;
  std::size_t leaks = 0;
  const WAVERT_CALL_SITE* first_site = nullptr;
  std::uint64_t first_serial = ~0ull;
  auto note = [&](const WAVERT_CALL_SITE& site, std::uint64_t serial) {
    if (serial < first_serial) {
      first_serial = serial;
      first_site = &site;
    }
  };
  for (const auto& [mdl, record] : g_state.mdls) {
    if (record.kind == MdlKind::Pages && !record.owned.empty()) {
      text += "\n      MDL " + std::to_string(reinterpret_cast<std::uintptr_t>(mdl)) + ": " +
              std::to_string(record.owned.size()) + " page(s) never freed with MmFreePagesFromMdl; allocated at " +
              site_text(record.site);
    } else {
      text += "\n      MDL " + std::to_string(reinterpret_cast<std::uintptr_t>(mdl)) +
              ": structure never freed (" + (record.kind == MdlKind::Pages ? "ExFreePool" : "IoFreeMdl") +
              "); allocated at " + site_text(record.site);
    }
    ++leaks;
    note(record.site, record.serial);
  }
  for (const auto& [va, block] : g_state.contiguous) {
    text += "\n      contiguous memory " + std::to_string(reinterpret_cast<std::uintptr_t>(va)) + " (" +
            std::to_string(block.bytes) + " bytes) never freed with MmFreeContiguousMemory; allocated at " +
            site_text(block.site);
    ++leaks;
    note(block.site, block.serial);
  }
  const std::size_t mapping_count = g_state.mappings.size();
  if (leaks != 0) {
    const WAVERT_CALL_SITE site = *first_site;
    const std::string message = std::to_string(leaks) + " MDL / physical memory allocation(s) outstanding, " +
                                std::to_string(mapping_count) + " mapping(s) still live:" + text;
    lock.unlock();
    verifier_report(Rule::MdlLeak, site, "%s", message.c_str());
    lock.lock();
  }
  // Release everything so the next session starts clean. MDL structures are pool blocks: the
  // pool's own leak check reports and releases them.
  while (!g_state.mappings.empty()) remove_mapping(g_state.mappings.begin()->first);
  for (auto& [mdl, record] : g_state.mdls) {
    if (record.kind == MdlKind::Pages && !record.owned.empty()) physmem_free(record.owned.data(), record.owned.size());
  }
  for (auto& [va, block] : g_state.contiguous) physmem_free(block.pfns.data(), block.pfns.size());
  g_state = MdlState{};
}

void mdl_on_pool_free(const void* block, const WAVERT_CALL_SITE& site) {
  std::lock_guard lock(g_mutex);
  auto it = g_state.mdls.find(static_cast<const MDL*>(block));
  if (it == g_state.mdls.end()) return;
  auto* mdl = const_cast<PMDL>(static_cast<const MDL*>(block));
  MdlRecord record = it->second;
  std::size_t kernel = 0;
  const std::size_t user = remove_mappings_of(mdl, &kernel);
  if (record.kind == MdlKind::Described) {
    verifier_report(Rule::MdlBadArgument, site,
                    "ExFreePool of an MDL from IoAllocateMdl (allocated at %s): free it with IoFreeMdl",
                    site_text(record.site).c_str());
  } else if (!record.owned.empty()) {
    verifier_report(Rule::MdlLeak, site,
                    "ExFreePool of an MDL whose %zu page(s) were not freed (allocated at %s): call "
                    "MmFreePagesFromMdl first, or the pages leak",
                    record.owned.size(), site_text(record.site).c_str());
    physmem_free(record.owned.data(), record.owned.size());
  }
  if (user + kernel != 0) {
    verifier_report(Rule::MdlFreedWhileMapped, site,
                    "MDL freed while still mapped (%zu kernel, %zu user mapping(s)): MmUnmapLockedPages first",
                    kernel, user);
  }
  g_state.mdls.erase(it);
  g_state.freed_mdls.insert(mdl);
}

} // namespace detail

std::optional<MappingInfo> mapping_info(const void* va) {
  std::lock_guard lock(g_mutex);
  const Mapping* m = mapping_containing(va);
  if (m == nullptr) return std::nullopt;
  return m->info;
}

std::vector<MappingInfo> mdl_mappings(PMDL mdl) {
  std::lock_guard lock(g_mutex);
  std::vector<MappingInfo> out;
  for (const auto& [key, m] : g_state.mappings) {
    if (m.info.mdl == mdl) out.push_back(m.info);
  }
  return out;
}

} // namespace wavert::host

using namespace wavert::host;

extern "C" {

PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                           SIZE_T TotalBytes, WAVERT_CALL_SITE CallSite) {
  // Pages from MmAllocatePagesForMdl carry no cache type: the mapping's CacheType decides.
  PMDL mdl = allocate_pages_for_mdl(LowAddress, HighAddress, SkipBytes, TotalBytes, MmCached, 0,
                                    "MmAllocatePagesForMdl", CallSite);
  if (mdl != nullptr) {
    std::lock_guard lock(g_mutex);
    g_state.mdls[mdl].page_cache = MmNotMapped;
  }
  return mdl;
}

PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                             SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags,
                             WAVERT_CALL_SITE CallSite) {
  return allocate_pages_for_mdl(LowAddress, HighAddress, SkipBytes, TotalBytes, CacheType, Flags,
                                "MmAllocatePagesForMdlEx", CallSite);
}

VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList, WAVERT_CALL_SITE CallSite) {
  if (!irql_at_most(DISPATCH_LEVEL, "MmFreePagesFromMdl", CallSite)) return;
  std::lock_guard lock(g_mutex);
  MdlRecord* record = find_mdl(MemoryDescriptorList, "MmFreePagesFromMdl", Rule::MdlFreeUnknown, CallSite);
  if (record == nullptr) return;
  if (record->kind != MdlKind::Pages) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmFreePagesFromMdl on an MDL from IoAllocateMdl: it frees only pages of "
                    "MmAllocatePagesForMdl(Ex) MDLs");
    return;
  }
  if (record->pages_freed) {
    verifier_report(Rule::MdlDoubleFree, CallSite,
                    "MmFreePagesFromMdl called twice for the MDL allocated at %s; after it, only ExFreePool remains",
                    site_text(record->site).c_str());
    return;
  }
  // Since Windows 7 this also releases the system-space mapping; a user-space one must be gone.
  std::size_t kernel = 0;
  const std::size_t user = remove_mappings_of(MemoryDescriptorList, &kernel);
  if (user != 0) {
    verifier_report(Rule::MdlFreedWhileMapped, CallSite,
                    "MmFreePagesFromMdl while %zu user-mode mapping(s) of the pages are live: a process could "
                    "still read and write freed memory; MmUnmapLockedPages first",
                    user);
  }
  if (!std::equal(record->owned.begin(), record->owned.end(), MmGetMdlPfnArray(MemoryDescriptorList))) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmFreePagesFromMdl: the MDL's PFN array was modified since allocation (at %s); the pages "
                    "allocated are freed, not the ones it names now",
                    site_text(record->site).c_str());
  }
  detail::physmem_free(record->owned.data(), record->owned.size());
  record->owned.clear();
  record->pages_freed = true;
}

PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure,
                                   ULONG Priority, WAVERT_CALL_SITE CallSite) {
  const char* routine = "MmMapLockedPagesSpecifyCache";
  if (AccessMode != KernelMode && AccessMode != UserMode) {
    verifier_report(Rule::MdlBadArgument, CallSite, "%s: AccessMode %d is neither KernelMode nor UserMode", routine,
                    int{AccessMode});
    return nullptr;
  }
  if (!irql_at_most(AccessMode == UserMode ? APC_LEVEL : DISPATCH_LEVEL, routine, CallSite)) return nullptr;
  const ULONG priority = Priority & ~(MdlMappingNoWrite | MdlMappingNoExecute);
  if (!valid_cache_type(CacheType) ||
      (priority != LowPagePriority && priority != NormalPagePriority && priority != HighPagePriority)) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "%s: CacheType %d / Priority 0x%X: use MmNonCached, MmCached or MmWriteCombined and an "
                    "MM_PAGE_PRIORITY, optionally ORed with MdlMappingNoWrite / MdlMappingNoExecute",
                    routine, static_cast<int>(CacheType), Priority);
    return nullptr;
  }
  const bool failing = fault_should_fail(FaultSite::Mdl, CallSite);
  std::unique_lock lock(g_mutex);
  MdlRecord* record = find_mdl(MemoryDescriptorList, routine, Rule::MdlBadArgument, CallSite);
  if (record == nullptr) return nullptr;
  PMDL mdl = MemoryDescriptorList;
  if (record->kind == MdlKind::Pages && record->pages_freed) {
    verifier_report(Rule::MdlBadArgument, CallSite, "%s: the MDL's pages were freed (MmFreePagesFromMdl)", routine);
    return nullptr;
  }
  if (AccessMode == KernelMode && (mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "%s: the MDL already has a system-space mapping; \"a driver must not try to create more than "
                    "one system-address-space mapping for an MDL\" (use MmGetSystemAddressForMdlSafe)",
                    routine);
    return nullptr;
  }
  const void* va = MmGetMdlVirtualAddress(mdl);
  const std::size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, mdl->ByteCount);
  if (mdl->ByteCount == 0 || pages > record->capacity_pages) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "%s: ByteCount %u at offset %u spans %zu page(s) but the MDL holds %zu", routine,
                    mdl->ByteCount, mdl->ByteOffset, pages, record->capacity_pages);
    return nullptr;
  }
  std::vector<PFN_NUMBER> pfns(MmGetMdlPfnArray(mdl), MmGetMdlPfnArray(mdl) + pages);
  if (record->kind == MdlKind::Pages && !std::equal(pfns.begin(), pfns.end(), record->owned.begin())) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "%s: the MDL's PFN array no longer names the pages allocated for it (allocated at %s)", routine,
                    site_text(record->site).c_str());
    return nullptr;
  }
  for (PFN_NUMBER pfn : pfns) {
    if (!detail::physmem_is_allocated(pfn)) {
      verifier_report(Rule::MdlBadArgument, CallSite,
                      "%s: PFN 0x%llX in the MDL is not an allocated page (corrupted PFN array or freed pages)",
                      routine, static_cast<unsigned long long>(pfn));
      return nullptr;
    }
  }
  // The pages' own caching wins over the request when they have one (MmMapLockedPagesSpecifyCache
  // remarks); two live mappings of one page with different caching are undefined on Windows.
  const MEMORY_CACHING_TYPE effective = record->page_cache != MmNotMapped ? record->page_cache : CacheType;
  for (const auto& [key, m] : g_state.mappings) {
    if (m.info.mdl == mdl && m.info.effective != effective) {
      verifier_report(Rule::MdlBadArgument, CallSite,
                      "%s: a live mapping of these pages uses caching %d, this one %d: \"only one caching behavior "
                      "is allowed for any given physical address\"",
                      routine, static_cast<int>(m.info.effective), static_cast<int>(effective));
      return nullptr;
    }
  }
  void* result = nullptr;
  if (!failing) {
    result = add_mapping(pfns, BYTE_OFFSET(va), mdl->ByteCount, AccessMode == UserMode ? RequestedAddress : nullptr,
                         (Priority & MdlMappingNoWrite) == 0, AccessMode, CacheType, effective, mdl);
  }
  if (result == nullptr) {
    if (AccessMode == KernelMode && BugCheckOnFailure) {
      lock.unlock();
      verifier_report(Rule::MdlBadArgument, CallSite,
                      "%s failed with BugCheckOnFailure=TRUE: Windows bug-checks here; \"drivers must set this "
                      "parameter to FALSE\" and handle NULL",
                      routine);
    }
    return nullptr;
  }
  if (AccessMode == KernelMode) {
    mdl->MappedSystemVa = result;
    mdl->MdlFlags = static_cast<CSHORT>(mdl->MdlFlags | MDL_MAPPED_TO_SYSTEM_VA);
  }
  return result;
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList, WAVERT_CALL_SITE CallSite) {
  std::unique_lock lock(g_mutex);
  Mapping* m = mapping_at_base(BaseAddress);
  if (m == nullptr || m->info.mdl == nullptr) {
    lock.unlock();
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmUnmapLockedPages(%p): not an address MmMapLockedPagesSpecifyCache returned, or already "
                    "unmapped",
                    BaseAddress);
    return;
  }
  if (m->info.mdl != MemoryDescriptorList) {
    lock.unlock();
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmUnmapLockedPages(%p, %p): that mapping belongs to MDL %p", BaseAddress,
                    static_cast<void*>(MemoryDescriptorList), static_cast<void*>(m->info.mdl));
    return;
  }
  const KIRQL max = m->info.mode == UserMode ? APC_LEVEL : DISPATCH_LEVEL;
  if (KeGetCurrentIrql() > max) {
    lock.unlock();
    irql_at_most(max, "MmUnmapLockedPages", CallSite);
    return;
  }
  remove_mapping(reinterpret_cast<std::uintptr_t>(m->region));
}

PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority, WAVERT_CALL_SITE CallSite) {
  {
    std::lock_guard lock(g_mutex);
    if (find_mdl(Mdl, "MmGetSystemAddressForMdlSafe", Rule::MdlBadArgument, CallSite) == nullptr) return nullptr;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) return Mdl->MappedSystemVa;
  }
  return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, nullptr, FALSE, Priority, CallSite);
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota,
                   struct _IRP* Irp, WAVERT_CALL_SITE CallSite) {
  if (fault_should_fail(FaultSite::Mdl, CallSite)) return nullptr;
  if (!irql_at_most(DISPATCH_LEVEL, "IoAllocateMdl", CallSite)) return nullptr;
  constexpr std::uint64_t kMaxBytes = (4ull << 30) - PAGE_SIZE;
  if (Length == 0 || Length > kMaxBytes || Irp != nullptr || ChargeQuota || SecondaryBuffer) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "IoAllocateMdl(%p, %u, %u, %u, %p): Length must be 1..4 GiB - PAGE_SIZE; ChargeQuota is reserved "
                    "(FALSE); the host has no IRPs, so Irp must be NULL and SecondaryBuffer FALSE",
                    VirtualAddress, Length, unsigned{SecondaryBuffer}, unsigned{ChargeQuota}, static_cast<void*>(Irp));
    return nullptr;
  }
  const std::size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
  PMDL mdl = new_mdl(pages, MdlKind::Described, CallSite);
  if (mdl == nullptr) return nullptr;
  mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
  mdl->StartVa = PAGE_ALIGN(VirtualAddress);
  mdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
  mdl->ByteCount = Length;
  return mdl;
}

VOID IoFreeMdl(PMDL Mdl, WAVERT_CALL_SITE CallSite) {
  if (!irql_at_most(DISPATCH_LEVEL, "IoFreeMdl", CallSite)) return;
  {
    std::lock_guard lock(g_mutex);
    if (Mdl != nullptr && g_state.freed_mdls.count(Mdl)) {
      verifier_report(Rule::MdlDoubleFree, CallSite, "IoFreeMdl(%p): this MDL was already freed",
                      static_cast<void*>(Mdl));
      return;
    }
    MdlRecord* record = find_mdl(Mdl, "IoFreeMdl", Rule::MdlFreeUnknown, CallSite);
    if (record == nullptr) return;
    if (record->kind == MdlKind::Pages && !record->owned.empty()) {
      verifier_report(Rule::MdlLeak, CallSite,
                      "IoFreeMdl of an MDL that still owns %zu page(s): call MmFreePagesFromMdl, then ExFreePool",
                      record->owned.size());
      detail::physmem_free(record->owned.data(), record->owned.size());
    }
    std::size_t kernel = 0;
    const std::size_t user = remove_mappings_of(Mdl, &kernel);
    if (user + kernel != 0) {
      verifier_report(Rule::MdlFreedWhileMapped, CallSite,
                      "IoFreeMdl while %zu mapping(s) of the MDL are live: MmUnmapLockedPages first", user + kernel);
    }
    g_state.mdls.erase(Mdl);
    g_state.freed_mdls.insert(Mdl);
  }
  detail::pool_free_internal(Mdl, CallSite);
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList, WAVERT_CALL_SITE CallSite) {
  if (!irql_at_most(DISPATCH_LEVEL, "MmBuildMdlForNonPagedPool", CallSite)) return;
  std::lock_guard lock(g_mutex);
  MdlRecord* record = find_mdl(MemoryDescriptorList, "MmBuildMdlForNonPagedPool", Rule::MdlBadArgument, CallSite);
  if (record == nullptr) return;
  PMDL mdl = MemoryDescriptorList;
  if (record->kind != MdlKind::Described) {
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmBuildMdlForNonPagedPool takes an MDL from IoAllocateMdl, not one that owns pages");
    return;
  }
  auto* va = static_cast<std::byte*>(MmGetMdlVirtualAddress(mdl));
  const std::size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, mdl->ByteCount);
  std::vector<PFN_NUMBER> pfns;
  for (std::size_t i = 0; i < pages; ++i) {
    const std::byte* page_va = static_cast<std::byte*>(mdl->StartVa) + i * PAGE_SIZE;
    const Mapping* m = mapping_containing(page_va);
    if (m == nullptr || m->info.mode != KernelMode) {
      verifier_report(Rule::MdlBadArgument, CallSite,
                      "MmBuildMdlForNonPagedPool: %p is not in the host's simulated physical memory. Host limit: "
                      "pool blocks have no simulated pages; describe memory from "
                      "MmAllocateContiguousMemorySpecifyCache or a system mapping instead",
                      static_cast<const void*>(page_va));
      return;
    }
    pfns.push_back(m->pfns[static_cast<std::size_t>(page_va - m->region) / PAGE_SIZE]);
  }
  std::copy(pfns.begin(), pfns.end(), MmGetMdlPfnArray(mdl));
  mdl->MappedSystemVa = va;
  mdl->MdlFlags = static_cast<CSHORT>(mdl->MdlFlags | MDL_SOURCE_IS_NONPAGED_POOL);
}

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType,
                                             WAVERT_CALL_SITE CallSite) {
  const char* routine = "MmAllocateContiguousMemorySpecifyCache";
  if (fault_should_fail(FaultSite::Mdl, CallSite)) return nullptr;
  if (!irql_at_most(DISPATCH_LEVEL, routine, CallSite)) return nullptr;
  const auto low = static_cast<std::uint64_t>(LowestAcceptableAddress.QuadPart);
  const auto high = static_cast<std::uint64_t>(HighestAcceptableAddress.QuadPart);
  const auto boundary = static_cast<std::uint64_t>(BoundaryAddressMultiple.QuadPart);
  const char* problem = nullptr;
  if (NumberOfBytes == 0) problem = "NumberOfBytes is 0";
  else if (low > high) problem = "LowestAcceptableAddress is above HighestAcceptableAddress";
  else if (boundary != 0 && (boundary & (boundary - 1)) != 0) problem = "BoundaryAddressMultiple must be a power of two";
  else if (boundary != 0 && ROUND_TO_PAGES(NumberOfBytes) > boundary)
    problem = "the block is larger than BoundaryAddressMultiple, so it must cross one";
  else if (!valid_cache_type(CacheType)) problem = "CacheType must be MmNonCached, MmCached or MmWriteCombined";
  if (problem != nullptr) {
    verifier_report(Rule::MdlBadArgument, CallSite, "%s: %s", routine, problem);
    return nullptr;
  }
  if (NumberOfBytes > kPhysicalExtentBytes) return nullptr;  // no run that long exists: out of memory
  std::vector<PFN_NUMBER> pfns =
      detail::physmem_allocate_contiguous(low, high, BYTES_TO_PAGES(NumberOfBytes), 1, boundary);
  if (pfns.empty()) return nullptr;
  // "Memory that MmAllocateContiguousMemorySpecifyCache allocates is uninitialized."
  detail::physmem_fill(pfns.data(), pfns.size(), kPoolUninitializedFill);
  std::lock_guard lock(g_mutex);
  void* va = add_mapping(pfns, 0, NumberOfBytes, nullptr, true, KernelMode, CacheType, CacheType, nullptr);
  if (va == nullptr) {
    detail::physmem_free(pfns.data(), pfns.size());
    return nullptr;
  }
  g_state.contiguous[va] = ContiguousBlock{pfns, NumberOfBytes, CallSite, g_state.next_serial++};
  g_state.freed_contiguous.erase(va);
  return va;
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress,
                                 WAVERT_CALL_SITE CallSite) {
  PHYSICAL_ADDRESS zero;
  zero.QuadPart = 0;
  return MmAllocateContiguousMemorySpecifyCache(NumberOfBytes, zero, HighestAcceptableAddress, zero, MmCached,
                                                CallSite);
}

VOID MmFreeContiguousMemory(PVOID BaseAddress, WAVERT_CALL_SITE CallSite) {
  if (!irql_at_most(DISPATCH_LEVEL, "MmFreeContiguousMemory", CallSite)) return;
  std::unique_lock lock(g_mutex);
  auto it = g_state.contiguous.find(BaseAddress);
  if (it == g_state.contiguous.end()) {
    const bool again = g_state.freed_contiguous.count(BaseAddress) != 0;
    lock.unlock();
    verifier_report(again ? Rule::MdlDoubleFree : Rule::MdlFreeUnknown, CallSite,
                    again ? "MmFreeContiguousMemory(%p): already freed"
                          : "MmFreeContiguousMemory(%p): not an address MmAllocateContiguousMemory* returned",
                    BaseAddress);
    return;
  }
  remove_mapping(reinterpret_cast<std::uintptr_t>(BaseAddress));
  detail::physmem_free(it->second.pfns.data(), it->second.pfns.size());
  g_state.contiguous.erase(it);
  g_state.freed_contiguous.insert(BaseAddress);
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress, WAVERT_CALL_SITE CallSite) {
  PHYSICAL_ADDRESS result;
  result.QuadPart = 0;
  std::unique_lock lock(g_mutex);
  const Mapping* m = mapping_containing(BaseAddress);
  if (m == nullptr) {
    lock.unlock();
    verifier_report(Rule::MdlBadArgument, CallSite,
                    "MmGetPhysicalAddress(%p): not in the host's simulated physical memory. Host limit: only "
                    "contiguous memory and MDL mappings have physical pages (pool blocks do not)",
                    BaseAddress);
    return result;
  }
  const auto offset = static_cast<std::size_t>(static_cast<std::byte*>(BaseAddress) - m->region);
  result.QuadPart = static_cast<LONGLONG>(m->pfns[offset / PAGE_SIZE] * PAGE_SIZE + offset % PAGE_SIZE);
  return result;
}

} // extern "C"
