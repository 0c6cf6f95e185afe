// KTIMER, KDPC and EX_TIMER: expiry, periods without drift, cancellation, flushing, and the
// verifier's timer rules, in both clock kinds (exact times in simulated time).
#include <atomic>
#include <chrono>
#include <vector>

#include "kernel/dispatcher_fixture.hpp"
#include "wavert/host/faults.hpp"

namespace wavert::host::detail {
void dispatcher_on_free(const void* begin, std::size_t bytes, const WAVERT_CALL_SITE& site);
}

using namespace wavert::host;
using namespace wavert::test;
using namespace std::chrono_literals;

namespace {

// What a DPC saw each time it ran.
struct DpcLog {
  std::atomic<int> runs{0};
  std::vector<std::uint64_t> times_100ns;  // written only by DPCs, which run one at a time
  std::atomic<int> wrong_irql{0};
};

VOID LoggingDpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* log = static_cast<DpcLog*>(context);
  if (KeGetCurrentIrql() != DISPATCH_LEVEL) ++log->wrong_irql;
  log->times_100ns.push_back(KeQueryInterruptTime());
  ++log->runs;
}

class Timers : public BothClocks {};
WAVERT_BOTH_CLOCKS(Timers);

TEST_P(Timers, OneShotTimerSignalsAndRunsItsDpcOnceAtDispatchLevel) {
  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  // On the real clock the due time must outlast a descheduled test thread on a loaded CI machine
  // (2 ms did not, under the sanitizers), or "not signalled yet" is a race.
  const std::uint64_t due_ms = sim() ? 2 : 100;
  const std::uint64_t start = KeQueryInterruptTime();
  EXPECT_FALSE(KeSetTimer(&timer, relative_ms(due_ms), &dpc));
  EXPECT_FALSE(KeReadStateTimer(&timer));
  EXPECT_EQ(KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_TRUE(KeReadStateTimer(&timer));
  EXPECT_TRUE(run_until([&] { return log.runs.load() == 1; }, 1s));
  run_for(5ms);
  EXPECT_EQ(log.runs.load(), 1);
  EXPECT_EQ(log.wrong_irql.load(), 0);
  if (sim()) {
    EXPECT_EQ(log.times_100ns.at(0), start + due_ms * kMs);
  } else {
    EXPECT_GE(log.times_100ns.at(0), start + due_ms * kMs);
  }
}

TEST_P(Timers, SetTimerReturnsWhetherTheTimerWasAlreadySet) {
  KTIMER timer;
  KeInitializeTimerEx(&timer, SynchronizationTimer);
  EXPECT_FALSE(KeSetTimerEx(&timer, relative_ms(50), 0, nullptr));
  EXPECT_TRUE(KeSetTimerEx(&timer, relative_ms(1), 0, nullptr));
  EXPECT_EQ(KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_FALSE(KeReadStateTimer(&timer)) << "a synchronization timer resets when a wait takes it";
  EXPECT_FALSE(KeCancelTimer(&timer)) << "it expired: nothing to cancel";
}

TEST_P(Timers, CancelledTimerNeverFires) {
  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  KeSetTimer(&timer, relative_ms(2), &dpc);
  EXPECT_TRUE(KeCancelTimer(&timer));
  run_for(10ms);
  EXPECT_EQ(log.runs.load(), 0);
  EXPECT_FALSE(KeReadStateTimer(&timer));
}

TEST_P(Timers, PeriodicTimerFiresOncePerPeriod) {
  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  const std::uint64_t start_100ns = now_100ns();
  KeSetTimerEx(&timer, relative_ms(2), 2, &dpc);
  run_for(40ms);
  KeCancelTimer(&timer);
  const std::uint64_t elapsed_100ns = now_100ns() - start_100ns;
  KeFlushQueuedDpcs();
  if (sim()) {
    EXPECT_EQ(log.runs.load(), 20);
  } else {
    // A loaded machine may oversleep run_for; the timer can never fire more often than once per
    // 2 ms of the time that really passed.
    EXPECT_GE(log.runs.load(), 10);
    EXPECT_LE(log.runs.load(), static_cast<int>(elapsed_100ns / 20'000) + 1);
  }
}

TEST_P(Timers, HighResolutionExTimerRunsItsCallbackEveryPeriod) {
  struct Context {
    std::atomic<int> calls{0};
    std::vector<std::uint64_t> times_100ns;
    PEX_TIMER seen = nullptr;
  } context;
  auto callback = [](PEX_TIMER timer, PVOID raw) {
    auto* c = static_cast<Context*>(raw);
    c->seen = timer;
    c->times_100ns.push_back(KeQueryInterruptTime());
    ++c->calls;
  };
  PEX_TIMER timer = ExAllocateTimer(callback, &context, EX_TIMER_HIGH_RESOLUTION);
  ASSERT_NE(timer, nullptr);
  EXT_SET_PARAMETERS parameters;
  ExInitializeSetTimerParameters(&parameters);
  const std::uint64_t start = KeQueryInterruptTime();
  EXPECT_FALSE(ExSetTimer(timer, -5'000, 5'000, &parameters));  // 500 us, then every 500 us
  EXPECT_TRUE(run_until([&] { return context.calls.load() >= 10; }, 2s));
  EXPECT_TRUE(ExCancelTimer(timer, nullptr));
  KeFlushQueuedDpcs();
  EXPECT_EQ(context.seen, timer);
  if (sim()) {
    ASSERT_EQ(context.calls.load(), 10);
    for (int k = 0; k < 10; ++k) EXPECT_EQ(context.times_100ns[k], start + 5'000u * (k + 1));
  }
  EXPECT_FALSE(ExDeleteTimer(timer, TRUE, TRUE, nullptr));
}

TEST_P(Timers, ExTimerIsWaitableAndDeleteReportsCancellation) {
  PEX_TIMER timer = ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NOTIFICATION);
  ASSERT_NE(timer, nullptr);
  ExSetTimer(timer, -10'000, 0, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  EXPECT_EQ(ExSetTimer(timer, -10 * kMs, 0, nullptr), FALSE);
  static std::atomic<int> deleted;
  deleted = 0;
  EXT_DELETE_PARAMETERS parameters;
  ExInitializeDeleteTimerParameters(&parameters);
  parameters.DeleteCallback = [](PVOID context) { ++*static_cast<std::atomic<int>*>(context); };
  parameters.DeleteContext = &deleted;
  EXPECT_TRUE(ExDeleteTimer(timer, TRUE, TRUE, &parameters)) << "it was set: cancelled";
  EXPECT_EQ(deleted.load(), 1);
}

TEST_P(Timers, ExAllocateTimerFailsWhenInjectedAndRejectsContradictoryAttributes) {
  fail_nth(FaultSite::Timer, 1);
  EXPECT_EQ(ExAllocateTimer(nullptr, nullptr, 0), nullptr);
  clear_faults();
  RecordViolations record;
  EXPECT_EQ(ExAllocateTimer(nullptr, nullptr, EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE), nullptr);
  EXPECT_EQ(record.count(Rule::BadArgument), 1u);
}

class Dpcs : public BothClocks {};
WAVERT_BOTH_CLOCKS(Dpcs);

TEST_P(Dpcs, InsertingAQueuedDpcReturnsFalseAndRemoveTakesItOut) {
  KDPC dpc;
  DpcLog log;
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);  // a DPC queued at DISPATCH_LEVEL cannot run before we lower
  // The real clock's DPC thread may run it at once; the checks below allow for that.
  const BOOLEAN first = KeInsertQueueDpc(&dpc, nullptr, nullptr);
  const BOOLEAN second = KeInsertQueueDpc(&dpc, nullptr, nullptr);
  const BOOLEAN removed = KeRemoveQueueDpc(&dpc);
  KeLowerIrql(old);
  EXPECT_TRUE(first);
  if (sim()) {
    EXPECT_FALSE(second);
    EXPECT_TRUE(removed);
    KeFlushQueuedDpcs();
    EXPECT_EQ(log.runs.load(), 0);
  } else {
    KeFlushQueuedDpcs();
    EXPECT_EQ(log.runs.load() + (removed ? 1 : 0) - (second ? 1 : 0), 1)
        << "each successful insert runs once unless removed";
  }
}

TEST_P(Dpcs, FlushReturnsAfterQueuedDpcsHaveRun) {
  KDPC dpc;
  DpcLog log;
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  KeLowerIrql(old);
  KeFlushQueuedDpcs();
  EXPECT_EQ(log.runs.load(), 1);
  EXPECT_EQ(log.wrong_irql.load(), 0);
}

TEST_P(Dpcs, DpcThatReturnsAtAnotherIrqlIsReported) {
  KDPC dpc;
  KeInitializeDpc(&dpc, [](PKDPC, PVOID, PVOID, PVOID) { KeLowerIrql(PASSIVE_LEVEL); }, nullptr);
  RecordViolations record;
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  KeFlushQueuedDpcs();
  EXPECT_EQ(record.count(Rule::IrqlNotRestored), 1u);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_P(Dpcs, UninitializedDpcIsReported) {
  KDPC zeroed{};
  RecordViolations record;
  EXPECT_FALSE(KeInsertQueueDpc(&zeroed, nullptr, nullptr));
  EXPECT_EQ(record.count(Rule::InvalidObject), 1u);
}

TEST_P(Dpcs, RunOneAtATimeLikeOneProcessorsQueue) {
  // Two periodic timers whose DPCs spin for a while: their routines must never overlap.
  static std::atomic<int> inside;
  static std::atomic<int> overlaps;
  static std::atomic<int> runs;
  inside = 0;
  overlaps = 0;
  runs = 0;
  auto body = [](PKDPC, PVOID, PVOID, PVOID) {
    if (inside.fetch_add(1) != 0) ++overlaps;
    KeStallExecutionProcessor(100);
    inside.fetch_sub(1);
    ++runs;
  };
  KTIMER a, b;
  KDPC da, db;
  KeInitializeTimer(&a);
  KeInitializeTimer(&b);
  KeInitializeDpc(&da, body, nullptr);
  KeInitializeDpc(&db, body, nullptr);
  KeSetTimerEx(&a, relative_ms(1), 1, &da);
  KeSetTimerEx(&b, relative_ms(1), 1, &db);
  EXPECT_TRUE(run_until([] { return runs.load() >= 20; }, 5s));
  KeCancelTimer(&a);
  KeCancelTimer(&b);
  KeFlushQueuedDpcs();
  EXPECT_EQ(overlaps.load(), 0);
}

TEST_F(SimClock, DpcQueuedAtPassiveLevelRunsBeforeTheInsertReturns) {
  // One simulated processor: a DPC requested below DISPATCH_LEVEL interrupts at once.
  KDPC dpc;
  DpcLog log;
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(log.runs.load(), 1);
  EXPECT_EQ(log.wrong_irql.load(), 0);
  EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
  // Queued under a spin lock, it runs when the lock's release drops below DISPATCH_LEVEL.
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeAcquireSpinLock(&lock, &old);
  EXPECT_TRUE(KeInsertQueueDpc(&dpc, nullptr, nullptr));
  EXPECT_EQ(log.runs.load(), 1);
  KeReleaseSpinLock(&lock, old);
  EXPECT_EQ(log.runs.load(), 2);
}

// ----- Verifier: timers freed while set, leaks at shutdown ------------------------------------

class TimerRules : public BothClocks {};
WAVERT_BOTH_CLOCKS(TimerRules);

TEST_P(TimerRules, FreeingMemoryWithASetTimerIsReported) {
  struct DriverContext {
    KTIMER timer;
    KDPC dpc;
  } context;
  DpcLog log;
  KeInitializeTimer(&context.timer);
  KeInitializeDpc(&context.dpc, LoggingDpc, &log);
  KeSetTimerEx(&context.timer, relative_ms(100), 10, &context.dpc);
  RecordViolations record;
  detail::dispatcher_on_free(&context, sizeof context, WAVERT_HERE);
  EXPECT_EQ(record.count(Rule::TimerFreedWhileSet), 1u);
  run_for(150ms);
  EXPECT_EQ(log.runs.load(), 0) << "a reported timer is taken out of the queue";
  detail::dispatcher_on_free(&context, sizeof context, WAVERT_HERE);
  EXPECT_EQ(record.count(Rule::TimerFreedWhileSet), 1u) << "nothing set any more";
}

TEST_P(TimerRules, TimersDpcsAndWorkItemsLeftAtShutdownAreReported) {
  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  char device_storage[16];
  auto* device = reinterpret_cast<PDEVICE_OBJECT>(device_storage);
  RecordViolations record;
  KeSetTimer(&timer, relative_ms(1000), nullptr);
  PEX_TIMER ex_timer = ExAllocateTimer(nullptr, nullptr, 0);
  ASSERT_NE(ex_timer, nullptr);
  PIO_WORKITEM item = IoAllocateWorkItem(device);
  ASSERT_NE(item, nullptr);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  KeInsertQueueDpc(&dpc, nullptr, nullptr);
  // Simulated: at DISPATCH_LEVEL the DPC cannot have run, so it is still queued at shutdown.
  if (!sim()) KeLowerIrql(old);
  stop();
  KeLowerIrql(old);
  EXPECT_EQ(record.count(Rule::TimerLeak), 2u);
  EXPECT_EQ(record.count(Rule::WorkItemLeak), 1u);
  if (sim()) {
    EXPECT_EQ(record.count(Rule::DpcPendingAtShutdown), 1u);
  }
}

// ----- Simulated time: exact schedules --------------------------------------------------------

class SimTimers : public SimClock {};

TEST_F(SimTimers, PeriodicTimerDoesNotDriftOverAnHour) {
  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  log.times_100ns.reserve(360'001);
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  const std::uint64_t start = KeQueryInterruptTime();
  constexpr int kPeriods = 360'000;  // one hour of 10 ms periods
  KeSetTimerEx(&timer, relative_ms(10), 10, &dpc);
  run_for(std::chrono::hours(1));
  KeCancelTimer(&timer);
  ASSERT_EQ(log.runs.load(), kPeriods);
  for (int k = 0; k < kPeriods; ++k) {
    ASSERT_EQ(log.times_100ns[k], start + 10u * kMs * (k + 1)) << "expiry " << k;
  }
  EXPECT_EQ(KeQueryInterruptTime(), start + 36'000'000'000ull);
}

TEST_F(SimTimers, LateDpcDoesNotShiftLaterExpiries) {
  // A DPC that stalls the processor for 3 ms every 10 ms period: expiries stay on the grid.
  KTIMER timer;
  KDPC dpc;
  static std::vector<std::uint64_t> times;
  times.clear();
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, [](PKDPC, PVOID, PVOID, PVOID) {
    times.push_back(KeQueryInterruptTime());
    KeStallExecutionProcessor(3'000);
  }, nullptr);
  const std::uint64_t start = KeQueryInterruptTime();
  KeSetTimerEx(&timer, relative_ms(10), 10, &dpc);
  run_for(100ms);
  KeCancelTimer(&timer);
  ASSERT_EQ(times.size(), 10u);
  for (std::size_t k = 0; k < times.size(); ++k) EXPECT_EQ(times[k], start + 10u * kMs * (k + 1));
}

TEST_F(SimTimers, UptimeOfTwoHundredDaysGivesCorrectRelativeTimers) {
  const std::uint64_t uptime = 200ull * 24 * 3600 * 10'000'000;
  start(1, uptime);
  EXPECT_EQ(KeQueryInterruptTime(), uptime);
  LARGE_INTEGER frequency;
  EXPECT_EQ(static_cast<std::uint64_t>(KeQueryPerformanceCounter(&frequency).QuadPart), uptime);
  EXPECT_EQ(frequency.QuadPart, 10'000'000);
  LARGE_INTEGER system;
  KeQuerySystemTime(&system);
  EXPECT_EQ(static_cast<std::uint64_t>(system.QuadPart), kSimSystemTimeEpoch100ns);

  KTIMER timer;
  KDPC dpc;
  DpcLog log;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, LoggingDpc, &log);
  KeSetTimerEx(&timer, relative_ms(5), 7, &dpc);
  run_for(20ms);
  KeCancelTimer(&timer);
  ASSERT_EQ(log.runs.load(), 3);
  EXPECT_EQ(log.times_100ns[0], uptime + 5 * kMs);
  EXPECT_EQ(log.times_100ns[1], uptime + 12 * kMs);
  EXPECT_EQ(log.times_100ns[2], uptime + 19 * kMs);
}

TEST_F(SimTimers, AbsoluteDueTimeFiresAtThatSystemTime) {
  KTIMER timer;
  KeInitializeTimer(&timer);
  LARGE_INTEGER due;
  due.QuadPart = static_cast<LONGLONG>(kSimSystemTimeEpoch100ns + 42 * kMs);
  KeSetTimer(&timer, due, nullptr);
  EXPECT_EQ(KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr), STATUS_WAIT_0);
  LARGE_INTEGER now;
  KeQuerySystemTime(&now);
  EXPECT_EQ(now.QuadPart, due.QuadPart);
}

TEST_F(SimTimers, TimersDueTogetherFireInTheOrderTheyWereSet) {
  KTIMER timers[3];
  KDPC dpcs[3];
  static std::vector<int> order;
  order.clear();
  for (int i = 0; i < 3; ++i) {
    KeInitializeTimer(&timers[i]);
    KeInitializeDpc(&dpcs[i], [](PKDPC, PVOID context, PVOID, PVOID) {
      order.push_back(static_cast<int>(reinterpret_cast<intptr_t>(context)));
    }, reinterpret_cast<PVOID>(static_cast<intptr_t>(i)));
  }
  KeSetTimer(&timers[2], relative_ms(1), &dpcs[2]);
  KeSetTimer(&timers[0], relative_ms(1), &dpcs[0]);
  KeSetTimer(&timers[1], relative_ms(1), &dpcs[1]);
  run_for(2ms);
  EXPECT_EQ(order, (std::vector<int>{2, 0, 1}));
}

TEST_F(SimTimers, StallMovesSimulatedTimeByExactlyItsLength) {
  const std::uint64_t before = KeQueryInterruptTime();
  KeStallExecutionProcessor(250);
  EXPECT_EQ(KeQueryInterruptTime(), before + 2'500);
}

} // namespace
