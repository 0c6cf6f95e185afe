// The wavert conformance suite: holds any WaveRT miniport the host has loaded to the WaveRT
// contract and measures it the way Windows' HLK does (KS position test, notification timing,
// zero-glitch), through the KS boundary only -- it never reaches into the driver or the port.
//
//   Report report;
//   if (Status s = run({.endpoint = "all"}, &report); !s) ...   // could not run at all
//   report.passed();                                            // every check held
//
// Each Check names the endpoint, what was checked and, when it failed, what the driver did and
// what the contract wants, in words a driver writer can act on. Figures (position rate error,
// noise, notification jitter, glitch counts) are kept for --json and --plot.
//
// Threading: run() uses the calling thread (the session's thread) and, with busy_cores, spinning
// std::threads that never touch the host. Time: whatever clock the KernelSession runs on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wavert/client/endpoint.hpp"
#include "wavert/client/format.hpp"
#include "wavert/client/status.hpp"

namespace wavert::conformance {

// Certification limits of the KS position test: a driver above these fails.
inline constexpr double kMaxRateErrorPpm = 200.0;  // 0.02 %
inline constexpr double kMaxPositionSigmaMs = 0.3;
inline constexpr double kMaxPositionDeviationMs = 1.0;
// Notification timing: the mean event period within 0.5 % of buffer / NotificationCount, and no
// single interval further than this from it (one 1 ms DMA tick of lateness is normal hardware).
inline constexpr double kMaxNotificationMeanErrorPercent = 0.5;
inline constexpr double kMaxNotificationDeviationMs = 2.0;

struct Options {
  std::string endpoint = "all";  // an endpoint name, or "all"
  // The KS position test: this long of (QPC, position) pairs per endpoint and position source.
  double position_seconds = 60.0;
  // Between pairs: 4.618 ms. The fraction of a millisecond is the golden ratio's, so the sampling
  // phase against a 1 ms DMA tick spreads evenly instead of creeping (a creeping phase turns a
  // register's step lag into a fake rate error). 12 992 pairs per minute.
  std::uint32_t position_interval_100ns = 46'180;
  // The sample rate of the contract, position and notification runs (stereo 16-bit where the pin
  // takes it). 0: 48 kHz, Windows' shared-mode default, or the pin's first format if it has none.
  std::uint32_t sample_rate_hz = 0;
  // The cyclic buffer of the position and notification runs: 100 ms, two 50 ms notifications.
  std::uint32_t buffer_duration_us = 100'000;
  // The per-endpoint checks (contract, position, notifications); off for a zero-glitch-only run.
  bool endpoint_checks = true;
  // Zero-glitch: concurrent streams, how long, and whether every core is kept busy meanwhile.
  bool zero_glitch = true;
  std::uint32_t glitch_render_streams = 12;
  std::uint32_t glitch_capture_streams = 5;
  double glitch_seconds = 60.0;
  std::uint32_t glitch_buffer_duration_us = 20'000;
  bool busy_cores = false;
  // Format acceptance opens one pin per format the ranges admit; this caps it per endpoint.
  std::uint32_t max_formats = 1000;
};

struct Check {
  std::string endpoint;  // "" for checks over several endpoints
  std::string name;      // "position.rate", "contract.stop_resets", ...
  bool passed = false;
  std::string message;   // what was seen (and, when failed, what the contract wants)
};

struct PositionFigures {
  std::string source;  // "GetPosition" (KSPROPERTY_AUDIO_POSITION) or "register"
  std::size_t pairs = 0;
  double seconds = 0;
  double rate_error_ppm = 0;     // least-squares slope against the nominal rate
  double sigma_ms = 0;           // residual standard deviation
  double max_deviation_ms = 0;   // largest residual
  double granularity_ms = 0;     // longest time the position stood still while running
  // The sigma of a position that is exact but counted in whole frames: one frame / sqrt(12). No
  // frame-counting position scatters less; a driver that adds no noise of its own sits on it.
  double frame_floor_sigma_ms = 0;
  // Residual (ms) at time (s), thinned for plotting.
  std::vector<std::pair<double, double>> error_over_time;
};

struct NotificationFigures {
  double expected_ms = 0;  // buffer / NotificationCount
  std::size_t intervals = 0;
  double mean_ms = 0;
  double jitter_sigma_ms = 0;
  double max_deviation_ms = 0;
  std::vector<double> intervals_ms;
};

struct EndpointReport {
  std::string name;
  client::Direction direction = client::Direction::Render;
  std::string format;
  std::uint32_t buffer_frames = 0;
  std::vector<PositionFigures> positions;
  NotificationFigures notifications;
};

struct GlitchFigures {
  std::uint32_t render_streams = 0, capture_streams = 0;
  double seconds = 0;
  bool busy_cores = false;
  std::uint64_t frames_checked = 0;   // counter frames verified on the capture side
  std::uint64_t discontinuities = 0;  // counter jumps seen in the samples
  std::uint64_t client_glitches = 0;  // what the client's own accounting saw (for comparison)
};

struct Report {
  std::string clock;  // "simulated" / "real"
  std::vector<Check> checks;
  std::vector<EndpointReport> endpoints;
  GlitchFigures glitch;

  bool passed() const;
  std::size_t failures() const;
  // The first failed check named `name` (on any endpoint), or nullptr.
  const Check* failed(const std::string& name) const;
};

// Runs every check on the selected endpoints of the loaded drivers. Fails (without a report)
// only when the suite cannot start: no endpoint of that name, no endpoints at all.
client::Status run(const Options& options, Report* out);

// Every figure and check as JSON (nlohmann-json).
client::Status write_json(const Report& report, const std::string& path);
// Per endpoint: position-<endpoint>-<source>.svg (residual over time) and
// notifications-<endpoint>.svg (interval histogram). Creates `directory`.
client::Status write_plots(const Report& report, const std::string& directory);
// One line per check, then the figures table, for a terminal.
std::string summary(const Report& report);

}  // namespace wavert::conformance
