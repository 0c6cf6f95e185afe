// Events, mutexes, fast mutexes, semaphores and the waits on them, in both clock kinds.
#include <atomic>
#include <chrono>

#include "kernel/dispatcher_fixture.hpp"

using namespace wavert::host;
using namespace wavert::test;
using namespace std::chrono_literals;

namespace {

class Events : public BothClocks {};
WAVERT_BOTH_CLOCKS(Events);

TEST_P(Events, NotificationEventWakesTheWaiterAndStaysSignaled) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  std::atomic<NTSTATUS> status{STATUS_PENDING};
  HostThread waiter("waiter", [&] { status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); });
  run_for(2ms);
  EXPECT_EQ(status.load(), STATUS_PENDING);
  EXPECT_EQ(KeSetEvent(&event, IO_NO_INCREMENT, FALSE), 0);
  waiter.join();
  EXPECT_EQ(status.load(), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&event), 1);
  EXPECT_EQ(KeResetEvent(&event), 1);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
}

TEST_P(Events, SynchronizationEventReleasesOneWaiterPerSet) {
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  std::atomic<int> woken{0};
  auto body = [&] {
    EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
    ++woken;
  };
  HostThread a("a", body);
  HostThread b("b", body);
  run_for(2ms);
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  EXPECT_TRUE(run_until([&] { return woken.load() == 1; }, 1s));
  run_for(5ms);
  EXPECT_EQ(woken.load(), 1);
  EXPECT_EQ(KeReadStateEvent(&event), 0);  // the wake consumed the signal
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  a.join();
  b.join();
  EXPECT_EQ(woken.load(), 2);
}

TEST_P(Events, RelativeTimeoutExpiresAfterItsInterval) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER timeout = relative_ms(5);
  const std::uint64_t before = KeQueryInterruptTime();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
  const std::uint64_t elapsed = KeQueryInterruptTime() - before;
  if (sim()) {
    EXPECT_EQ(elapsed, 5u * kMs);
  } else {
    EXPECT_GE(elapsed, 5u * kMs);
    EXPECT_LT(elapsed, 500u * kMs);
  }
}

TEST_P(Events, AbsoluteTimeoutIsASystemTime) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  LARGE_INTEGER now;
  KeQuerySystemTime(&now);
  LARGE_INTEGER deadline;
  deadline.QuadPart = now.QuadPart + 3 * kMs;
  const std::uint64_t before = KeQueryInterruptTime();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &deadline), STATUS_TIMEOUT);
  const std::uint64_t elapsed = KeQueryInterruptTime() - before;
  if (sim()) {
    EXPECT_EQ(elapsed, 3u * kMs);
  } else {
    EXPECT_GE(elapsed, 2u * kMs);  // system and interrupt time are different host clocks
    EXPECT_LT(elapsed, 500u * kMs);
  }
}

TEST_P(Events, ZeroTimeoutPollsWithoutWaiting) {
  KEVENT event;
  KeInitializeEvent(&event, SynchronizationEvent, FALSE);
  LARGE_INTEGER zero{};
  const std::uint64_t before = KeQueryInterruptTime();
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  if (sim()) {
    EXPECT_EQ(KeQueryInterruptTime(), before);
  }
  KeSetEvent(&event, IO_NO_INCREMENT, FALSE);
  EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&event), 0);
}

TEST_P(Events, PulseWakesWaitersAndLeavesTheEventReset) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  std::atomic<NTSTATUS> status{STATUS_PENDING};
  HostThread waiter("waiter", [&] { status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr); });
  // A pulse reaches only threads already waiting; on a loaded host the waiter may start late, so
  // pulse until it has been released (simulated time needs exactly one).
  int pulses = 0;
  do {
    run_for(2ms);
    EXPECT_EQ(KePulseEvent(&event, IO_NO_INCREMENT, FALSE), 0);
    EXPECT_EQ(KeReadStateEvent(&event), 0);
    ++pulses;
  } while (!run_until([&] { return status.load() != STATUS_PENDING; }, 20ms) && pulses < 500);
  if (sim()) {
    EXPECT_EQ(pulses, 1);
  }
  waiter.join();
  EXPECT_EQ(status.load(), STATUS_WAIT_0);
}

class Waits : public BothClocks {};
WAVERT_BOTH_CLOCKS(Waits);

TEST_P(Waits, WaitAnyReturnsTheIndexOfTheSignaledObject) {
  KEVENT events[3];
  PVOID objects[3];
  for (int i = 0; i < 3; ++i) {
    KeInitializeEvent(&events[i], SynchronizationEvent, FALSE);
    objects[i] = &events[i];
  }
  std::atomic<NTSTATUS> status{STATUS_PENDING};
  HostThread waiter("waiter", [&] {
    status = KeWaitForMultipleObjects(3, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, nullptr);
  });
  run_for(1ms);
  KeSetEvent(&events[2], IO_NO_INCREMENT, FALSE);
  waiter.join();
  EXPECT_EQ(status.load(), STATUS_WAIT_0 + 2);
  EXPECT_EQ(KeReadStateEvent(&events[2]), 0);
}

TEST_P(Waits, WaitAllNeedsEveryObjectAndConsumesThemTogether) {
  KEVENT a, b;
  KeInitializeEvent(&a, SynchronizationEvent, FALSE);
  KeInitializeEvent(&b, SynchronizationEvent, FALSE);
  PVOID objects[2] = {&a, &b};
  std::atomic<NTSTATUS> status{STATUS_PENDING};
  HostThread waiter("waiter", [&] {
    status = KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, nullptr, nullptr);
  });
  run_for(1ms);
  KeSetEvent(&a, IO_NO_INCREMENT, FALSE);
  run_for(5ms);
  EXPECT_EQ(status.load(), STATUS_PENDING);
  EXPECT_EQ(KeReadStateEvent(&a), 1);  // not consumed while the wait is unsatisfied
  KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
  waiter.join();
  EXPECT_EQ(status.load(), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateEvent(&a), 0);
  EXPECT_EQ(KeReadStateEvent(&b), 0);
}

TEST_P(Waits, WaitAllTimesOutWhenOneObjectStaysUnsignaled) {
  KEVENT a, b;
  KeInitializeEvent(&a, NotificationEvent, TRUE);
  KeInitializeEvent(&b, NotificationEvent, FALSE);
  PVOID objects[2] = {&a, &b};
  LARGE_INTEGER timeout = relative_ms(2);
  EXPECT_EQ(KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, &timeout, nullptr),
            STATUS_TIMEOUT);
}

TEST_P(Waits, MoreThanThreeObjectsNeedAWaitBlockArray) {
  KEVENT events[4];
  PVOID objects[4];
  for (int i = 0; i < 4; ++i) {
    KeInitializeEvent(&events[i], NotificationEvent, i == 3);
    objects[i] = &events[i];
  }
  {
    RecordViolations record;
    EXPECT_EQ(KeWaitForMultipleObjects(4, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, nullptr),
              STATUS_INVALID_PARAMETER);
    EXPECT_EQ(record.count(Rule::BadArgument), 1u);
  }
  KWAIT_BLOCK blocks[4];
  EXPECT_EQ(KeWaitForMultipleObjects(4, objects, WaitAny, Executive, KernelMode, FALSE, nullptr, blocks),
            STATUS_WAIT_0 + 3);
}

TEST_P(Waits, WaitOnAnUninitializedObjectIsReported) {
  KEVENT zeroed{};
  RecordViolations record;
  LARGE_INTEGER timeout = relative_ms(1);
  EXPECT_EQ(KeWaitForSingleObject(&zeroed, Executive, KernelMode, FALSE, &timeout), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::InvalidObject), 1u);
}

TEST_P(Waits, BlockingWaitAtDispatchLevelIsReportedAndPolls) {
  KEVENT event;
  KeInitializeEvent(&event, NotificationEvent, FALSE);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  {
    RecordViolations record;
    EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, nullptr), STATUS_TIMEOUT);
    EXPECT_EQ(record.count(Rule::WaitAtDispatch), 1u);
    LARGE_INTEGER zero{};
    EXPECT_EQ(KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    EXPECT_EQ(record.count(Rule::WaitAtDispatch), 1u) << "a zero-timeout poll is legal at DISPATCH_LEVEL";
    LARGE_INTEGER delay = relative_ms(1);
    KeDelayExecutionThread(KernelMode, FALSE, &delay);
    EXPECT_EQ(record.count(Rule::WaitAtDispatch), 2u);
  }
  KeLowerIrql(old);
}

TEST_P(Waits, DelayExecutionSleepsForTheInterval) {
  LARGE_INTEGER delay = relative_ms(3);
  const std::uint64_t before = KeQueryInterruptTime();
  EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &delay), STATUS_SUCCESS);
  const std::uint64_t elapsed = KeQueryInterruptTime() - before;
  if (sim()) {
    EXPECT_EQ(elapsed, 3u * kMs);
  } else {
    EXPECT_GE(elapsed, 3u * kMs);
  }
}

class Mutexes : public BothClocks {};
WAVERT_BOTH_CLOCKS(Mutexes);

TEST_P(Mutexes, OwnerMayAcquireRecursivelyAndMustReleaseAsOften) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
  EXPECT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateMutex(&mutex), -1);
  std::atomic<NTSTATUS> other{STATUS_PENDING};
  HostThread contender("contender", [&] {
    other = KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr);
    KeReleaseMutex(&mutex, FALSE);
  });
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), -1);
  run_for(2ms);
  EXPECT_EQ(other.load(), STATUS_PENDING) << "still owned once";
  EXPECT_EQ(KeReleaseMutex(&mutex, FALSE), 0);
  contender.join();
  EXPECT_EQ(other.load(), STATUS_WAIT_0);
  EXPECT_EQ(KeReadStateMutex(&mutex), 1);
}

TEST_P(Mutexes, ReleaseByANonOwnerIsReported) {
  KMUTEX mutex;
  KeInitializeMutex(&mutex, 0);
  RecordViolations record;
  KeReleaseMutex(&mutex, FALSE);
  EXPECT_EQ(record.count(Rule::MutexNotOwned), 1u);
  ASSERT_EQ(KeWaitForSingleObject(&mutex, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  HostThread thief("thief", [&] { KeReleaseMutex(&mutex, FALSE); });
  thief.join();
  EXPECT_EQ(record.count(Rule::MutexNotOwned), 2u);
  EXPECT_EQ(KeReadStateMutex(&mutex), 0) << "the failed release changed nothing";
  KeReleaseMutex(&mutex, FALSE);
}

TEST_P(Mutexes, FastMutexRaisesToApcLevelAndExcludesOthers) {
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  ExAcquireFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
  std::atomic<int> tried{-1};
  std::atomic<bool> acquired{false};
  HostThread other("other", [&] {
    tried = ExTryToAcquireFastMutex(&mutex);
    ExAcquireFastMutex(&mutex);
    acquired = true;
    ExReleaseFastMutex(&mutex);
  });
  ASSERT_TRUE(run_until([&] { return tried.load() != -1; }, 5s));
  run_for(2ms);
  EXPECT_EQ(tried.load(), FALSE);
  EXPECT_FALSE(acquired.load());
  ExReleaseFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  other.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_GE(mutex.Contention, 1u);
  EXPECT_EQ(ExTryToAcquireFastMutex(&mutex), TRUE);
  ExReleaseFastMutex(&mutex);
}

TEST_P(Mutexes, FastMutexReleaseByNonOwnerAndRecursionAreReported) {
  FAST_MUTEX mutex;
  ExInitializeFastMutex(&mutex);
  RecordViolations record;
  ExReleaseFastMutex(&mutex);
  EXPECT_EQ(record.count(Rule::MutexNotOwned), 1u);
  ExAcquireFastMutex(&mutex);
  ExAcquireFastMutex(&mutex);  // would hang on Windows
  EXPECT_EQ(record.count(Rule::Deadlock), 1u);
  ExReleaseFastMutex(&mutex);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(Mutexes, SemaphoreCountsAndRefusesToPassItsLimit) {
  KSEMAPHORE semaphore;
  KeInitializeSemaphore(&semaphore, 1, 2);
  LARGE_INTEGER zero{};
  EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, &zero), STATUS_WAIT_0);
  EXPECT_EQ(KeWaitForSingleObject(&semaphore, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 2, FALSE), 0);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 2);
  RecordViolations record;
  EXPECT_EQ(KeReleaseSemaphore(&semaphore, SEMAPHORE_INCREMENT, 1, FALSE), 2);
  EXPECT_EQ(record.count(Rule::BadArgument), 1u);
  EXPECT_EQ(KeReadStateSemaphore(&semaphore), 2);
}

// ----- Simulated time only: deadlocks are reports, not hangs ---------------------------------

class Deadlocks : public SimClock {};

TEST_F(Deadlocks, AnInfiniteWaitNothingCanSatisfyIsReported) {
  KEVENT never;
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  RecordViolations record;
  const NTSTATUS status = KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr);
  EXPECT_EQ(static_cast<ULONG>(status), 0xC0000194u);  // STATUS_POSSIBLE_DEADLOCK
  const auto violations = record.take();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, Rule::Deadlock);
  EXPECT_NE(violations[0].message.find("thread 'main'"), std::string::npos) << violations[0].message;
  EXPECT_NE(violations[0].file.find("dispatcher_objects_test.cpp"), std::string::npos);
}

TEST_F(Deadlocks, TwoThreadsWaitingForEachOtherAreNamed) {
  KEVENT a, b;
  KeInitializeEvent(&a, NotificationEvent, FALSE);
  KeInitializeEvent(&b, NotificationEvent, FALSE);
  RecordViolations record;
  HostThread left("left", [&] {
    KeWaitForSingleObject(&a, Executive, KernelMode, FALSE, nullptr);
    KeSetEvent(&b, IO_NO_INCREMENT, FALSE);
  });
  KeWaitForSingleObject(&b, Executive, KernelMode, FALSE, nullptr);  // main: ended by the report
  ASSERT_GE(record.count(Rule::Deadlock), 1u);
  const auto violations = record.take();
  EXPECT_NE(violations[0].message.find("'left'"), std::string::npos) << violations[0].message;
  KeSetEvent(&a, IO_NO_INCREMENT, FALSE);
  left.join();
}

TEST_F(Deadlocks, AWaitWithATimeoutIsNoDeadlock) {
  KEVENT never;
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  RecordViolations record;
  LARGE_INTEGER timeout = relative_ms(1000);
  EXPECT_EQ(KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, &timeout), STATUS_TIMEOUT);
  EXPECT_TRUE(record.empty());
}

// ----- Interlocked ---------------------------------------------------------------------------

TEST(Interlocked, ReturnValuesFollowWindows) {
  volatile LONG value = 5;
  EXPECT_EQ(InterlockedIncrement(&value), 6);
  EXPECT_EQ(InterlockedDecrement(&value), 5);
  EXPECT_EQ(InterlockedExchange(&value, 9), 5);
  EXPECT_EQ(InterlockedCompareExchange(&value, 1, 8), 9);  // no match: unchanged
  EXPECT_EQ(value, 9);
  EXPECT_EQ(InterlockedCompareExchange(&value, 1, 9), 9);
  EXPECT_EQ(value, 1);
  EXPECT_EQ(InterlockedExchangeAdd(&value, 4), 1);
  EXPECT_EQ(InterlockedAdd(&value, 4), 9);
  EXPECT_EQ(InterlockedOr(&value, 6), 9);
  EXPECT_EQ(InterlockedAnd(&value, 3), 15);
  EXPECT_EQ(value, 3);
  volatile LONG64 wide = 1ll << 40;
  EXPECT_EQ(InterlockedIncrement64(&wide), (1ll << 40) + 1);
  EXPECT_EQ(InterlockedExchangeAdd64(&wide, 1), (1ll << 40) + 1);
  EXPECT_EQ(InterlockedCompareExchange64(&wide, 7, (1ll << 40) + 2), (1ll << 40) + 2);
  EXPECT_EQ(wide, 7);
  int a = 0, b = 0;
  PVOID volatile pointer = &a;
  EXPECT_EQ(InterlockedExchangePointer(&pointer, &b), &a);
  EXPECT_EQ(InterlockedCompareExchangePointer(&pointer, &a, &b), &b);
  EXPECT_EQ(pointer, &a);
}

} // namespace
