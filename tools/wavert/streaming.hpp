// The streaming loops `play`, `record` and `loopback` share: render a source a period at a time,
// capture until told to stop, both with Ctrl-C checks, progress and position statistics.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common.hpp"
#include "wavert/client/stream.hpp"

namespace wavert::cli {

// Fills `out` with up to `frames` frames; returns how many (0: the end).
using FrameSource = std::function<std::uint64_t(std::uint64_t frames, std::vector<std::byte>* out)>;

struct RenderResult {
  std::uint64_t frames = 0;   // frames written (the last packet's padding not counted)
  bool interrupted = false;   // Ctrl-C stopped it early
};

// Writes what `source` gives, one period at a time (so packet mode pads only the last packet),
// then drains. `total_frames` (0: unknown) and `label` feed the progress line. Stream failures
// are CliError(kExitError).
RenderResult render(client::RenderStream& stream, const FrameSource& source, std::uint64_t total_frames,
                    const std::string& label, PositionStats* stats);

// Starts the stream and reads whole chunks into `sink` until `done(frames so far)` is true or
// Ctrl-C. `progress` may be null. Returns the frames read.
std::uint64_t capture(client::CaptureStream& stream, const std::function<bool(std::uint64_t)>& done,
                      const std::function<void(std::span<const std::byte>)>& sink, Progress* progress,
                      const std::string& label);

client::StreamConfig stream_config(const client::Format& format, client::Mode mode, std::uint32_t buffer_ms);

}  // namespace wavert::cli
