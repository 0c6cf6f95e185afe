// The executive pool: allocation routines, tag accounting, and every verifier rule the pool
// enforces (wrong tag, double free, unknown free, bad arguments, IRQL, overrun, write after free,
// leaks at shutdown).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include <wdm.h>

#include "wavert/host/faults.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

using namespace wavert::host;

namespace {

// A tag from its four characters in memory order, as pool dumps print it (WDK source writes
// them reversed: '1tsT' for "Tst1").
constexpr ULONG tag_of(const char (&name)[5]) {
  return static_cast<ULONG>(static_cast<unsigned char>(name[0])) |
         static_cast<ULONG>(static_cast<unsigned char>(name[1])) << 8 |
         static_cast<ULONG>(static_cast<unsigned char>(name[2])) << 16 |
         static_cast<ULONG>(static_cast<unsigned char>(name[3])) << 24;
}

constexpr ULONG kTag = tag_of("Tst1");
constexpr ULONG kOtherTag = tag_of("Oth2");

bool all_bytes(const void* p, std::size_t n, std::uint8_t value) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (b[i] != value) return false;
  }
  return true;
}

class Pool : public ::testing::TestWithParam<ClockKind> {
 protected:
  KernelConfig config() const {
    KernelConfig c;
    c.clock = GetParam();
    return c;
  }
};

TEST_P(Pool, ExAllocatePool2ReturnsZeroedMemoryAndCountsTheTag) {
  KernelSession session(config());
  auto* p = static_cast<std::uint8_t*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, kTag));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(all_bytes(p, 100, 0));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
  const PoolTagUsage u = pool_tag_usage(kTag);
  EXPECT_EQ(u.name, "Tst1");
  EXPECT_EQ(u.outstanding_count, 1u);
  EXPECT_EQ(u.outstanding_bytes, 100u);
  ExFreePoolWithTag(p, kTag);
  EXPECT_EQ(pool_tag_usage(kTag).outstanding_count, 0u);
  EXPECT_EQ(pool_tag_usage(kTag).frees, 1u);
}

TEST_P(Pool, UninitializedFlagAndWithTagShowAFillPatternNotZeros) {
  KernelSession session(config());
  void* a = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 64, kTag);
  void* b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, kTag);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(all_bytes(a, 64, kPoolUninitializedFill));
  EXPECT_TRUE(all_bytes(b, 64, kPoolUninitializedFill));
  ExFreePoolWithTag(a, kTag);
  ExFreePool(b);
}

TEST_P(Pool, ExAllocatePoolZeroZeroesAndUninitializedDoesNot) {
  KernelSession session(config());
  void* z = ExAllocatePoolZero(PagedPool, 33, kTag);
  void* u = ExAllocatePoolUninitialized(NonPagedPool, 33, kTag);
  ASSERT_NE(z, nullptr);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(all_bytes(z, 33, 0));
  EXPECT_TRUE(all_bytes(u, 33, kPoolUninitializedFill));
  ExFreePool(z);
  ExFreePool(u);
}

TEST_P(Pool, PageSizedBlocksArePageAlignedAndCacheAlignedFlagAlignsToALine) {
  KernelSession session(config());
  void* page = ExAllocatePool2(POOL_FLAG_PAGED, PAGE_SIZE, kTag);
  void* line = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 24, kTag);
  void* typed = ExAllocatePoolWithTag(NonPagedPoolNxCacheAligned, 24, kTag);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(page) % PAGE_SIZE, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(line) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(typed) % 64, 0u);
  ExFreePool(page);
  ExFreePool(line);
  ExFreePool(typed);
}

TEST_P(Pool, BlocksOfAPageOrLessNeverCrossAPageBoundary) {
  KernelSession session(config());
  std::vector<void*> blocks;
  for (std::size_t bytes : {1u, 15u, 16u, 100u, 1000u, 2049u, 4000u, 4080u, 4096u}) {
    for (int i = 0; i < 8; ++i) {
      void* p = ExAllocatePool2(POOL_FLAG_NON_PAGED, bytes, kTag);
      const auto first = reinterpret_cast<std::uintptr_t>(p);
      EXPECT_EQ(first / PAGE_SIZE, (first + bytes - 1) / PAGE_SIZE) << bytes << " bytes at " << p;
      EXPECT_EQ(first % 16, 0u);
      blocks.push_back(p);
    }
  }
  for (void* p : blocks) ExFreePoolWithTag(p, kTag);
}

TEST_P(Pool, TagAccountingKeepsHighWaterMarksPerTag) {
  KernelSession session(config());
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag));
  void* other = ExAllocatePool2(POOL_FLAG_NON_PAGED, 7, kOtherTag);
  for (int i = 0; i < 3; ++i) ExFreePoolWithTag(blocks[i], kTag);
  PoolTagUsage u = pool_tag_usage(kTag);
  EXPECT_EQ(u.outstanding_count, 2u);
  EXPECT_EQ(u.outstanding_bytes, 20u);
  EXPECT_EQ(u.peak_count, 5u);
  EXPECT_EQ(u.peak_bytes, 50u);
  EXPECT_EQ(u.allocations, 5u);
  EXPECT_EQ(u.frees, 3u);
  EXPECT_EQ(pool_tag_usage(kOtherTag).outstanding_bytes, 7u);
  EXPECT_EQ(pool_usage().size(), 2u);
  ExFreePoolWithTag(blocks[3], kTag);
  ExFreePoolWithTag(blocks[4], kTag);
  ExFreePoolWithTag(other, kOtherTag);
  EXPECT_EQ(pool_tag_usage(tag_of("None")).allocations, 0u);
}

TEST_P(Pool, FreedMemoryIsPoisoned) {
  KernelSession session(config());
  auto* p = static_cast<std::uint8_t*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 48, kTag));
  std::memset(p, 0x11, 48);
  ExFreePoolWithTag(p, kTag);
  // Still quarantined, so this read is of host memory the pool owns: it shows the poison a driver
  // that used the block after freeing it would read.
  EXPECT_TRUE(all_bytes(p, 48, kPoolFreedFill));
}

TEST_P(Pool, FreeingWithTheWrongTagIsReported) {
  KernelSession session(config());
  RecordViolations record;
  void* p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);
  ExFreePoolWithTag(p, kOtherTag);
  auto v = record.take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, Rule::PoolWrongTag);
  EXPECT_NE(v[0].message.find("'Oth2'"), std::string::npos);
  EXPECT_NE(v[0].message.find("'Tst1'"), std::string::npos);
  EXPECT_NE(v[0].file.find("pool_test.cpp"), std::string::npos);
}

TEST_P(Pool, DoubleFreeIsReportedWithTheFirstFreeSite) {
  KernelSession session(config());
  RecordViolations record;
  void* p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);
  ExFreePoolWithTag(p, kTag);
  ExFreePoolWithTag(p, kTag);
  ExFreePool(p);
  auto v = record.take();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].rule, Rule::PoolDoubleFree);
  EXPECT_EQ(v[1].rule, Rule::PoolDoubleFree);
  EXPECT_NE(v[0].message.find("already freed at"), std::string::npos);
}

TEST_P(Pool, FreeingUnknownAddressesIsReportedWithoutTouchingThem) {
  KernelSession session(config());
  RecordViolations record;
  ExFreePool(reinterpret_cast<void*>(0x10));                    // wild, unmapped
  ExFreePool(reinterpret_cast<void*>(0xFFFF800000001000ull));   // kernel-looking, unmapped
  int on_stack = 0;
  ExFreePoolWithTag(&on_stack, kTag);
  ExFreePool(nullptr);
  auto* p = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag));
  ExFreePool(p + 8);  // interior pointer
  EXPECT_EQ(record.count(Rule::PoolFreeUnknown), 5u);
  auto v = record.take();
  EXPECT_NE(v.back().message.find("8 bytes into a block"), std::string::npos);
  ExFreePool(p);
  EXPECT_TRUE(record.empty());
}

TEST_P(Pool, BadArgumentsReturnNullAndAreReported) {
  KernelSession session(config());
  RecordViolations record;
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 0), nullptr);                      // zero tag
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 0x00017F41), nullptr);             // 0x7F in tag
  EXPECT_EQ(ExAllocatePool2(0, 8, kTag), nullptr);                                     // no pool kind
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 8, kTag), nullptr);  // two kinds
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_SESSION, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED2, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, kTag), nullptr);                   // zero size
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(static_cast<POOL_TYPE>(99), 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(NonPagedPoolNx, 0, kTag), nullptr);
  EXPECT_EQ(record.count(Rule::PoolBadArgument), 10u);
  EXPECT_EQ(record.take().size(), 10u);
}

TEST_P(Pool, ShortTagsAndUnknownOptionalFlagsAreAccepted) {
  KernelSession session(config());
  RecordViolations record;
  void* p = ExAllocatePool2(POOL_FLAG_NON_PAGED | (1ull << 40), 8, 0x00006261);  // "ab", optional bit
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pool_tag_usage(0x00006261).name, "ab");
  ExFreePoolWithTag(p, 0x00006261);
  EXPECT_TRUE(record.empty());
}

TEST_P(Pool, HugeAndOverflowingSizesFailWithNull) {
  KernelSession session(config());
  RecordViolations record;
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, SIZE_MAX, kTag), nullptr);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, SIZE_MAX - 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(PagedPool, kPoolMaxAllocationBytes + 1, kTag), nullptr);
  EXPECT_TRUE(record.empty());  // out of memory is not a driver bug
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, SIZE_MAX, kTag), nullptr);
  EXPECT_EQ(record.count(Rule::PoolBadArgument), 1u);  // Windows would raise: say so
}

TEST_P(Pool, PagedPoolAboveApcLevelIsRefused) {
  KernelSession session(config());
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_PAGED, 8, kTag), nullptr);
  EXPECT_EQ(ExAllocatePoolWithTag(PagedPool, 8, kTag), nullptr);
  void* np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);  // fine at DISPATCH_LEVEL
  EXPECT_NE(np, nullptr);
  ExFreePool(np);
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 2u);
}

TEST_P(Pool, NonPagedPoolAboveDispatchLevelIsRefused) {
  KernelSession session(config());
  RecordViolations record;
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
  EXPECT_EQ(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag), nullptr);
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
}

TEST_P(Pool, FreeingPagedMemoryAtDispatchLevelIsReported) {
  KernelSession session(config());
  RecordViolations record;
  void* p = ExAllocatePool2(POOL_FLAG_PAGED, 8, kTag);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  ExFreePoolWithTag(p, kTag);
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
}

TEST_P(Pool, WritingPastTheEndIsReportedAtFree) {
  KernelSession session(config());
  RecordViolations record;
  auto* p = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag));
  p[10] = 1;  // one byte past the end: inside the guard
  ExFreePoolWithTag(p, kTag);
  auto v = record.take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, Rule::PoolOverrun);
  EXPECT_NE(v[0].message.find("1 bytes past its end"), std::string::npos);
}

TEST_P(Pool, WritingAfterFreeIsReportedWhenTheBlockLeavesQuarantine) {
  KernelSession session(config());
  RecordViolations record;
  auto* p = static_cast<char*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, kTag));
  ExFreePoolWithTag(p, kTag);
  p[5] = 42;  // the bug: still quarantined host memory, so this is defined for the host
  for (std::size_t i = 0; i < kPoolQuarantineBlocks + 1; ++i) ExFreePool(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag));
  auto v = record.take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, Rule::PoolWriteAfterFree);
  EXPECT_NE(v[0].message.find("offset 5"), std::string::npos);
}

TEST_P(Pool, InjectedFaultsFailTheNthAllocation) {
  KernelSession session(config());
  fail_nth(FaultSite::Pool, 2);
  void* a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag);
  void* b = ExAllocatePoolWithTag(NonPagedPoolNx, 8, kTag);
  void* c = ExAllocatePoolZero(NonPagedPoolNx, 8, kTag);
  clear_faults();
  EXPECT_NE(a, nullptr);
  EXPECT_EQ(b, nullptr);
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(pool_tag_usage(kTag).allocations, 2u);
  ExFreePool(a);
  ExFreePool(c);
}

TEST_P(Pool, LeaksAreReportedOnceAtShutdownByTagWithTheFirstCallSite) {
  RecordViolations record;
  unsigned first_line = 0;
  {
    std::optional<KernelSession> session(std::in_place, config());
    set_verifier_mode(VerifierMode::Record);  // the session set its own mode at boot
    first_line = __LINE__ + 1;
    ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag);
    ExAllocatePool2(POOL_FLAG_NON_PAGED, 20, kTag);
    ExAllocatePool2(POOL_FLAG_PAGED, 5, kOtherTag);
    void* freed = ExAllocatePool2(POOL_FLAG_NON_PAGED, 5, kOtherTag);
    ExFreePool(freed);
    session.reset();
  }
  auto v = record.take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, Rule::PoolLeak);
  EXPECT_EQ(v[0].line, first_line);
  EXPECT_NE(v[0].message.find("3 pool block(s)"), std::string::npos);
  EXPECT_NE(v[0].message.find("tag 'Tst1': 2 block(s), 30 bytes"), std::string::npos);
  EXPECT_NE(v[0].message.find("tag 'Oth2': 1 block(s), 5 bytes"), std::string::npos);
}

TEST_P(Pool, ManyThreadsAllocateAndFreeConsistently) {
  KernelSession session(config());
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kRounds; ++i) {
        auto* p = static_cast<std::uint8_t*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16 + (i % 64), kTag));
        p[0] = static_cast<std::uint8_t>(t);
        ExFreePoolWithTag(p, kTag);
      }
    });
  }
  for (auto& th : threads) th.join();
  const PoolTagUsage u = pool_tag_usage(kTag);
  EXPECT_EQ(u.allocations, static_cast<std::uint64_t>(kThreads * kRounds));
  EXPECT_EQ(u.frees, u.allocations);
  EXPECT_EQ(u.outstanding_count, 0u);
}

TEST(PoolLifecycle, EachSessionStartsWithEmptyAccounting) {
  {
    KernelSession session;
    ExFreePool(ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, kTag));
    EXPECT_EQ(pool_tag_usage(kTag).allocations, 1u);
  }
  KernelSession session;
  EXPECT_EQ(pool_tag_usage(kTag).allocations, 0u);
}

INSTANTIATE_TEST_SUITE_P(BothClocks, Pool, ::testing::Values(ClockKind::Simulated, ClockKind::Real),
                         [](const auto& info) { return std::string(clock_kind_name(info.param)); });

} // namespace
