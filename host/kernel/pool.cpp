// The executive pool: ExAllocatePool2 / ExAllocatePoolWithTag / ExFreePool(WithTag), with tag
// accounting and Driver Verifier-style checks.
//
// Every block the pool hands out is recorded in a table of live allocations; frees are validated
// against that table only, so a wild pointer is reported without ever being read. After each
// block come guard bytes, checked when it is freed. Freed blocks are poisoned and kept in a short
// quarantine so a use after free reads 0xDE... and a write after free is caught on eviction.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "memory_internal.hpp"
#include "subsystems.hpp"
#include "wavert/host/faults.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/ex.h"
#include "wavert/nt/irql.h"

namespace wavert::host {
namespace {

// At least this many guard bytes follow every block; the rest of its alignment padding is guard too.
constexpr std::size_t kGuardBytes = 16;
// "aligned to 16-byte boundaries in 64-bit systems"; a block of PAGE_SIZE or more is page-aligned
// (ExAllocatePool2 remarks). POOL_FLAG_CACHE_ALIGNED: one x86-64 cache line.
constexpr std::size_t kSmallAlignment = 16;
constexpr std::size_t kCacheLineBytes = 64;

struct Block {
  std::byte* raw = nullptr;   // what the host allocator returned; the driver sees the same address
  std::size_t bytes = 0;      // what the driver asked for
  std::size_t raw_bytes = 0;  // bytes plus guard
  std::uint32_t tag = 0;
  bool paged = false;
  WAVERT_CALL_SITE site{};
  std::uint64_t serial = 0;  // allocation order, to name the first leak
};

struct Freed {
  Block block;
  WAVERT_CALL_SITE free_site{};
};

struct PoolState {
  std::unordered_map<const void*, Block> live;
  std::unordered_map<const void*, Freed> quarantine;
  // Eviction order. A block enters it only after the freeing thread has poisoned it, so a block
  // still being poisoned is never evicted (released) under that thread.
  std::deque<const void*> fifo;
  std::size_t quarantine_bytes = 0;
  std::map<std::uint32_t, PoolTagUsage> usage;
  std::uint64_t next_serial = 1;
};

std::mutex g_mutex;
PoolState g_pool;  // guarded by g_mutex

std::size_t round_up(std::size_t value, std::size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// "Each ASCII character in the tag must be a value in the range 0x20 (space) to 0x7E (tilde)";
// a tag of fewer than four characters has zero bytes at its high end.
bool tag_is_valid(std::uint32_t tag) {
  if (tag == 0) return false;
  bool ended = false;
  for (int i = 0; i < 4; ++i) {
    const unsigned c = (tag >> (8 * i)) & 0xFF;
    if (c == 0) {
      ended = true;
    } else if (ended || c < 0x20 || c > 0x7E) {
      return false;
    }
  }
  return true;
}

std::string site_text(const WAVERT_CALL_SITE& site) {
  std::string text = site.File ? site.File : "(unknown file)";
  text += ":" + std::to_string(site.Line);
  if (site.Function) {
    text += " (";
    text += site.Function;
    text += ")";
  }
  return text;
}

// Finds the first byte in [begin, end) that differs from value; end when none does.
const std::byte* first_mismatch(const std::byte* begin, const std::byte* end, std::uint8_t value) {
  return std::find_if(begin, end, [value](std::byte b) { return b != std::byte{value}; });
}

PoolTagUsage& usage_for(std::uint32_t tag) {  // requires g_mutex
  auto [it, inserted] = g_pool.usage.try_emplace(tag);
  if (inserted) {
    it->second.tag = tag;
    it->second.name = pool_tag_name(tag);
  }
  return it->second;
}

void check_booted(const WAVERT_CALL_SITE& site) {
  if (!kernel_running()) verifier_report(Rule::HostContract, site, "pool routine called with no KernelSession running");
}

enum class Fill { Zero, Pattern };

// Allocates and records one block. No argument checks: callers did them.
void* allocate_block(std::size_t bytes, std::uint32_t tag, bool paged, bool cache_aligned, Fill fill,
                     const WAVERT_CALL_SITE& site) {
  // "Memory allocations of PAGE_SIZE or less are allocated within a page and do not cross page
  // boundaries": a smaller block is aligned to the power of two that holds it and its guard, which
  // keeps it inside one page (at the cost of some padding, which is guard too).
  std::size_t alignment = PAGE_SIZE;
  if (bytes < PAGE_SIZE) {
    alignment = std::max<std::size_t>(cache_aligned ? kCacheLineBytes : kSmallAlignment,
                                      std::bit_ceil(bytes + kGuardBytes));
  }
  const std::size_t raw_bytes = round_up(bytes + kGuardBytes, alignment);
  auto* raw = static_cast<std::byte*>(std::aligned_alloc(alignment, raw_bytes));
  if (raw == nullptr) return nullptr;
  std::memset(raw, fill == Fill::Zero ? 0 : kPoolUninitializedFill, bytes);
  std::memset(raw + bytes, kPoolGuardFill, raw_bytes - bytes);

  std::lock_guard lock(g_mutex);
  Block block{raw, bytes, raw_bytes, tag, paged, site, g_pool.next_serial++};
  g_pool.live.emplace(raw, block);
  PoolTagUsage& u = usage_for(tag);
  u.allocations++;
  u.outstanding_count++;
  u.outstanding_bytes += bytes;
  u.peak_count = std::max(u.peak_count, u.outstanding_count);
  u.peak_bytes = std::max(u.peak_bytes, u.outstanding_bytes);
  return raw;
}

// Releases evicted quarantine entries after checking their poison. Requires g_mutex.
void evict_quarantine_locked(bool everything) {
  while (!g_pool.fifo.empty() && (everything || g_pool.fifo.size() > kPoolQuarantineBlocks ||
                                  g_pool.quarantine_bytes > kPoolQuarantineBytes)) {
    const void* address = g_pool.fifo.front();
    g_pool.fifo.pop_front();
    auto it = g_pool.quarantine.find(address);
    if (it == g_pool.quarantine.end()) continue;
    const Block& b = it->second.block;
    const std::byte* bad = first_mismatch(b.raw, b.raw + b.bytes, kPoolFreedFill);
    if (bad != b.raw + b.bytes) {
      verifier_report(Rule::PoolWriteAfterFree, it->second.free_site,
                      "pool block %p (tag '%s', %zu bytes, allocated at %s) was written at offset %zu after "
                      "this ExFreePool: a pointer to it outlived the free",
                      address, pool_tag_name(b.tag).c_str(), b.bytes, site_text(b.site).c_str(),
                      static_cast<std::size_t>(bad - b.raw));
    }
    g_pool.quarantine_bytes -= b.raw_bytes;
    std::free(b.raw);
    g_pool.quarantine.erase(it);
  }
}

enum class TagCheck { Check, Ignore };

void free_block(void* p, std::uint32_t tag, TagCheck tag_check, bool notify_mdl, const char* routine,
                const WAVERT_CALL_SITE& site) {
  check_booted(site);
  if (p == nullptr) {
    verifier_report(Rule::PoolFreeUnknown, site, "%s(NULL): there is no block to free (Windows bug-checks)", routine);
    return;
  }
  const KIRQL irql = KeGetCurrentIrql();
  Block block;
  {
    std::lock_guard lock(g_mutex);
    auto it = g_pool.live.find(p);
    if (it == g_pool.live.end()) {
      auto q = g_pool.quarantine.find(p);
      if (q != g_pool.quarantine.end()) {
        verifier_report(Rule::PoolDoubleFree, site,
                        "%s(%p): block (tag '%s', %zu bytes, allocated at %s) was already freed at %s", routine, p,
                        pool_tag_name(q->second.block.tag).c_str(), q->second.block.bytes,
                        site_text(q->second.block.site).c_str(), site_text(q->second.free_site).c_str());
        return;
      }
      // Not a block start: say whether it points into one, which is the usual bug.
      for (const auto& [start, live] : g_pool.live) {
        const auto* s = static_cast<const std::byte*>(start);
        const auto* q2 = static_cast<const std::byte*>(p);
        if (q2 > s && q2 < s + live.bytes) {
          verifier_report(Rule::PoolFreeUnknown, site,
                          "%s(%p): address is %zu bytes into a block (tag '%s', %zu bytes, allocated at %s); pass "
                          "the address the allocator returned",
                          routine, p, static_cast<std::size_t>(q2 - s), pool_tag_name(live.tag).c_str(), live.bytes,
                          site_text(live.site).c_str());
          return;
        }
      }
      verifier_report(Rule::PoolFreeUnknown, site, "%s(%p): the pool never returned this address", routine, p);
      return;
    }
    block = it->second;
    if (irql > DISPATCH_LEVEL || (block.paged && irql > APC_LEVEL)) {
      verifier_report(Rule::IrqlTooHigh, site,
                      "%s at IRQL %u of a %s block (tag '%s'): the maximum is %s", routine, unsigned{irql},
                      block.paged ? "paged" : "non-paged", pool_tag_name(block.tag).c_str(),
                      block.paged ? "APC_LEVEL (1)" : "DISPATCH_LEVEL (2)");
    }
    if (tag_check == TagCheck::Check && tag != block.tag) {
      verifier_report(Rule::PoolWrongTag, site, "%s(%p, '%s'): block was allocated with tag '%s' at %s", routine, p,
                      pool_tag_name(tag).c_str(), pool_tag_name(block.tag).c_str(), site_text(block.site).c_str());
    }
    g_pool.live.erase(it);
    g_pool.quarantine[p] = Freed{block, site};
    g_pool.quarantine_bytes += block.raw_bytes;
    PoolTagUsage& u = usage_for(block.tag);
    u.frees++;
    u.outstanding_count--;
    u.outstanding_bytes -= block.bytes;
  }

  // No lock held: these hooks may report, and the dispatcher has locks of its own.
  if (notify_mdl) detail::mdl_on_pool_free(p, site);
  detail::dispatcher_on_free(p, block.bytes, site);

  const std::byte* bad = first_mismatch(block.raw + block.bytes, block.raw + block.raw_bytes, kPoolGuardFill);
  if (bad != block.raw + block.raw_bytes) {
    verifier_report(Rule::PoolOverrun, site,
                    "pool block %p (tag '%s', %zu bytes, allocated at %s) was written %zu bytes past its end",
                    p, pool_tag_name(block.tag).c_str(), block.bytes, site_text(block.site).c_str(),
                    static_cast<std::size_t>(bad - (block.raw + block.bytes)) + 1);
  }
  std::memset(block.raw, kPoolFreedFill, block.bytes);

  std::lock_guard lock(g_mutex);
  g_pool.fifo.push_back(p);
  evict_quarantine_locked(false);
}

// Checks shared by the POOL_TYPE routines. Returns false (after reporting) when the call must
// fail; sets paged/cache_aligned from the type.
bool check_pool_type(POOL_TYPE type, const char* routine, bool* paged, bool* cache_aligned,
                     const WAVERT_CALL_SITE& site) {
  switch (static_cast<int>(type)) {
    case NonPagedPool: *paged = false; *cache_aligned = false; return true;
    case PagedPool: *paged = true; *cache_aligned = false; return true;
    case NonPagedPoolCacheAligned: *paged = false; *cache_aligned = true; return true;
    case PagedPoolCacheAligned: *paged = true; *cache_aligned = true; return true;
    case NonPagedPoolNx: *paged = false; *cache_aligned = false; return true;
    case NonPagedPoolNxCacheAligned: *paged = false; *cache_aligned = true; return true;
    case NonPagedPoolMustSucceed:
    case NonPagedPoolCacheAlignedMustS:
      verifier_report(Rule::PoolBadArgument, site,
                      "%s with a must-succeed pool type (%d): drivers must not use it; Windows bug-checks", routine,
                      static_cast<int>(type));
      return false;
    default:
      verifier_report(Rule::PoolBadArgument, site,
                      "%s with pool type %d: use NonPagedPoolNx, NonPagedPool or PagedPool (session and "
                      "reserved types are not for device drivers)",
                      routine, static_cast<int>(type));
      return false;
  }
}

// Checks common to every allocation routine; false: return NULL.
bool check_request(std::size_t bytes, std::uint32_t tag, bool paged, const char* routine,
                   const WAVERT_CALL_SITE& site) {
  const KIRQL irql = KeGetCurrentIrql();
  if (irql > DISPATCH_LEVEL || (paged && irql > APC_LEVEL)) {
    verifier_report(Rule::IrqlTooHigh, site, "%s of %s pool at IRQL %u: the maximum is %s", routine,
                    paged ? "paged" : "non-paged", unsigned{irql}, paged ? "APC_LEVEL (1)" : "DISPATCH_LEVEL (2)");
    return false;
  }
  if (!tag_is_valid(tag)) {
    verifier_report(Rule::PoolBadArgument, site,
                    "%s with tag 0x%08X: a tag is one to four characters 0x20..0x7E, and never 0", routine, tag);
    return false;
  }
  if (bytes == 0) {
    // Driver Verifier: bug check 0xC4, parameter 0x0 "requested a zero-byte pool allocation".
    verifier_report(Rule::PoolBadArgument, site, "%s of 0 bytes (tag '%s'): NumberOfBytes must be non-zero", routine,
                    pool_tag_name(tag).c_str());
    return false;
  }
  return true;
}

} // namespace

std::string pool_tag_name(std::uint32_t tag) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    const unsigned c = (tag >> (8 * i)) & 0xFF;
    if (c == 0) break;
    name += (c >= 0x20 && c <= 0x7E) ? static_cast<char>(c) : '?';
  }
  return name;
}

PoolTagUsage pool_tag_usage(std::uint32_t tag) {
  std::lock_guard lock(g_mutex);
  auto it = g_pool.usage.find(tag);
  if (it != g_pool.usage.end()) return it->second;
  PoolTagUsage none;
  none.tag = tag;
  none.name = pool_tag_name(tag);
  return none;
}

std::vector<PoolTagUsage> pool_usage() {
  std::lock_guard lock(g_mutex);
  std::vector<PoolTagUsage> out;
  for (const auto& [tag, u] : g_pool.usage) out.push_back(u);
  return out;
}

namespace detail {

void pool_boot() {
  std::lock_guard lock(g_mutex);
  g_pool.live.clear();
  g_pool.quarantine.clear();
  g_pool.fifo.clear();
  g_pool.quarantine_bytes = 0;
  g_pool.usage.clear();
  g_pool.next_serial = 1;
}

void pool_shutdown() {
  std::vector<Block> leaked;
  {
    std::lock_guard lock(g_mutex);
    evict_quarantine_locked(true);
    for (const auto& [address, block] : g_pool.live) leaked.push_back(block);
    g_pool.live.clear();
    g_pool.usage.clear();
  }
  if (!leaked.empty()) {
    std::sort(leaked.begin(), leaked.end(), [](const Block& a, const Block& b) { return a.serial < b.serial; });
    struct TagLeak {
      std::size_t count = 0;
      std::size_t bytes = 0;
      const Block* first = nullptr;
    };
    std::map<std::uint32_t, TagLeak> by_tag;
    for (const Block& b : leaked) {
      TagLeak& t = by_tag[b.tag];
      t.count++;
      t.bytes += b.bytes;
      if (t.first == nullptr) t.first = &b;
    }
    std::string text = std::to_string(leaked.size()) + " pool block(s) never freed:";
    for (const auto& [tag, t] : by_tag) {
      text += "\n      tag '" + pool_tag_name(tag) + "': " + std::to_string(t.count) + " block(s), " +
              std::to_string(t.bytes) + " bytes; first allocated at " + site_text(t.first->site);
    }
    verifier_report(Rule::PoolLeak, leaked.front().site, "%s", text.c_str());
  }
  for (const Block& b : leaked) std::free(b.raw);
}

void* pool_allocate_internal(std::size_t bytes, std::uint32_t tag, const WAVERT_CALL_SITE& site) {
  return allocate_block(bytes, tag, false, false, Fill::Zero, site);
}

void pool_free_internal(void* block, const WAVERT_CALL_SITE& site) {
  free_block(block, 0, TagCheck::Ignore, false, "ExFreePool", site);
}

} // namespace detail
} // namespace wavert::host

using namespace wavert::host;

namespace wavert::host {
namespace {
PVOID allocate_with_type(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, Fill fill, const char* routine,
                         const WAVERT_CALL_SITE& CallSite) {
  check_booted(CallSite);
  if (fault_should_fail(FaultSite::Pool, CallSite)) return nullptr;
  bool paged = false;
  bool cache_aligned = false;
  if (!check_pool_type(PoolType, routine, &paged, &cache_aligned, CallSite)) return nullptr;
  if (!check_request(NumberOfBytes, Tag, paged, routine, CallSite)) return nullptr;
  if (NumberOfBytes > kPoolMaxAllocationBytes) return nullptr;
  return allocate_block(NumberOfBytes, Tag, paged, cache_aligned, fill, CallSite);
}
} // namespace
} // namespace wavert::host

extern "C" {

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALL_SITE CallSite) {
  check_booted(CallSite);
  if (fault_should_fail(FaultSite::Pool, CallSite)) return nullptr;
  // Required flags (low 32 bits) the pool does not know make the call fail; unknown optional
  // ones are ignored, as POOL_FLAGS documents.
  constexpr POOL_FLAGS kKnownRequired = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_CACHE_ALIGNED |
                                        POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |
                                        POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
  const POOL_FLAGS required = Flags & 0xFFFFFFFFull;
  const POOL_FLAGS kinds = required & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
  if ((required & ~kKnownRequired) != 0 || (kinds != POOL_FLAG_NON_PAGED && kinds != POOL_FLAG_NON_PAGED_EXECUTE &&
                                            kinds != POOL_FLAG_PAGED)) {
    verifier_report(Rule::PoolBadArgument, CallSite,
                    "ExAllocatePool2 with flags 0x%llX: give exactly one of POOL_FLAG_NON_PAGED, "
                    "POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED and no reserved or session flags",
                    static_cast<unsigned long long>(Flags));
    return nullptr;
  }
  const bool paged = kinds == POOL_FLAG_PAGED;
  if (!check_request(NumberOfBytes, Tag, paged, "ExAllocatePool2", CallSite)) return nullptr;
  if (NumberOfBytes > kPoolMaxAllocationBytes) {
    if (Flags & POOL_FLAG_RAISE_ON_FAILURE) {
      verifier_report(Rule::PoolBadArgument, CallSite,
                      "ExAllocatePool2 of %zu bytes failed with POOL_FLAG_RAISE_ON_FAILURE: Windows raises an "
                      "exception here, which driver code built without exceptions cannot catch",
                      NumberOfBytes);
    }
    return nullptr;
  }
  return allocate_block(NumberOfBytes, Tag, paged, (Flags & POOL_FLAG_CACHE_ALIGNED) != 0,
                        (Flags & POOL_FLAG_UNINITIALIZED) ? Fill::Pattern : Fill::Zero, CallSite);
}


PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALL_SITE CallSite) {
  return allocate_with_type(PoolType, NumberOfBytes, Tag, Fill::Pattern, "ExAllocatePoolWithTag", CallSite);
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALL_SITE CallSite) {
  return allocate_with_type(PoolType, NumberOfBytes, Tag, Fill::Zero, "ExAllocatePoolZero", CallSite);
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, WAVERT_CALL_SITE CallSite) {
  return allocate_with_type(PoolType, NumberOfBytes, Tag, Fill::Pattern, "ExAllocatePoolUninitialized", CallSite);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag, WAVERT_CALL_SITE CallSite) {
  free_block(P, Tag, TagCheck::Check, true, "ExFreePoolWithTag", CallSite);
}

VOID ExFreePool(PVOID P, WAVERT_CALL_SITE CallSite) {
  free_block(P, 0, TagCheck::Ignore, true, "ExFreePool", CallSite);
}

} // extern "C"
