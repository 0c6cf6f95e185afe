#include "streaming.hpp"

#include <cstdio>

#include "wavert/host/clock.hpp"

namespace wavert::cli {

client::StreamConfig stream_config(const client::Format& format, client::Mode mode, std::uint32_t buffer_ms) {
  client::StreamConfig config;
  config.format = format;
  config.mode = mode;
  config.buffer_duration_us = buffer_ms * 1000u;
  return config;
}

namespace {

std::string seconds_text(std::uint64_t frames, std::uint32_t rate_hz) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(frames) / rate_hz);
  return text;
}

}  // namespace

RenderResult render(client::RenderStream& stream, const FrameSource& source, std::uint64_t total_frames,
                    const std::string& label, PositionStats* stats) {
  const client::Format format = stream.format();
  const std::uint32_t period = stream.period_frames();
  Progress progress;
  RenderResult result;
  std::vector<std::byte> chunk;
  for (;;) {
    if (interrupted()) {
      result.interrupted = true;
      break;
    }
    const std::uint64_t got = source(period, &chunk);
    if (got == 0) break;
    if (client::Status s = stream.write_all(std::span<const std::byte>(chunk)); !s) fail(kExitError, "play", s);
    result.frames += got;
    std::uint64_t played = 0;
    if (stream.state() == client::StreamState::Running) {
      if (client::Status s = stream.device_position(&played); !s) fail(kExitError, "play", s);
      if (stats != nullptr) stats->add(host::qpc_now(), played);
    }
    const double fill_ms = static_cast<double>(result.frames - std::min(result.frames, played)) * 1e3 / format.sample_rate_hz;
    char line[160];
    std::snprintf(line, sizeof line, "%s %s%s%s  buffer %.1f ms  glitches %llu", label.c_str(),
                  seconds_text(played, format.sample_rate_hz).c_str(), total_frames != 0 ? " / " : "",
                  total_frames != 0 ? seconds_text(total_frames, format.sample_rate_hz).c_str() : "", fill_ms,
                  static_cast<unsigned long long>(stream.glitches().count));
    progress.update(line);
  }
  if (client::Status s = stream.drain(); !s) fail(kExitError, "play: drain", s);
  return result;
}

std::uint64_t capture(client::CaptureStream& stream, const std::function<bool(std::uint64_t)>& done,
                      const std::function<void(std::span<const std::byte>)>& sink, Progress* progress,
                      const std::string& label) {
  const client::Format format = stream.format();
  const std::uint64_t period_us = std::uint64_t{stream.period_frames()} * 1'000'000 / format.sample_rate_hz;
  if (stream.state() != client::StreamState::Running) {
    if (client::Status s = stream.start(); !s) fail(kExitError, "record: start", s);
  }
  std::vector<std::byte> chunk(std::size_t{stream.buffer_frames()} * format.frame_bytes());
  std::uint64_t total = 0;
  while (!done(total) && !interrupted()) {
    std::uint32_t ready = 0;
    if (client::Status s = stream.readable_frames(&ready); !s) fail(kExitError, "record", s);
    if (ready == 0) {
      // Four periods without a notification means the device stopped moving.
      if (client::Status s = stream.wait(4 * period_us + 1'000); !s) fail(kExitError, "record", s);
      continue;
    }
    std::uint32_t got = 0;
    if (client::Status s = stream.read(chunk, &got); !s) fail(kExitError, "record", s);
    sink(std::span<const std::byte>(chunk.data(), std::size_t{got} * format.frame_bytes()));
    total += got;
    if (progress != nullptr) {
      char line[160];
      std::snprintf(line, sizeof line, "%s %s  glitches %llu", label.c_str(),
                    seconds_text(total, format.sample_rate_hz).c_str(),
                    static_cast<unsigned long long>(stream.glitches().count));
      progress->update(line);
    }
  }
  return total;
}

}  // namespace wavert::cli
