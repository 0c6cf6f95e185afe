// Simulated physical memory: KernelConfig::physical_memory_bytes of RAM in one memfd.
//
// Layout. RAM is cut into extents of kPhysicalExtentBytes. Each extent is placed at its own
// physical slot, chosen by a shuffle seeded from KernelConfig::seed: about half the extents below
// 4 GiB and the rest between 4 GiB and 64 GiB, never two slots adjacent. Inside an extent, page
// frames are consecutive and so are their memfd offsets, so "physically contiguous" always means
// "contiguous in the memfd" and the DMA model can use one host pointer for a contiguous range.
//
// Scatter allocations walk the pages in a second seeded shuffle, so the pages of one MDL lie all
// over the physical range, as on a machine that has been running for a while.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "memory_internal.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::host {
namespace {

constexpr std::uint64_t kPagesPerExtent = kPhysicalExtentBytes / kPhysicalPageBytes;
// Extents sit in slots twice their size, so that two extents are never physically adjacent.
constexpr std::uint64_t kSlotBytes = 2 * kPhysicalExtentBytes;
// The first 16 MiB stay empty (legacy DMA range on a PC); low RAM ends at 4 GiB, high RAM at 64 GiB.
constexpr std::uint64_t kLowStart = 16ull << 20;
constexpr std::uint64_t kFourGiB = 4ull << 30;
constexpr std::uint64_t kHighEnd = 64ull << 30;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <typename T>
void shuffle(std::vector<T>& items, std::uint64_t& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = splitmix64(rng) % i;
    std::swap(items[i - 1], items[j]);
  }
}

struct PhysMem {
  int fd = -1;
  std::byte* direct = nullptr;  // the whole memfd, mapped once: the host's view for fills and DMA
  std::uint64_t pages = 0;
  std::vector<PFN_NUMBER> pfn_of_page;                // index: page (memfd order)
  std::map<PFN_NUMBER, std::uint64_t> extent_by_pfn;  // first PFN of each extent -> its first page
  std::vector<std::uint8_t> allocated;                // index: page
  std::vector<std::uint32_t> scatter_order;           // all pages, shuffled
  std::size_t scatter_cursor = 0;                     // where the next scatter allocation starts looking
  std::uint64_t free_pages = 0;
};

std::mutex g_mutex;
PhysMem g_mem;  // guarded by g_mutex (fd and direct are fixed between boot and shutdown)

// Page index of a PFN, or -1 when the frame is not RAM. Requires g_mutex or a booted, stable layout.
std::int64_t page_of(PFN_NUMBER pfn) {
  auto it = g_mem.extent_by_pfn.upper_bound(pfn);
  if (it == g_mem.extent_by_pfn.begin()) return -1;
  --it;
  const std::uint64_t page = it->second + (pfn - it->first);
  const std::uint64_t extent_end = std::min(it->second + kPagesPerExtent, g_mem.pages);
  if (page >= extent_end) return -1;
  return static_cast<std::int64_t>(page);
}

// Smallest range index r with low + r*skip <= page start and page end <= high + r*skip, or -1.
std::int64_t range_of(const detail::PageLimits& limits, std::uint64_t start) {
  const std::uint64_t end = start + kPhysicalPageBytes - 1;
  if (start < limits.low) return -1;
  if (limits.skip == 0) return end <= limits.high ? 0 : -1;
  const std::uint64_t r = end <= limits.high ? 0 : (end - limits.high + limits.skip - 1) / limits.skip;
  const unsigned __int128 range_start = limits.low + static_cast<unsigned __int128>(r) * limits.skip;
  return range_start <= start ? static_cast<std::int64_t>(r) : -1;
}

} // namespace

namespace detail {

void physmem_boot(const KernelConfig& config) {
  std::lock_guard lock(g_mutex);
  const std::uint64_t pages = config.physical_memory_bytes / kPhysicalPageBytes;
  if (pages == 0 || pages > (1ull << 31)) {
    std::fprintf(stderr, "*** wavert host: physical_memory_bytes %llu is not a usable size\n",
                 static_cast<unsigned long long>(config.physical_memory_bytes));
    std::abort();
  }
  g_mem = PhysMem{};
  g_mem.pages = pages;
  const std::uint64_t bytes = pages * kPhysicalPageBytes;
  g_mem.fd = memfd_create("wavert-physical-memory", MFD_CLOEXEC);
  if (g_mem.fd < 0 || ftruncate(g_mem.fd, static_cast<off_t>(bytes)) != 0) {
    std::fprintf(stderr, "*** wavert host: cannot create the physical memory memfd: %s\n", std::strerror(errno));
    std::abort();
  }
  void* direct = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, g_mem.fd, 0);
  if (direct == MAP_FAILED) {
    std::fprintf(stderr, "*** wavert host: cannot map physical memory: %s\n", std::strerror(errno));
    std::abort();
  }
  g_mem.direct = static_cast<std::byte*>(direct);

  // Place extents: half (rounded up) in low slots, the rest in high slots, slots chosen at random.
  std::uint64_t rng = config.seed;
  const std::uint64_t extents = (pages + kPagesPerExtent - 1) / kPagesPerExtent;
  std::vector<std::uint64_t> low_slots;
  for (std::uint64_t a = kLowStart; a + kSlotBytes <= kFourGiB; a += kSlotBytes) low_slots.push_back(a);
  std::vector<std::uint64_t> high_slots;
  for (std::uint64_t a = kFourGiB; a + kSlotBytes <= kHighEnd; a += kSlotBytes) high_slots.push_back(a);
  shuffle(low_slots, rng);
  shuffle(high_slots, rng);
  const std::uint64_t low_count = std::min<std::uint64_t>((extents + 1) / 2, low_slots.size());
  if (extents - low_count > high_slots.size()) {
    std::fprintf(stderr, "*** wavert host: physical_memory_bytes %llu exceeds the simulated physical range\n",
                 static_cast<unsigned long long>(config.physical_memory_bytes));
    std::abort();
  }
  g_mem.pfn_of_page.resize(pages);
  for (std::uint64_t e = 0; e < extents; ++e) {
    const std::uint64_t slot = e < low_count ? low_slots[e] : high_slots[e - low_count];
    const PFN_NUMBER first_pfn = slot / kPhysicalPageBytes;
    const std::uint64_t first_page = e * kPagesPerExtent;
    g_mem.extent_by_pfn[first_pfn] = first_page;
    for (std::uint64_t p = first_page; p < std::min(first_page + kPagesPerExtent, pages); ++p) {
      g_mem.pfn_of_page[p] = first_pfn + (p - first_page);
    }
  }
  g_mem.allocated.assign(pages, 0);
  g_mem.scatter_order.resize(pages);
  for (std::uint64_t p = 0; p < pages; ++p) g_mem.scatter_order[p] = static_cast<std::uint32_t>(p);
  shuffle(g_mem.scatter_order, rng);
  g_mem.free_pages = pages;
}

void physmem_shutdown() {
  std::lock_guard lock(g_mutex);
  if (g_mem.direct) munmap(g_mem.direct, g_mem.pages * kPhysicalPageBytes);
  if (g_mem.fd >= 0) close(g_mem.fd);
  g_mem = PhysMem{};
}

std::vector<PFN_NUMBER> physmem_allocate_scattered(const PageLimits& limits, std::size_t pages) {
  std::lock_guard lock(g_mutex);
  const std::size_t total = g_mem.scatter_order.size();
  // Candidate pages in preference order: lower range index first (SkipBytes ranges are tried one
  // after another), then scatter order starting at the cursor, so that successive allocations do
  // not rescan the pages earlier ones took.
  struct Candidate {
    std::int64_t range;
    std::uint32_t order;  // distance from the cursor in the scatter order
    std::uint32_t page;
  };
  std::vector<Candidate> candidates;
  for (std::size_t k = 0; k < total; ++k) {
    const std::size_t i = (g_mem.scatter_cursor + k) % total;
    const std::uint32_t page = g_mem.scatter_order[i];
    if (g_mem.allocated[page]) continue;
    const std::int64_t r = range_of(limits, g_mem.pfn_of_page[page] * kPhysicalPageBytes);
    if (r < 0) continue;
    candidates.push_back({r, static_cast<std::uint32_t>(k), page});
    // With one range, the first `pages` candidates (plus a few spare to avoid adjacency) suffice.
    if (limits.skip == 0 && candidates.size() >= 2 * pages + 8) break;
  }
  if (limits.skip != 0) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.range < b.range; });
  }
  std::vector<PFN_NUMBER> out;
  std::vector<std::uint32_t> deferred;  // pages adjacent to the previous pick: used only if needed
  std::uint32_t last_order = 0;
  for (const Candidate& c : candidates) {
    if (out.size() == pages) break;
    const PFN_NUMBER pfn = g_mem.pfn_of_page[c.page];
    if (!out.empty() && (pfn == out.back() + 1 || pfn + 1 == out.back())) {
      deferred.push_back(c.page);
      continue;
    }
    out.push_back(pfn);
    g_mem.allocated[c.page] = 1;
    last_order = std::max(last_order, c.order);
  }
  for (std::uint32_t page : deferred) {
    if (out.size() == pages) break;
    out.push_back(g_mem.pfn_of_page[page]);
    g_mem.allocated[page] = 1;
  }
  if (!out.empty() && total != 0) g_mem.scatter_cursor = (g_mem.scatter_cursor + last_order + 1) % total;
  g_mem.free_pages -= out.size();
  return out;
}

std::vector<PFN_NUMBER> physmem_allocate_contiguous(std::uint64_t low, std::uint64_t high, std::size_t pages,
                                                    std::size_t align_pages, std::uint64_t boundary_bytes) {
  std::lock_guard lock(g_mutex);
  if (pages == 0 || pages > kPagesPerExtent) return {};
  if (align_pages == 0) align_pages = 1;
  // Extents in ascending physical order; first fit from the bottom of the allowed range.
  for (const auto& [first_pfn, first_page] : g_mem.extent_by_pfn) {
    const std::uint64_t extent_pages = std::min(kPagesPerExtent, g_mem.pages - first_page);
    for (std::uint64_t i = 0; i + pages <= extent_pages; ++i) {
      const PFN_NUMBER start_pfn = first_pfn + i;
      if (start_pfn % align_pages != 0) continue;
      const std::uint64_t start = start_pfn * kPhysicalPageBytes;
      const std::uint64_t last = start + pages * kPhysicalPageBytes - 1;
      if (start < low || last > high) continue;
      if (boundary_bytes != 0 && start / boundary_bytes != last / boundary_bytes) continue;
      bool all_free = true;
      for (std::uint64_t k = 0; k < pages; ++k) {
        if (g_mem.allocated[first_page + i + k]) {
          all_free = false;
          i += k;  // the next start worth trying is past this allocated page
          break;
        }
      }
      if (!all_free) continue;
      std::vector<PFN_NUMBER> out(pages);
      for (std::uint64_t k = 0; k < pages; ++k) {
        g_mem.allocated[first_page + i + k] = 1;
        out[k] = start_pfn + k;
      }
      g_mem.free_pages -= pages;
      return out;
    }
  }
  return {};
}

void physmem_free(const PFN_NUMBER* pfns, std::size_t count) {
  std::lock_guard lock(g_mutex);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t page = page_of(pfns[i]);
    if (page < 0 || !g_mem.allocated[page]) continue;  // callers validated; never double-count
    std::memset(g_mem.direct + page * kPhysicalPageBytes, kPoolFreedFill, kPhysicalPageBytes);
    g_mem.allocated[page] = 0;
    g_mem.free_pages++;
  }
}

void physmem_fill(const PFN_NUMBER* pfns, std::size_t count, std::uint8_t value) {
  std::lock_guard lock(g_mutex);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t page = page_of(pfns[i]);
    if (page >= 0) std::memset(g_mem.direct + page * kPhysicalPageBytes, value, kPhysicalPageBytes);
  }
}

bool physmem_is_allocated(PFN_NUMBER pfn) {
  std::lock_guard lock(g_mutex);
  const std::int64_t page = page_of(pfn);
  return page >= 0 && g_mem.allocated[page];
}

void* physmem_map(const PFN_NUMBER* pfns, std::size_t count, void* hint, bool writable) {
  std::lock_guard lock(g_mutex);
  const std::size_t region = (count + 1) * kPhysicalPageBytes;  // + trailing guard page
  void* base = mmap(hint, region, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  auto* at = static_cast<std::byte*>(base);
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  std::size_t i = 0;
  while (i < count) {
    const std::int64_t page = page_of(pfns[i]);
    if (page < 0) {
      munmap(base, region);
      return nullptr;
    }
    // Coalesce pages that are consecutive in the memfd into one mmap call.
    std::size_t run = 1;
    while (i + run < count && page_of(pfns[i + run]) == page + static_cast<std::int64_t>(run)) ++run;
    void* got = mmap(at + i * kPhysicalPageBytes, run * kPhysicalPageBytes, prot, MAP_SHARED | MAP_FIXED, g_mem.fd,
                     static_cast<off_t>(page * kPhysicalPageBytes));
    if (got == MAP_FAILED) {
      munmap(base, region);
      return nullptr;
    }
    i += run;
  }
  return base;
}

void physmem_unmap(void* base, std::size_t count) { munmap(base, (count + 1) * kPhysicalPageBytes); }

} // namespace detail

int physical_memory_fd() {
  std::lock_guard lock(g_mutex);
  return g_mem.fd;
}

std::uint64_t physical_memory_bytes() {
  std::lock_guard lock(g_mutex);
  return g_mem.pages * kPhysicalPageBytes;
}

std::uint64_t physical_pages_total() {
  std::lock_guard lock(g_mutex);
  return g_mem.pages;
}

std::uint64_t physical_pages_free() {
  std::lock_guard lock(g_mutex);
  return g_mem.free_pages;
}

std::uint64_t physical_pages_allocated() {
  std::lock_guard lock(g_mutex);
  return g_mem.pages - g_mem.free_pages;
}

std::vector<PFN_NUMBER> physical_page_frames() {
  std::lock_guard lock(g_mutex);
  return g_mem.pfn_of_page;
}

std::optional<std::uint64_t> physical_page_offset(PFN_NUMBER pfn) {
  std::lock_guard lock(g_mutex);
  const std::int64_t page = page_of(pfn);
  if (page < 0) return std::nullopt;
  return static_cast<std::uint64_t>(page) * kPhysicalPageBytes;
}

bool physical_page_allocated(PFN_NUMBER pfn) { return detail::physmem_is_allocated(pfn); }

void* physical_to_host(std::uint64_t physical_address, std::size_t bytes, const WAVERT_CALL_SITE& site) {
  std::unique_lock lock(g_mutex);
  const std::uint64_t last = physical_address + (bytes == 0 ? 0 : bytes - 1);
  if (last < physical_address) {
    lock.unlock();
    verifier_report(Rule::DmaToUnallocatedPage, site, "device access at 0x%llX of %zu bytes wraps the address space",
                    static_cast<unsigned long long>(physical_address), bytes);
    return nullptr;
  }
  // Extents are never physically adjacent, so a range whose every page is RAM lies in one extent
  // and is contiguous in the memfd too.
  const std::int64_t first_page = page_of(physical_address / kPhysicalPageBytes);
  for (std::uint64_t pa = physical_address & ~(kPhysicalPageBytes - 1); pa <= last; pa += kPhysicalPageBytes) {
    const std::int64_t page = page_of(pa / kPhysicalPageBytes);
    if (page < 0 || !g_mem.allocated[page]) {
      const char* why = page < 0 ? "is not RAM" : "is not allocated (freed, or never allocated)";
      lock.unlock();
      verifier_report(Rule::DmaToUnallocatedPage, site,
                      "device access at physical 0x%llX (%zu bytes): the page at 0x%llX %s; the DMA "
                      "engine was programmed with a stale or wrong address",
                      static_cast<unsigned long long>(physical_address), bytes, static_cast<unsigned long long>(pa),
                      why);
      return nullptr;
    }
  }
  return g_mem.direct + first_page * kPhysicalPageBytes + (physical_address % kPhysicalPageBytes);
}

} // namespace wavert::host
