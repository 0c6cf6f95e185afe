// The smallest period that streams with zero glitches on the REAL clock, for 1 render + 1 capture,
// 3 + 2 and 12 + 5 concurrent streams: the conformance suite's zero-glitch run (a frame counter in
// the samples, read back through the loopback and the cable-fed microphone) at periods from 100 ms
// down, stopping at the first that glitches. Each trial is a fresh machine and lasts
// WAVERT_GLITCH_SECONDS (default 60) of wall time, so this program takes minutes: scripts/bench.sh
// runs it, scripts/test.sh never does.
//
// Counters: min_period_ms is the smallest period that passed (0: none did); trials is how many
// periods were tried. The baseline in the same run is the 1-stream case: what the machine
// manages with no concurrency at all.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "wavert/conformance/conformance.hpp"
#include "wavert/runtime/machine.hpp"

namespace {

double glitch_seconds() {
  const char* s = std::getenv("WAVERT_GLITCH_SECONDS");
  return s != nullptr ? std::atof(s) : 60.0;
}

// One trial: true when the counter came back with no discontinuity and the client saw no glitch.
bool streams_cleanly(std::uint32_t renders, std::uint32_t captures, std::uint32_t period_us, double seconds) {
  wavert::runtime::MachineOptions machine_options;
  machine_options.clock = wavert::host::ClockKind::Real;
  machine_options.string_parameters["MicrophoneSource"] = "cable";
  // WAVERT_CONFIG: a .reg file of device parameters (docs/driver-parameters.md), e.g. a deeper FIFO.
  if (const char* config = std::getenv("WAVERT_CONFIG")) machine_options.config_file = config;
  std::unique_ptr<wavert::runtime::Machine> machine;
  if (!wavert::runtime::Machine::start(machine_options, &machine).ok()) return false;
  wavert::conformance::Options options;
  options.endpoint_checks = false;
  options.glitch_render_streams = renders;
  options.glitch_capture_streams = captures;
  options.glitch_seconds = seconds;
  options.glitch_buffer_duration_us = 2 * period_us;
  wavert::conformance::Report report;
  if (!wavert::conformance::run(options, &report).ok()) return false;
  if (!report.passed() || report.glitch.client_glitches != 0)
    std::fprintf(stderr, "period %u us, %u+%u streams: %s", period_us, renders, captures, wavert::conformance::summary(report).c_str());
  return report.passed() && report.glitch.client_glitches == 0 && report.glitch.frames_checked > 0;
}

void BM_MinGlitchFreePeriod(benchmark::State& state) {
  const auto renders = static_cast<std::uint32_t>(state.range(0));
  const auto captures = static_cast<std::uint32_t>(state.range(1));
  const double seconds = glitch_seconds();
  double best_ms = 0;
  int trials = 0;
  for (auto _ : state) {
    for (std::uint32_t period_us : {100'000u, 50'000u, 20'000u, 10'000u, 5'000u, 3'000u, 2'000u, 1'000u}) {
      ++trials;
      if (!streams_cleanly(renders, captures, period_us, seconds)) break;
      best_ms = period_us / 1000.0;
    }
  }
  state.counters["min_period_ms"] = best_ms;
  state.counters["trials"] = trials;
  state.counters["seconds_per_trial"] = seconds;
}
BENCHMARK(BM_MinGlitchFreePeriod)->Args({1, 1})->Args({3, 2})->Args({12, 5})->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
