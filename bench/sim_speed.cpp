// Simulated seconds per wall second: how much faster than real time the simulated machine runs
// the driver, idle (the baseline: the kernel's timer wheel and the engine's tick with nothing to
// move) and with 1 and 12 + 5 streams running through the conformance suite's zero-glitch path.
#include <memory>

#include <benchmark/benchmark.h>

#include "wavert/conformance/conformance.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/runtime/machine.hpp"

namespace {

std::unique_ptr<wavert::runtime::Machine> start_machine() {
  wavert::runtime::MachineOptions options;
  options.string_parameters["MicrophoneSource"] = "cable";
  std::unique_ptr<wavert::runtime::Machine> machine;
  if (!wavert::runtime::Machine::start(options, &machine).ok()) return nullptr;
  return machine;
}

// Baseline: one simulated second of an idle machine per iteration.
void BM_SimIdle(benchmark::State& state) {
  auto machine = start_machine();
  if (!machine) return state.SkipWithError("machine did not start");
  for (auto _ : state) wavert::host::run_for(std::chrono::seconds(1));
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimIdle)->Unit(benchmark::kMillisecond)->UseRealTime();

// Ten simulated seconds of N render + M capture streams per iteration, counter checked.
void BM_SimStreams(benchmark::State& state) {
  auto machine = start_machine();
  if (!machine) return state.SkipWithError("machine did not start");
  wavert::conformance::Options options;
  options.endpoint_checks = false;
  options.glitch_render_streams = static_cast<std::uint32_t>(state.range(0));
  options.glitch_capture_streams = static_cast<std::uint32_t>(state.range(1));
  options.glitch_seconds = 10;
  for (auto _ : state) {
    wavert::conformance::Report report;
    if (!wavert::conformance::run(options, &report).ok() || !report.passed()) return state.SkipWithError("glitched");
  }
  state.counters["sim_s_per_wall_s"] =
      benchmark::Counter(10.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimStreams)->Args({1, 1})->Args({12, 5})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
