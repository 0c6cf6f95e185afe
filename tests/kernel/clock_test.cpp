// The host clock: time queries in both kinds, run_for/run_until, HostThread scheduling, the
// event trace and bit-for-bit reproducible simulated runs.
#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "kernel/dispatcher_fixture.hpp"

using namespace wavert::host;
using namespace wavert::test;
using namespace std::chrono_literals;

namespace {

class Clock : public BothClocks {};
WAVERT_BOTH_CLOCKS(Clock);

TEST_P(Clock, PerformanceCounterRunsAtTenMegahertzFromTheOneClock) {
  LARGE_INTEGER frequency{};
  const LARGE_INTEGER first = KeQueryPerformanceCounter(&frequency);
  EXPECT_EQ(frequency.QuadPart, 10'000'000);
  EXPECT_EQ(qpc_frequency(), 10'000'000u);
  run_for(2ms);
  const LARGE_INTEGER second = KeQueryPerformanceCounter(nullptr);
  const std::uint64_t interrupt = KeQueryInterruptTime();
  EXPECT_GE(second.QuadPart - first.QuadPart, 2 * kMs);
  EXPECT_LE(static_cast<std::uint64_t>(second.QuadPart), interrupt) << "QPC and interrupt time share the clock";
  EXPECT_EQ(KeQueryUnbiasedInterruptTime() >= interrupt, true);
  EXPECT_EQ(KeQueryTimeIncrement(), 10'000u);
}

TEST_P(Clock, TickCountIsInterruptTimeInClockTicks) {
  LARGE_INTEGER ticks;
  KeQueryTickCount(&ticks);
  const std::uint64_t interrupt = KeQueryInterruptTime();
  EXPECT_LE(static_cast<std::uint64_t>(ticks.QuadPart), interrupt / KeQueryTimeIncrement());
  EXPECT_GE(static_cast<std::uint64_t>(ticks.QuadPart) + 1000, interrupt / KeQueryTimeIncrement());
}

TEST_P(Clock, CriticalRegionsMustPairUp) {
  KeEnterCriticalRegion();
  KeLeaveCriticalRegion();
  RecordViolations record;
  KeLeaveCriticalRegion();
  EXPECT_EQ(record.count(Rule::BadArgument), 1u);
}

TEST_P(Clock, SystemTimeCountsFrom1601) {
  LARGE_INTEGER system;
  KeQuerySystemTimePrecise(&system);
  if (sim()) {
    EXPECT_EQ(static_cast<std::uint64_t>(system.QuadPart), kSimSystemTimeEpoch100ns);
  } else {
    // 11644473600 s lie between 1601-01-01 and 1970-01-01.
    const std::int64_t unix_seconds = system.QuadPart / 10'000'000 - 11'644'473'600ll;
    EXPECT_NEAR(static_cast<double>(unix_seconds), static_cast<double>(std::time(nullptr)), 2.0);
  }
}

TEST_P(Clock, RunForLetsAtLeastThatMuchTimePass) {
  const std::uint64_t before = now_100ns();
  run_for(3ms);
  const std::uint64_t elapsed = now_100ns() - before;
  if (sim()) {
    EXPECT_EQ(elapsed, 3u * kMs);
  } else {
    EXPECT_GE(elapsed, 3u * kMs);
  }
}

TEST_P(Clock, RunUntilReturnsWhenThePredicateHolds) {
  KTIMER timer;
  KeInitializeTimer(&timer);
  const std::uint64_t before = now_100ns();
  KeSetTimer(&timer, relative_ms(7), nullptr);
  EXPECT_TRUE(run_until([&] { return KeReadStateTimer(&timer) != FALSE; }, 1s));
  if (sim()) {
    EXPECT_EQ(now_100ns(), before + 7 * kMs) << "checked right after the expiry, not later";
  }
  EXPECT_FALSE(run_until([] { return false; }, 2ms));
  if (sim()) {
    EXPECT_EQ(now_100ns(), before + 9 * kMs);
  }
}

TEST_P(Clock, HostThreadsTakeTurnsThroughEvents) {
  KEVENT ping, pong;
  KeInitializeEvent(&ping, SynchronizationEvent, FALSE);
  KeInitializeEvent(&pong, SynchronizationEvent, FALSE);
  std::vector<int> sequence;  // each side appends only while the other waits
  constexpr int kRounds = 200;
  HostThread player("player", [&] {
    for (int i = 0; i < kRounds; ++i) {
      KeWaitForSingleObject(&ping, Executive, KernelMode, FALSE, nullptr);
      sequence.push_back(2 * i + 1);
      KeSetEvent(&pong, IO_NO_INCREMENT, FALSE);
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    sequence.push_back(2 * i);
    KeSetEvent(&ping, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&pong, Executive, KernelMode, FALSE, nullptr);
  }
  player.join();
  ASSERT_EQ(sequence.size(), 2u * kRounds);
  for (int i = 0; i < 2 * kRounds; ++i) ASSERT_EQ(sequence[i], i);
}

TEST_P(Clock, StatisticsCountTimersAndDpcs) {
  KTIMER timer;
  KDPC dpc;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, [](PKDPC, PVOID, PVOID, PVOID) {}, nullptr);
  const ClockStats before = clock_stats();
  KeSetTimer(&timer, relative_ms(1), &dpc);
  KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
  KeFlushQueuedDpcs();
  const ClockStats after = clock_stats();
  EXPECT_EQ(after.timers_expired - before.timers_expired, 1u);
  EXPECT_EQ(after.dpcs_run - before.dpcs_run, 1u);
}

// ----- Simulated time: reproducible runs and speed --------------------------------------------

// A small machine: a periodic timer whose DPC wakes a consumer thread, a producer handing work
// to the consumer through a semaphore, work items and delays of odd lengths.
std::vector<std::string> run_scenario(std::uint64_t seed) {
  KernelConfig config;
  config.clock = ClockKind::Simulated;
  config.seed = seed;
  config.sim_start_uptime_100ns = 123'456'789;
  KernelSession session(config);
  TraceRecorder trace;

  struct Shared {
    KTIMER timer;
    KDPC dpc;
    KEVENT tick;
    KSEMAPHORE items;
    KMUTEX mutex;
    PIO_WORKITEM work = nullptr;
    int produced = 0;
    int consumed = 0;
    std::atomic<int> work_runs{0};
  } s;
  KeInitializeTimer(&s.timer);
  KeInitializeEvent(&s.tick, SynchronizationEvent, FALSE);
  KeInitializeSemaphore(&s.items, 0, 1000);
  KeInitializeMutex(&s.mutex, 0);
  KeInitializeDpc(&s.dpc, [](PKDPC, PVOID context, PVOID, PVOID) {
    KeSetEvent(&static_cast<Shared*>(context)->tick, IO_NO_INCREMENT, FALSE);
  }, &s);
  char device[16];
  s.work = IoAllocateWorkItem(reinterpret_cast<PDEVICE_OBJECT>(device));
  KeSetTimerEx(&s.timer, relative_100ns(7'777), 3, &s.dpc);

  HostThread consumer("consumer", [&] {
    for (int i = 0; i < 50; ++i) {
      PVOID objects[2] = {&s.tick, &s.items};
      LARGE_INTEGER timeout = relative_100ns(25'000);
      KeWaitForMultipleObjects(2, objects, WaitAny, Executive, KernelMode, FALSE, &timeout, nullptr);
      KeWaitForSingleObject(&s.mutex, Executive, KernelMode, FALSE, nullptr);
      ++s.consumed;
      KeReleaseMutex(&s.mutex, FALSE);
    }
  });
  HostThread producer("producer", [&] {
    for (int i = 0; i < 40; ++i) {
      LARGE_INTEGER delay = relative_100ns(11'111 + 1'000 * (i % 7));
      KeDelayExecutionThread(KernelMode, FALSE, &delay);
      KeWaitForSingleObject(&s.mutex, Executive, KernelMode, FALSE, nullptr);
      ++s.produced;
      KeReleaseMutex(&s.mutex, FALSE);
      KeReleaseSemaphore(&s.items, SEMAPHORE_INCREMENT, 1, FALSE);
      if (i % 10 == 0) {
        IoQueueWorkItem(s.work, [](PDEVICE_OBJECT, PVOID context) {
          ++static_cast<Shared*>(context)->work_runs;
        }, DelayedWorkQueue, &s);
      }
    }
  });
  producer.join();
  consumer.join();
  KeCancelTimer(&s.timer);
  KeFlushQueuedDpcs();
  run_for(1ms);
  IoFreeWorkItem(s.work);
  std::vector<std::string> lines = trace.canonical();
  lines.push_back("produced " + std::to_string(s.produced) + " consumed " + std::to_string(s.consumed) + " work " +
                  std::to_string(s.work_runs.load()) + " end " + std::to_string(now_100ns()));
  return lines;
}

TEST(SimulatedClock, TwoRunsWithOneSeedProduceIdenticalTraces) {
  const std::vector<std::string> first = run_scenario(42);
  const std::vector<std::string> second = run_scenario(42);
  ASSERT_GT(first.size(), 100u);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) ASSERT_EQ(first[i], second[i]) << "line " << i;
  // Every kind of event took part.
  for (const char* kind : {" timer ", " dpc ", " woken ", " timeout ", " work "}) {
    bool seen = false;
    for (const std::string& line : first) seen |= line.find(kind) != std::string::npos;
    EXPECT_TRUE(seen) << kind;
  }
}

TEST(SimulatedClock, TraceRecordsTimeKindObjectAndThread) {
  KernelSession session;
  TraceRecorder trace;
  KTIMER timer;
  KDPC dpc;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, [](PKDPC, PVOID, PVOID, PVOID) {}, nullptr);
  KeSetTimer(&timer, relative_ms(4), &dpc);
  KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE, nullptr);
  const std::vector<TraceEvent> events = trace.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, TraceKind::TimerExpired);
  EXPECT_EQ(events[0].object, &timer);
  EXPECT_EQ(events[0].time_100ns, 4 * kMs);
  EXPECT_EQ(events[1].kind, TraceKind::ThreadWoken);
  EXPECT_EQ(events[1].object, &timer);
  EXPECT_EQ(events[1].thread, 0u) << "main is logical thread 0";
  EXPECT_EQ(events[2].kind, TraceKind::DpcRun);
  EXPECT_EQ(events[2].object, &dpc);
}

TEST(SimulatedClock, AnHourOfAudioTimersTakesWellUnderASecondPerMinute) {
  KernelSession session;
  KTIMER period_timer, position_timer;
  KDPC period_dpc, position_dpc;
  static std::uint64_t fired;
  fired = 0;
  auto count = [](PKDPC, PVOID, PVOID, PVOID) { ++fired; };
  KeInitializeTimer(&period_timer);
  KeInitializeTimer(&position_timer);
  KeInitializeDpc(&period_dpc, count, nullptr);
  KeInitializeDpc(&position_dpc, count, nullptr);
  KeSetTimerEx(&period_timer, relative_ms(10), 10, &period_dpc);
  PEX_TIMER fast = ExAllocateTimer([](PEX_TIMER, PVOID) { ++fired; }, nullptr, EX_TIMER_HIGH_RESOLUTION);
  ExSetTimer(fast, -20'000, 20'000, nullptr);  // every 2 ms
  const auto wall_start = std::chrono::steady_clock::now();
  run_for(std::chrono::hours(1));
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  KeCancelTimer(&period_timer);
  ExDeleteTimer(fast, TRUE, TRUE, nullptr);
  EXPECT_EQ(fired, 360'000u + 1'800'000u);
  const double events_per_s = static_cast<double>(fired) / wall_s;
  RecordProperty("sim_events_per_second", std::to_string(static_cast<long long>(events_per_s)));
  EXPECT_GT(events_per_s, 100'000.0) << "simulated clock too slow: " << events_per_s << " events/s";
}

} // namespace

namespace {

TEST(SimulatedClock, JoiningAThreadThatCanNeverFinishIsADeadlockReportNotAHang) {
  std::optional<KernelSession> session;
  session.emplace();
  static KEVENT never;  // outlives the abandoned thread, which stays blocked on it
  KeInitializeEvent(&never, NotificationEvent, FALSE);
  RecordViolations record;
  {
    HostThread stuck("stuck", [] { KeWaitForSingleObject(&never, Executive, KernelMode, FALSE, nullptr); });
    stuck.join();
    EXPECT_FALSE(stuck.joinable());
  }
  EXPECT_EQ(record.count(Rule::Deadlock), 1u);
  session.reset();
  EXPECT_EQ(record.count(Rule::HostContract), 1u) << "shutdown names the thread left behind";
}

} // namespace
