// Spin locks: they raise to DISPATCH_LEVEL, really exclude (real clock, two threads), and the
// verifier catches releases by non-holders, recursion and IRQL misuse.
#include <atomic>
#include <thread>

#include "kernel/dispatcher_fixture.hpp"

using namespace wavert::host;
using namespace wavert::test;

namespace {

class SpinLocks : public BothClocks {};
WAVERT_BOTH_CLOCKS(SpinLocks);

TEST_P(SpinLocks, AcquireRaisesToDispatchAndReleaseRestores) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_EQ(old, PASSIVE_LEVEL);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_FALSE(KeTestSpinLock(&lock));
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_TRUE(KeTestSpinLock(&lock));
}

TEST_P(SpinLocks, InStackQueuedLockRestoresTheIrqlItSaved) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KLOCK_QUEUE_HANDLE handle;
  KeAcquireInStackQueuedSpinLock(&lock, &handle);
  EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
  EXPECT_EQ(handle.OldIrql, PASSIVE_LEVEL);
  KLOCK_QUEUE_HANDLE inner;
  KSPIN_LOCK second;
  KeInitializeSpinLock(&second);
  KeAcquireInStackQueuedSpinLockAtDpcLevel(&second, &inner);
  KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner);
  KeReleaseInStackQueuedSpinLock(&handle);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  EXPECT_TRUE(KeTestSpinLock(&lock));
}

TEST_P(SpinLocks, TryAcquireFailsWhileAnotherThreadHoldsTheLock) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  std::atomic<int> result{-1};
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  // A plain OS thread is enough: it never blocks in the kernel API.
  std::thread other([&] {
    KIRQL o;
    KeRaiseIrql(DISPATCH_LEVEL, &o);
    result = KeTryToAcquireSpinLockAtDpcLevel(&lock);
    KeLowerIrql(o);
  });
  other.join();
  EXPECT_EQ(result.load(), FALSE);
  KeReleaseSpinLock(&lock, old);
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
  KeReleaseSpinLockFromDpcLevel(&lock);
  KeLowerIrql(old);
}

TEST_P(SpinLocks, ReleasingALockNobodyHoldsIsReported) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  RecordViolations record;
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(record.count(Rule::SpinLockNotHeld), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SpinLocks, ReleasingALockAnotherThreadHoldsIsReported) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  RecordViolations record;
  std::thread other([&] {
    KIRQL o;
    KeRaiseIrql(DISPATCH_LEVEL, &o);
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeLowerIrql(o);
  });
  other.join();
  EXPECT_EQ(record.count(Rule::SpinLockNotHeld), 1u);
  EXPECT_FALSE(KeTestSpinLock(&lock)) << "still held by its owner";
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(record.count(Rule::SpinLockNotHeld), 1u);
}

TEST_P(SpinLocks, RecursiveAcquireIsReportedInsteadOfSpinningForever) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  RecordViolations record;
  KeAcquireSpinLockAtDpcLevel(&lock);
  EXPECT_EQ(record.count(Rule::SpinLockRecursion), 1u);
  EXPECT_FALSE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
  EXPECT_EQ(record.count(Rule::SpinLockRecursion), 2u);
  KeReleaseSpinLock(&lock, old);
  EXPECT_TRUE(KeTestSpinLock(&lock));
}

TEST_P(SpinLocks, AtDpcLevelVariantsBelowDispatchAreReported) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  RecordViolations record;
  KeAcquireSpinLockAtDpcLevel(&lock);
  KeReleaseSpinLockFromDpcLevel(&lock);
  EXPECT_EQ(record.count(Rule::BadArgument), 2u);
  EXPECT_TRUE(KeTestSpinLock(&lock));
}

TEST_P(SpinLocks, ReleaseWithAnotherIrqlThanTheAcquireReturnedIsReported) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeRaiseIrql(APC_LEVEL, &old);
  KIRQL acquired;
  KeAcquireSpinLock(&lock, &acquired);
  EXPECT_EQ(acquired, APC_LEVEL);
  RecordViolations record;
  KeReleaseSpinLock(&lock, PASSIVE_LEVEL);
  EXPECT_EQ(record.count(Rule::SpinLockIrqlMismatch), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(SpinLocks, AcquireAboveDispatchIsReported) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  RecordViolations record;
  KIRQL acquired;
  KeAcquireSpinLock(&lock, &acquired);
  EXPECT_EQ(record.count(Rule::IrqlTooHigh), 1u);
  KeReleaseSpinLock(&lock, acquired);
  KeLowerIrql(old);
}

// Real clock: two threads really contend.
class RealSpinLocks : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelConfig config;
    config.clock = ClockKind::Real;
    session_.emplace(config);
  }
  void TearDown() override { session_.reset(); }
  std::optional<KernelSession> session_;
};

TEST_F(RealSpinLocks, ContendedLockKeepsACounterExactAcrossTwoThreads) {
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  constexpr int kIterations = 200'000;
  std::uint64_t counter = 0;  // guarded by lock; a plain variable, so a lost update would show
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  auto body = [&] {
    for (int i = 0; i < kIterations; ++i) {
      KIRQL old;
      KeAcquireSpinLock(&lock, &old);
      if (inside.fetch_add(1) != 0) ++overlaps;
      counter = counter + 1;
      inside.fetch_sub(1);
      KeReleaseSpinLock(&lock, old);
    }
  };
  std::thread a(body);
  std::thread b(body);
  a.join();
  b.join();
  EXPECT_EQ(counter, 2u * kIterations);
  EXPECT_EQ(overlaps.load(), 0);
}

} // namespace
