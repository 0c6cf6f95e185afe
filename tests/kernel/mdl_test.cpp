// MDLs: Windows' x64 layout, page allocation over simulated physical memory (limits, short
// allocations, contiguous chunks), mappings that alias, contiguous memory, and the verifier rules
// for misuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <wdm.h>

#include "wavert/host/faults.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

PHYSICAL_ADDRESS pa(std::uint64_t value) {
  PHYSICAL_ADDRESS p;
  p.QuadPart = static_cast<LONGLONG>(value);
  return p;
}

constexpr std::uint64_t kFourGiB = 4ull << 30;
constexpr std::uint64_t kAnywhere = ~0ull;

std::vector<PFN_NUMBER> pfns_of(PMDL mdl) {
  const std::size_t n = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
  return {MmGetMdlPfnArray(mdl), MmGetMdlPfnArray(mdl) + n};
}

void release(PMDL mdl) {
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}

TEST(MdlLayout, MatchesWindowsX64) {
  EXPECT_EQ(sizeof(MDL), 48u);
  EXPECT_EQ(offsetof(MDL, Next), 0u);
  EXPECT_EQ(offsetof(MDL, Size), 8u);
  EXPECT_EQ(offsetof(MDL, MdlFlags), 10u);
  EXPECT_EQ(offsetof(MDL, Process), 16u);
  EXPECT_EQ(offsetof(MDL, MappedSystemVa), 24u);
  EXPECT_EQ(offsetof(MDL, StartVa), 32u);
  EXPECT_EQ(offsetof(MDL, ByteCount), 40u);
  EXPECT_EQ(offsetof(MDL, ByteOffset), 44u);
  MDL mdl{};
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(MmGetMdlPfnArray(&mdl)), reinterpret_cast<std::uintptr_t>(&mdl) + 48);
  EXPECT_EQ(MDL_MAPPED_TO_SYSTEM_VA, 0x0001);
  EXPECT_EQ(MDL_PAGES_LOCKED, 0x0002);
  EXPECT_EQ(MDL_SOURCE_IS_NONPAGED_POOL, 0x0004);
  EXPECT_EQ(MDL_PARTIAL, 0x0010);
  EXPECT_EQ(MM_ALLOCATE_FULLY_REQUIRED, 0x4);
  EXPECT_EQ(static_cast<int>(MmWriteCombined), 2);
  EXPECT_EQ(static_cast<int>(NormalPagePriority), 16);
}

TEST(MdlMacros, ComputePagesLikeTheWdk) {
  EXPECT_EQ(PAGE_SIZE, 4096);
  EXPECT_EQ(1 << PAGE_SHIFT, PAGE_SIZE);
  EXPECT_EQ(BYTES_TO_PAGES(0), 0u);
  EXPECT_EQ(BYTES_TO_PAGES(1), 1u);
  EXPECT_EQ(BYTES_TO_PAGES(4096), 1u);
  EXPECT_EQ(BYTES_TO_PAGES(4097), 2u);
  EXPECT_EQ(ROUND_TO_PAGES(1), 4096u);
  EXPECT_EQ(ROUND_TO_PAGES(8192), 8192u);
  EXPECT_EQ(ADDRESS_AND_SIZE_TO_SPAN_PAGES(reinterpret_cast<void*>(0x1FFF), 2), 2u);
  EXPECT_EQ(ADDRESS_AND_SIZE_TO_SPAN_PAGES(reinterpret_cast<void*>(0x1000), 4096), 1u);
  EXPECT_EQ(BYTE_OFFSET(reinterpret_cast<void*>(0x12345)), 0x345u);
  EXPECT_EQ(PAGE_ALIGN(reinterpret_cast<void*>(0x12345)), reinterpret_cast<void*>(0x12000));
  EXPECT_EQ(MmSizeOfMdl(reinterpret_cast<void*>(0x1FFF), 2), sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
}

class Mdl : public ::testing::TestWithParam<ClockKind> {
 protected:
  KernelConfig config() const {
    KernelConfig c;
    c.clock = GetParam();
    return c;
  }
};

TEST_P(Mdl, AllocatePagesGivesZeroedScatteredPagesBelowHigh) {
  KernelSession session(config());
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(kFourGiB - 1), pa(0), 64 * 1024, MmCached, 0);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(MmGetMdlByteCount(mdl), 64u * 1024);
  EXPECT_EQ(MmGetMdlByteOffset(mdl), 0u);
  EXPECT_EQ(MmGetMdlVirtualAddress(mdl), nullptr);
  EXPECT_EQ(mdl->Size, static_cast<CSHORT>(sizeof(MDL) + 16 * sizeof(PFN_NUMBER)));
  EXPECT_TRUE(mdl->MdlFlags & MDL_PAGES_LOCKED);
  EXPECT_FALSE(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
  const auto pfns = pfns_of(mdl);
  ASSERT_EQ(pfns.size(), 16u);
  EXPECT_EQ(std::set<PFN_NUMBER>(pfns.begin(), pfns.end()).size(), 16u);
  for (std::size_t i = 0; i < pfns.size(); ++i) {
    EXPECT_LE(pfns[i] * PAGE_SIZE + PAGE_SIZE - 1, kFourGiB - 1);
    if (i > 0) {
      EXPECT_NE(pfns[i], pfns[i - 1] + 1) << "pages " << i - 1 << " and " << i << " are adjacent";
      EXPECT_NE(pfns[i] + 1, pfns[i - 1]) << "pages " << i - 1 << " and " << i << " are adjacent";
    }
    const auto* bytes = static_cast<const std::uint8_t*>(physical_to_host(pfns[i] * PAGE_SIZE, PAGE_SIZE));
    ASSERT_NE(bytes, nullptr);
    EXPECT_TRUE(std::all_of(bytes, bytes + PAGE_SIZE, [](std::uint8_t b) { return b == 0; }));
  }
  release(mdl);
}

TEST_P(Mdl, LowLimitKeepsPagesAbove4GiB) {
  KernelSession session(config());
  PMDL mdl = MmAllocatePagesForMdl(pa(kFourGiB), pa(kAnywhere), pa(0), 8 * PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  for (PFN_NUMBER pfn : pfns_of(mdl)) EXPECT_GE(pfn * PAGE_SIZE, kFourGiB);
  release(mdl);
}

TEST_P(Mdl, SkipBytesMovesToFurtherRanges) {
  KernelSession session(config());
  // Ranges [k * 16 MiB, k * 16 MiB + 8 MiB): the first holds no RAM, later ones do.
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa((8ull << 20) - 1), pa(16ull << 20), 4 * PAGE_SIZE);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(MmGetMdlByteCount(mdl), 4u * PAGE_SIZE);
  for (PFN_NUMBER pfn : pfns_of(mdl)) EXPECT_LT((pfn * PAGE_SIZE) % (16ull << 20), 8ull << 20);
  release(mdl);
}

TEST_P(Mdl, ShortMemoryGivesFewerBytesUnlessFullyRequired) {
  KernelConfig c = config();
  c.physical_memory_bytes = 64 * PAGE_SIZE;
  KernelSession session(c);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), 100 * PAGE_SIZE, MmCached,
                                    MM_ALLOCATE_FULLY_REQUIRED),
            nullptr);
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), 100 * PAGE_SIZE, MmCached, 0);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(MmGetMdlByteCount(mdl), 64u * PAGE_SIZE);  // as much as is available, in whole pages
  EXPECT_EQ(physical_pages_free(), 0u);
  EXPECT_EQ(MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE), nullptr);  // nothing left
  release(mdl);
}

TEST_P(Mdl, DontZeroShowsStaleBytesAndDefaultZeroes) {
  KernelConfig c = config();
  c.physical_memory_bytes = 4 * PAGE_SIZE;
  KernelSession session(c);
  PMDL first = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), 4 * PAGE_SIZE, MmCached, 0);
  release(first);
  PMDL raw = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), 4 * PAGE_SIZE, MmCached, MM_DONT_ZERO_ALLOCATION);
  ASSERT_NE(raw, nullptr);
  const auto* bytes = static_cast<const std::uint8_t*>(physical_to_host(MmGetMdlPfnArray(raw)[2] * PAGE_SIZE, 16));
  EXPECT_EQ(bytes[0], kPoolUninitializedFill);
  release(raw);
}

TEST_P(Mdl, RequireContiguousChunksGivesOneRunOrAlignedBlocks) {
  KernelSession session(config());
  PMDL run = MmAllocatePagesForMdlEx(pa(0), pa(kFourGiB - 1), pa(0), 10 * PAGE_SIZE, MmCached,
                                     MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
  ASSERT_NE(run, nullptr);
  auto pfns = pfns_of(run);
  for (std::size_t i = 1; i < pfns.size(); ++i) EXPECT_EQ(pfns[i], pfns[0] + i);
  EXPECT_NE(physical_to_host(pfns[0] * PAGE_SIZE, 10 * PAGE_SIZE), nullptr);  // one host range
  PMDL blocks = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(4 * PAGE_SIZE), 16 * PAGE_SIZE, MmCached,
                                        MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
  ASSERT_NE(blocks, nullptr);
  pfns = pfns_of(blocks);
  ASSERT_EQ(pfns.size(), 16u);
  for (std::size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(pfns[b * 4] % 4, 0u);
    for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(pfns[b * 4 + i], pfns[b * 4] + i);
  }
  release(run);
  release(blocks);
}

TEST_P(Mdl, KernelAndUserMappingsAliasTheSameBytes) {
  KernelSession session(config());
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 3 * PAGE_SIZE);
  auto* kernel = static_cast<std::uint8_t*>(
      MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmWriteCombined, nullptr, FALSE, NormalPagePriority | MdlMappingNoExecute));
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(mdl->MappedSystemVa, kernel);
  EXPECT_TRUE(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
  auto* user = static_cast<std::uint8_t*>(
      MmMapLockedPagesSpecifyCache(mdl, UserMode, MmWriteCombined, nullptr, FALSE, NormalPagePriority));
  ASSERT_NE(user, nullptr);
  EXPECT_NE(user, kernel);
  for (std::size_t i = 0; i < 3 * PAGE_SIZE; i += 511) kernel[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < 3 * PAGE_SIZE; i += 511) EXPECT_EQ(user[i], static_cast<std::uint8_t>(i));
  user[PAGE_SIZE * 2 + 5] = 0xEE;
  EXPECT_EQ(kernel[PAGE_SIZE * 2 + 5], 0xEE);
  // The caching type of each mapping is recorded for the port.
  const auto info = mapping_info(kernel + PAGE_SIZE);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->base, kernel);
  EXPECT_EQ(info->bytes, 3u * PAGE_SIZE);
  EXPECT_EQ(info->mode, KernelMode);
  EXPECT_EQ(info->effective, MmWriteCombined);
  EXPECT_EQ(mdl_mappings(mdl).size(), 2u);
  // Physical addresses of the mapping are the MDL's frames.
  EXPECT_EQ(static_cast<std::uint64_t>(MmGetPhysicalAddress(kernel + PAGE_SIZE + 9).QuadPart),
            MmGetMdlPfnArray(mdl)[1] * PAGE_SIZE + 9);
  MmUnmapLockedPages(user, mdl);
  MmUnmapLockedPages(kernel, mdl);
  EXPECT_FALSE(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
  EXPECT_EQ(mdl->MappedSystemVa, nullptr);
  EXPECT_FALSE(mapping_info(kernel).has_value());
  release(mdl);
}

TEST_P(Mdl, PagesFromTheExRoutineKeepTheirAllocationCacheType) {
  KernelSession session(config());
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE, MmWriteCombined, 0);
  void* va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(mapping_info(va)->requested, MmCached);
  EXPECT_EQ(mapping_info(va)->effective, MmWriteCombined);
  MmUnmapLockedPages(va, mdl);
  release(mdl);
}

TEST_P(Mdl, GetSystemAddressReusesTheSystemMapping) {
  KernelSession session(config());
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 2 * PAGE_SIZE);
  void* first = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), first);
  EXPECT_EQ(mapping_info(first)->effective, MmCached);
  MmUnmapLockedPages(first, mdl);
  release(mdl);
}

TEST_P(Mdl, FreeingPagesReleasesTheSystemMappingButReportsUserMappings) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  void* kernel = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  ASSERT_NE(kernel, nullptr);
  MmFreePagesFromMdl(mdl);  // documented since Windows 7: releases the system mapping
  EXPECT_TRUE(record.empty());
  EXPECT_FALSE(mapping_info(kernel).has_value());
  ExFreePool(mdl);

  PMDL mapped = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  ASSERT_NE(MmMapLockedPagesSpecifyCache(mapped, UserMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  MmFreePagesFromMdl(mapped);
  EXPECT_EQ(record.count(Rule::MdlFreedWhileMapped), 1u);
  EXPECT_TRUE(mdl_mappings(mapped).empty());
  ExFreePool(mapped);
}

TEST_P(Mdl, ASecondSystemMappingIsRefused) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  void* va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  MmUnmapLockedPages(va, mdl);
  release(mdl);
}

TEST_P(Mdl, MixedCachingOnOnePageIsRefused) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  void* va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, UserMode, MmNonCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  MmUnmapLockedPages(va, mdl);
  release(mdl);
}

TEST_P(Mdl, MappingFailureReturnsNullAndBugCheckOnFailureIsReported) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  fail_nth(FaultSite::Mdl, 1);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_TRUE(record.empty());
  fail_nth(FaultSite::Mdl, 1);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, TRUE, NormalPagePriority), nullptr);
  clear_faults();
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  release(mdl);
}

TEST_P(Mdl, InjectedFaultsFailPageAllocation) {
  KernelSession session(config());
  fail_nth(FaultSite::Mdl, 1);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE, MmCached, 0), nullptr);
  clear_faults();
  EXPECT_EQ(physical_pages_allocated(), 0u);
}

TEST_P(Mdl, FreeingPagesTwiceIsADoubleFree) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  MmFreePagesFromMdl(mdl);
  MmFreePagesFromMdl(mdl);
  EXPECT_EQ(record.count(Rule::MdlDoubleFree), 1u);
  ExFreePool(mdl);
  EXPECT_EQ(record.take().size(), 1u);
}

TEST_P(Mdl, FreeingUnknownOrReleasedMdlsIsReportedWithoutReadingThem) {
  KernelSession session(config());
  RecordViolations record;
  MDL on_stack{};
  MmFreePagesFromMdl(&on_stack);
  MmFreePagesFromMdl(reinterpret_cast<PMDL>(0x1234));
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  release(mdl);
  MmFreePagesFromMdl(mdl);  // already given back to pool
  EXPECT_EQ(record.count(Rule::MdlFreeUnknown), 3u);
  MmFreePagesFromMdl(nullptr);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(reinterpret_cast<PMDL>(0x1234), KernelMode, MmCached, nullptr, FALSE,
                                         NormalPagePriority),
            nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 2u);
}

TEST_P(Mdl, ACorruptedPfnArrayIsReportedAndTheRealPagesAreFreed) {
  KernelSession session(config());
  RecordViolations record;
  PMDL victim = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 2 * PAGE_SIZE);
  const PFN_NUMBER victim_page = MmGetMdlPfnArray(victim)[0];
  MmGetMdlPfnArray(mdl)[1] = victim_page;  // a stray write into the PFN array
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  MmFreePagesFromMdl(mdl);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 2u);
  EXPECT_TRUE(physical_page_allocated(victim_page));  // the other MDL's page was not taken away
  EXPECT_EQ(physical_pages_allocated(), 1u);
  ExFreePool(mdl);
  release(victim);
}

TEST_P(Mdl, FreeingTheMdlBeforeItsPagesIsReported) {
  KernelSession session(config());
  RecordViolations record;
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 2 * PAGE_SIZE);
  ExFreePool(mdl);
  auto v = record.take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, Rule::MdlLeak);
  EXPECT_NE(v[0].message.find("MmFreePagesFromMdl first"), std::string::npos);
  EXPECT_EQ(physical_pages_allocated(), 0u);  // the host takes them back so later checks stay exact
}

TEST_P(Mdl, BadArgumentsReturnNullAndAreReported) {
  KernelSession session(config());
  RecordViolations record;
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), 0, MmCached, 0), nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(8192), pa(4096), pa(0), PAGE_SIZE, MmCached, 0), nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(100), PAGE_SIZE, MmCached, 0), nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE, MmUSWCCached, 0), nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), SIZE_MAX, MmCached, 0), nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_AND_HOT_REMOVE),
            nullptr);
  EXPECT_EQ(MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(3 * PAGE_SIZE), 6 * PAGE_SIZE, MmCached,
                                    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS),
            nullptr);  // SkipBytes not a power of two
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 7u);
  PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, 5, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, 7), nullptr);
  mdl->ByteCount = 2 * PAGE_SIZE;  // a driver "growing" the MDL past its PFN array
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  mdl->ByteCount = PAGE_SIZE;
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 10u);
  MmUnmapLockedPages(reinterpret_cast<void*>(0x5000), mdl);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 11u);
  release(mdl);
}

TEST_P(Mdl, UnmappingWithAnotherMdlIsReported) {
  KernelSession session(config());
  RecordViolations record;
  PMDL a = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  PMDL b = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE);
  void* va = MmMapLockedPagesSpecifyCache(a, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  MmUnmapLockedPages(va, b);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  EXPECT_TRUE(mapping_info(va).has_value());
  MmUnmapLockedPages(va, a);
  MmUnmapLockedPages(va, a);  // twice
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 2u);
  release(a);
  release(b);
}

TEST_P(Mdl, IrqlRulesFollowTheDocumentation) {
  KernelSession session(config());
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE, MmCached, 0);  // allowed
  ASSERT_NE(mdl, nullptr);
  void* kernel = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
  EXPECT_NE(kernel, nullptr);
  EXPECT_EQ(MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
  KIRQL ignored;
  KeRaiseIrql(HIGH_LEVEL, &ignored);
  EXPECT_EQ(MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), PAGE_SIZE), nullptr);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 2u);
  KeLowerIrql(DISPATCH_LEVEL);
  MmUnmapLockedPages(kernel, mdl);
  KeLowerIrql(old);
  release(mdl);
  EXPECT_EQ(record.take().size(), 2u);
}

TEST_P(Mdl, LeaksAreReportedAtShutdownWithTheFirstCallSite) {
  RecordViolations record;
  unsigned line = 0;
  {
    std::optional<KernelSession> session(std::in_place, config());
    set_verifier_mode(VerifierMode::Record);
    line = __LINE__ + 1;
    PMDL leaked = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 2 * PAGE_SIZE);
    ASSERT_NE(MmMapLockedPagesSpecifyCache(leaked, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
    ASSERT_NE(MmAllocateContiguousMemory(PAGE_SIZE, pa(kAnywhere)), nullptr);
    session.reset();
  }
  auto v = record.take();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].rule, Rule::MdlLeak);
  EXPECT_EQ(v[0].line, line);
  EXPECT_NE(v[0].message.find("2 page(s) never freed"), std::string::npos);
  EXPECT_NE(v[0].message.find("MmFreeContiguousMemory"), std::string::npos);
  EXPECT_EQ(v[1].rule, Rule::PoolLeak);  // the MDL structure itself was never ExFreePool'ed
}

TEST_P(Mdl, ContiguousMemoryIsPhysicallyContiguousWithinLimitsAndBoundary) {
  KernelSession session(config());
  auto* va = static_cast<std::uint8_t*>(MmAllocateContiguousMemorySpecifyCache(
      5 * PAGE_SIZE, pa(kFourGiB), pa(kAnywhere), pa(64 * 1024), MmWriteCombined));
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(va) % PAGE_SIZE, 0u);
  EXPECT_EQ(va[0], kPoolUninitializedFill);  // documented: uninitialized
  const auto base = static_cast<std::uint64_t>(MmGetPhysicalAddress(va).QuadPart);
  EXPECT_GE(base, kFourGiB);
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(static_cast<std::uint64_t>(MmGetPhysicalAddress(va + i * PAGE_SIZE).QuadPart), base + i * PAGE_SIZE);
  }
  EXPECT_EQ(base / (64 * 1024), (base + 5 * PAGE_SIZE - 1) / (64 * 1024));
  EXPECT_EQ(mapping_info(va)->effective, MmWriteCombined);
  EXPECT_EQ(mapping_info(va)->mdl, nullptr);
  MmFreeContiguousMemory(va);
  EXPECT_EQ(physical_pages_allocated(), 0u);
}

TEST_P(Mdl, ContiguousMemoryMisuseIsReported) {
  KernelSession session(config());
  RecordViolations record;
  void* va = MmAllocateContiguousMemory(PAGE_SIZE, pa(kAnywhere));
  MmFreeContiguousMemory(va);
  MmFreeContiguousMemory(va);
  EXPECT_EQ(record.count(Rule::MdlDoubleFree), 1u);
  MmFreeContiguousMemory(reinterpret_cast<void*>(0x7000));
  EXPECT_EQ(record.count(Rule::MdlFreeUnknown), 1u);
  EXPECT_EQ(MmAllocateContiguousMemorySpecifyCache(0, pa(0), pa(kAnywhere), pa(0), MmCached), nullptr);
  EXPECT_EQ(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(kAnywhere), pa(3 * PAGE_SIZE), MmCached),
            nullptr);
  EXPECT_EQ(MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, pa(0), pa(kAnywhere), pa(2 * PAGE_SIZE), MmCached),
            nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 3u);
  void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 0x74736554);
  EXPECT_EQ(MmGetPhysicalAddress(block).QuadPart, 0);  // pool has no simulated pages: said clearly
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 4u);
  ExFreePool(block);
  EXPECT_EQ(MmAllocateContiguousMemory(kPhysicalExtentBytes + PAGE_SIZE, pa(kAnywhere)), nullptr);  // no such run
}

TEST_P(Mdl, IoAllocateMdlDescribesContiguousMemoryAndMapsIntoUserSpace) {
  KernelSession session(config());
  auto* buffer = static_cast<std::uint8_t*>(MmAllocateContiguousMemory(2 * PAGE_SIZE, pa(kAnywhere)));
  ASSERT_NE(buffer, nullptr);
  PMDL mdl = IoAllocateMdl(buffer + 100, PAGE_SIZE, FALSE, FALSE, nullptr);
  ASSERT_NE(mdl, nullptr);
  EXPECT_EQ(MmGetMdlVirtualAddress(mdl), buffer + 100);
  EXPECT_EQ(MmGetMdlByteOffset(mdl), 100u);
  MmBuildMdlForNonPagedPool(mdl);
  EXPECT_TRUE(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
  EXPECT_EQ(MmGetMdlPfnArray(mdl)[1] * PAGE_SIZE,
            static_cast<std::uint64_t>(MmGetPhysicalAddress(buffer + PAGE_SIZE).QuadPart));
  EXPECT_EQ(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buffer + 100);
  auto* user = static_cast<std::uint8_t*>(
      MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, nullptr, FALSE, NormalPagePriority));
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(BYTE_OFFSET(user), 100u);
  buffer[100 + 4000] = 0x3C;
  EXPECT_EQ(user[4000], 0x3C);
  MmUnmapLockedPages(user, mdl);
  IoFreeMdl(mdl);
  MmFreeContiguousMemory(buffer);
}

TEST_P(Mdl, IoMdlMisuseIsReported) {
  KernelSession session(config());
  RecordViolations record;
  void* block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 0x74736554);
  PMDL mdl = IoAllocateMdl(block, 64, FALSE, FALSE, nullptr);
  MmBuildMdlForNonPagedPool(mdl);  // host limit: pool has no simulated pages
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 1u);
  MmFreePagesFromMdl(mdl);  // not an MmAllocatePagesForMdl MDL
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 2u);
  EXPECT_EQ(IoAllocateMdl(block, 0, FALSE, FALSE, nullptr), nullptr);
  EXPECT_EQ(record.count(Rule::MdlBadArgument), 3u);
  IoFreeMdl(mdl);
  IoFreeMdl(mdl);
  EXPECT_EQ(record.count(Rule::MdlDoubleFree), 1u);
  IoFreeMdl(reinterpret_cast<PMDL>(0x40));
  EXPECT_EQ(record.count(Rule::MdlFreeUnknown), 1u);
  ExFreePool(block);
}

TEST_P(Mdl, ThreadsAllocateMapAndFreeConcurrently) {
  KernelSession session(config());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 50; ++i) {
        PMDL mdl = MmAllocatePagesForMdl(pa(0), pa(kAnywhere), pa(0), 4 * PAGE_SIZE);
        auto* va = static_cast<std::uint8_t*>(
            MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority));
        va[0] = 1;
        MmUnmapLockedPages(va, mdl);
        MmFreePagesFromMdl(mdl);
        ExFreePool(mdl);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(physical_pages_allocated(), 0u);
}

INSTANTIATE_TEST_SUITE_P(BothClocks, Mdl, ::testing::Values(ClockKind::Simulated, ClockKind::Real),
                         [](const auto& info) { return std::string(clock_kind_name(info.param)); });

} // namespace
