// Simulated physical memory: the seeded scattered layout, sharing through the memfd, and the
// physical -> host translation the virtual DMA controller uses.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include <wdm.h>

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

PMDL allocate(SIZE_T bytes, std::uint64_t high = ~0ull) {
  return MmAllocatePagesForMdlEx(pa(0), pa(high), pa(0), bytes, MmCached, 0);
}

void release(PMDL mdl) {
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}

TEST(PhysicalMemory, HasTheConfiguredSizeInPagesScatteredBelowAndAbove4GiB) {
  KernelSession session;
  EXPECT_EQ(physical_memory_bytes(), session.config().physical_memory_bytes);
  const std::vector<PFN_NUMBER> frames = physical_page_frames();
  ASSERT_EQ(frames.size(), physical_memory_bytes() / PAGE_SIZE);
  EXPECT_EQ(physical_pages_total(), frames.size());
  EXPECT_EQ(physical_pages_free(), frames.size());
  const auto below = std::count_if(frames.begin(), frames.end(), [](PFN_NUMBER f) { return f * PAGE_SIZE < kFourGiB; });
  EXPECT_GT(below, 0);
  EXPECT_LT(below, static_cast<long>(frames.size()));
  EXPECT_EQ(std::set<PFN_NUMBER>(frames.begin(), frames.end()).size(), frames.size());  // all distinct
  // No frame in the legacy first 16 MiB, none beyond 64 GiB.
  for (PFN_NUMBER f : frames) {
    EXPECT_GE(f * PAGE_SIZE, 16ull << 20);
    EXPECT_LT(f * PAGE_SIZE, 64ull << 30);
  }
}

TEST(PhysicalMemory, LayoutIsDeterministicPerSeed) {
  auto frames_for = [](std::uint64_t seed) {
    KernelConfig config;
    config.seed = seed;
    KernelSession session(config);
    PMDL mdl = allocate(16 * PAGE_SIZE);
    std::vector<PFN_NUMBER> pfns(MmGetMdlPfnArray(mdl), MmGetMdlPfnArray(mdl) + 16);
    release(mdl);
    return std::make_pair(physical_page_frames(), pfns);
  };
  const auto a = frames_for(7);
  const auto b = frames_for(7);
  const auto c = frames_for(8);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
  EXPECT_NE(a.second, c.second);
}

TEST(PhysicalMemory, EachFrameHasItsOwnMemfdOffset) {
  KernelSession session;
  const std::vector<PFN_NUMBER> frames = physical_page_frames();
  for (std::size_t i = 0; i < frames.size(); i += 97) {
    ASSERT_EQ(physical_page_offset(frames[i]), std::optional<std::uint64_t>(i * PAGE_SIZE));
  }
  EXPECT_EQ(physical_page_offset(1), std::nullopt);  // below 16 MiB: not RAM
  EXPECT_GE(physical_memory_fd(), 0);
}

TEST(PhysicalMemory, AllocatedPagesTranslateToHostMemoryThatAliasesTheMapping) {
  KernelSession session;
  PMDL mdl = allocate(3 * PAGE_SIZE);
  auto* va = static_cast<std::uint8_t*>(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE,
                                                                     NormalPagePriority));
  ASSERT_NE(va, nullptr);
  const PFN_NUMBER second = MmGetMdlPfnArray(mdl)[1];
  va[PAGE_SIZE + 10] = 0x5A;
  auto* host = static_cast<std::uint8_t*>(physical_to_host(second * PAGE_SIZE + 10, 100));
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host[0], 0x5A);
  host[1] = 0xA5;  // a device write shows through the driver's mapping
  EXPECT_EQ(va[PAGE_SIZE + 11], 0xA5);
  EXPECT_TRUE(physical_page_allocated(second));
  MmUnmapLockedPages(va, mdl);
  release(mdl);
  EXPECT_FALSE(physical_page_allocated(second));
}

TEST(PhysicalMemory, DeviceAccessToFreedOrMissingPagesIsReported) {
  KernelSession session;
  RecordViolations record;
  PMDL mdl = allocate(PAGE_SIZE);
  const std::uint64_t page = MmGetMdlPfnArray(mdl)[0] * PAGE_SIZE;
  EXPECT_NE(physical_to_host(page, PAGE_SIZE), nullptr);
  EXPECT_EQ(physical_to_host(page + PAGE_SIZE - 4, 8), nullptr);  // runs into a page it does not own
  release(mdl);
  EXPECT_EQ(physical_to_host(page, 4), nullptr);  // stale address after free
  EXPECT_EQ(physical_to_host(0x1000, 4), nullptr);  // not RAM at all
  EXPECT_EQ(physical_to_host(~0ull - 2, 8), nullptr);  // wraps
  EXPECT_EQ(record.count(Rule::DmaToUnallocatedPage), 4u);
}

TEST(PhysicalMemory, ContiguousRangesTranslateAsOneHostRange) {
  KernelSession session;
  auto* va = static_cast<std::uint8_t*>(MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, pa(0), pa(~0ull),
                                                                               pa(0), MmCached));
  ASSERT_NE(va, nullptr);
  for (std::size_t i = 0; i < 3 * PAGE_SIZE; ++i) va[i] = static_cast<std::uint8_t>(i * 7);
  const PHYSICAL_ADDRESS base = MmGetPhysicalAddress(va);
  auto* host = static_cast<std::uint8_t*>(physical_to_host(static_cast<std::uint64_t>(base.QuadPart), 3 * PAGE_SIZE));
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(std::memcmp(host, va, 3 * PAGE_SIZE), 0);
  MmFreeContiguousMemory(va);
}

TEST(PhysicalMemory, ASecondProcessMapsTheSamePagesThroughTheMemfd) {
  KernelSession session;
  PMDL mdl = allocate(2 * PAGE_SIZE);
  auto* va = static_cast<volatile std::uint8_t*>(
      MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority));
  ASSERT_NE(va, nullptr);
  const std::uint64_t offset = *physical_page_offset(MmGetMdlPfnArray(mdl)[1]);
  const int fd = physical_memory_fd();
  const pid_t child = fork();
  if (child == 0) {
    // The child is "another process": it knows only the memfd and the page offset.
    void* p = mmap(nullptr, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(offset));
    if (p == MAP_FAILED) _exit(2);
    static_cast<volatile std::uint8_t*>(p)[123] = 0x77;
    _exit(0);
  }
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(va[PAGE_SIZE + 123], 0x77);
  MmUnmapLockedPages(const_cast<std::uint8_t*>(va), mdl);
  release(mdl);
}

TEST(PhysicalMemory, FreePageCountFollowsAllocations) {
  KernelSession session;
  const std::uint64_t total = physical_pages_total();
  PMDL mdl = allocate(5 * PAGE_SIZE);
  EXPECT_EQ(physical_pages_free(), total - 5);
  EXPECT_EQ(physical_pages_allocated(), 5u);
  release(mdl);
  EXPECT_EQ(physical_pages_free(), total);
}

} // namespace
