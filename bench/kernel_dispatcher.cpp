// Dispatcher costs: spin locks (beside a std::atomic_flag lock), KeQueryPerformanceCounter
// (beside clock_gettime), real-clock timer dispatch latency, simulated events per second.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <optional>

#include <wdm.h>

#include "wavert/host/clock.hpp"
#include "wavert/host/kernel.hpp"

using namespace wavert::host;

namespace {

std::optional<KernelSession> g_session;

void start(ClockKind kind) {
  g_session.reset();
  KernelConfig config;
  config.clock = kind;
  g_session.emplace(config);
}

void BM_SpinLockAcquireRelease(benchmark::State& state) {
  start(ClockKind::Real);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  for (auto _ : state) {
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    benchmark::ClobberMemory();
    KeReleaseSpinLock(&lock, old);
  }
  g_session.reset();
}
BENCHMARK(BM_SpinLockAcquireRelease);

void BM_SpinLockAtDpcLevel(benchmark::State& state) {
  start(ClockKind::Real);
  KSPIN_LOCK lock;
  KeInitializeSpinLock(&lock);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  for (auto _ : state) {
    KeAcquireSpinLockAtDpcLevel(&lock);
    benchmark::ClobberMemory();
    KeReleaseSpinLockFromDpcLevel(&lock);
  }
  KeLowerIrql(old);
  g_session.reset();
}
BENCHMARK(BM_SpinLockAtDpcLevel);

void BM_BaselineAtomicFlagLock(benchmark::State& state) {
  std::atomic_flag flag = ATOMIC_FLAG_INIT;
  for (auto _ : state) {
    while (flag.test_and_set(std::memory_order_acquire)) {
    }
    benchmark::ClobberMemory();
    flag.clear(std::memory_order_release);
  }
}
BENCHMARK(BM_BaselineAtomicFlagLock);

void BM_KeQueryPerformanceCounterReal(benchmark::State& state) {
  start(ClockKind::Real);
  for (auto _ : state) benchmark::DoNotOptimize(KeQueryPerformanceCounter(nullptr));
  g_session.reset();
}
BENCHMARK(BM_KeQueryPerformanceCounterReal);

void BM_KeQueryPerformanceCounterSimulated(benchmark::State& state) {
  start(ClockKind::Simulated);
  for (auto _ : state) benchmark::DoNotOptimize(KeQueryPerformanceCounter(nullptr));
  g_session.reset();
}
BENCHMARK(BM_KeQueryPerformanceCounterSimulated);

void BM_BaselineClockGettimeMonotonic(benchmark::State& state) {
  for (auto _ : state) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}
BENCHMARK(BM_BaselineClockGettimeMonotonic);

// Real clock: KeSetTimer due now -> the clock thread expires it -> its DPC runs -> the DPC sets
// an event the benchmark thread waits on. Reports the due-to-DPC latency separately.
void BM_RealTimerDispatch(benchmark::State& state) {
  start(ClockKind::Real);
  struct Context {
    KEVENT done;
    std::uint64_t due = 0;
    std::uint64_t latency_sum_100ns = 0;
  } context;
  KeInitializeEvent(&context.done, SynchronizationEvent, FALSE);
  KTIMER timer;
  KDPC dpc;
  KeInitializeTimer(&timer);
  KeInitializeDpc(&dpc, [](PKDPC, PVOID raw, PVOID, PVOID) {
    auto* c = static_cast<Context*>(raw);
    c->latency_sum_100ns += KeQueryInterruptTime() - c->due;
    KeSetEvent(&c->done, IO_NO_INCREMENT, FALSE);
  }, &context);
  for (auto _ : state) {
    LARGE_INTEGER due;
    due.QuadPart = -1;  // 100 ns from now
    context.due = KeQueryInterruptTime() + 1;
    KeSetTimer(&timer, due, &dpc);
    KeWaitForSingleObject(&context.done, Executive, KernelMode, FALSE, nullptr);
  }
  state.counters["due_to_dpc_us"] =
      benchmark::Counter(static_cast<double>(context.latency_sum_100ns) / 10.0 / static_cast<double>(state.iterations()));
  g_session.reset();
}
BENCHMARK(BM_RealTimerDispatch)->UseRealTime();

// Simulated clock: one hour of a 10 ms KTIMER plus a 2 ms high-resolution EX_TIMER, per iteration.
void BM_SimulatedEventsPerSecond(benchmark::State& state) {
  static std::uint64_t fired;
  std::uint64_t total = 0;
  for (auto _ : state) {
    start(ClockKind::Simulated);
    fired = 0;
    KTIMER timer;
    KDPC dpc;
    KeInitializeTimer(&timer);
    KeInitializeDpc(&dpc, [](PKDPC, PVOID, PVOID, PVOID) { ++fired; }, nullptr);
    KeSetTimerEx(&timer, LARGE_INTEGER{.QuadPart = -100'000}, 10, &dpc);
    PEX_TIMER fast = ExAllocateTimer([](PEX_TIMER, PVOID) { ++fired; }, nullptr, EX_TIMER_HIGH_RESOLUTION);
    ExSetTimer(fast, -20'000, 20'000, nullptr);
    run_for(std::chrono::hours(1));
    KeCancelTimer(&timer);
    ExDeleteTimer(fast, TRUE, TRUE, nullptr);
    total += fired;
    g_session.reset();
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatedEventsPerSecond)->Unit(benchmark::kMillisecond)->UseRealTime();

// Simulated clock: baton hand-overs between two logical threads (event ping-pong).
void BM_SimulatedThreadHandOff(benchmark::State& state) {
  start(ClockKind::Simulated);
  KEVENT ping, pong;
  KeInitializeEvent(&ping, SynchronizationEvent, FALSE);
  KeInitializeEvent(&pong, SynchronizationEvent, FALSE);
  std::atomic<bool> stop{false};
  HostThread player("player", [&] {
    for (;;) {
      KeWaitForSingleObject(&ping, Executive, KernelMode, FALSE, nullptr);
      if (stop) return;
      KeSetEvent(&pong, IO_NO_INCREMENT, FALSE);
    }
  });
  for (auto _ : state) {
    KeSetEvent(&ping, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(&pong, Executive, KernelMode, FALSE, nullptr);
  }
  stop = true;
  KeSetEvent(&ping, IO_NO_INCREMENT, FALSE);
  player.join();
  g_session.reset();
}
BENCHMARK(BM_SimulatedThreadHandOff)->UseRealTime();

} // namespace
