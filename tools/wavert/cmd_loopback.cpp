// `wavert loopback IN OUT`: the README's main job. Plays IN on the speaker while a second thread
// records the speaker's loopback pin into OUT in IN's format, then proves nothing was lost: after
// the leading latency (which it measures and reports), OUT's samples equal IN's bit for bit.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "common.hpp"
#include "streaming.hpp"
#include "wavert/host/clock.hpp"

namespace wavert::cli {
namespace {

// First frame of `bytes` that is not digital silence (0x80 for 8-bit PCM, zero otherwise).
std::optional<std::uint64_t> first_sound(std::span<const std::byte> bytes, const client::Format& f) {
  const std::byte silence{static_cast<unsigned char>(f.container_bits == 8 ? 0x80 : 0)};
  const std::size_t frame = f.frame_bytes();
  for (std::size_t at = 0; at + frame <= bytes.size(); at += frame) {
    for (std::size_t b = 0; b < frame; ++b) {
      if (bytes[at + b] != silence) return at / frame;
    }
  }
  return std::nullopt;
}

struct Verdict {
  std::optional<std::int64_t> latency_frames;     // where IN starts in OUT (OUT frame − IN frame)
  std::optional<std::uint64_t> first_mismatch;    // IN frame of the first difference
  bool bit_exact = false;
};

// Aligns the capture on IN's first sound, then compares every frame of IN.
Verdict compare(std::span<const std::byte> in, std::span<const std::byte> captured, const client::Format& f) {
  Verdict v;
  const std::size_t frame = f.frame_bytes();
  const std::uint64_t in_frames = in.size() / frame;
  const auto in_start = first_sound(in, f);
  const auto cap_start = first_sound(captured, f);
  if (!in_start) {  // IN is silence: OUT must be too
    v.bit_exact = !cap_start || *cap_start >= in_frames;
    if (!v.bit_exact) v.first_mismatch = *cap_start;
    return v;
  }
  if (!cap_start) {
    v.first_mismatch = *in_start;
    return v;
  }
  const std::int64_t latency = static_cast<std::int64_t>(*cap_start) - static_cast<std::int64_t>(*in_start);
  if (latency < 0) {  // the capture holds less leading silence than IN: IN's start was lost
    v.first_mismatch = 0;
    return v;
  }
  v.latency_frames = latency;
  const std::uint64_t offset = static_cast<std::uint64_t>(latency);
  const std::uint64_t cap_frames = captured.size() / frame;
  for (std::uint64_t i = 0; i < in_frames; ++i) {
    if (offset + i >= cap_frames ||
        std::memcmp(in.data() + i * frame, captured.data() + (offset + i) * frame, frame) != 0) {
      v.first_mismatch = i;
      return v;
    }
  }
  v.bit_exact = true;
  return v;
}

// `captured` (float32, aligned at `latency`) against IN's samples read as 64-bit float.
Verdict compare_with_source(const std::string& in_path, std::span<const std::byte> captured, const client::Format& f,
                            std::uint64_t latency) {
  SF_INFO info{};
  SNDFILE* file = sf_open(in_path.c_str(), SFM_READ, &info);
  if (file == nullptr) throw CliError(kExitUsage, "cannot read '" + in_path + "': " + sf_strerror(nullptr));
  std::vector<double> source(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
  const sf_count_t got = sf_readf_double(file, source.data(), info.frames);
  sf_close(file);
  Verdict v;
  v.latency_frames = static_cast<std::int64_t>(latency);
  const std::size_t channels = f.channels;
  const std::uint64_t cap_frames = captured.size() / f.frame_bytes();
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(got); ++i) {
    for (std::size_t c = 0; c < channels; ++c) {
      float sample = 0;
      if (latency + i < cap_frames) {
        std::memcpy(&sample, captured.data() + ((latency + i) * channels + c) * 4, 4);
      }
      if (latency + i >= cap_frames || static_cast<double>(sample) != source[i * channels + c]) {
        v.first_mismatch = i;
        return v;
      }
    }
  }
  v.bit_exact = true;
  return v;
}

class LoopbackCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand(
        "loopback", "Play IN on the speaker, record the loopback pin into OUT, and check OUT equals IN bit for bit");
    sub->add_option("IN", in_, "Audio file to play")->required();
    sub->add_option("OUT", out_, "File to record into, in IN's format (.wav, .flac, .ogg, .aiff)")->required();
    sub->add_option("--mode", mode_, "Streaming mode of both streams: event, poll or packet")
        ->transform(CLI::CheckedTransformer(mode_words(), CLI::ignore_case))
        ->default_str("event");
    sub->add_option("--buffer-ms", buffer_ms_, "Cyclic buffer length of both streams in ms (two periods)")
        ->check(CLI::Range(1u, kMaxBufferMs))
        ->capture_default_str();
    sub->add_option("--clock", clock_, "sim: simulated time, as fast as the host runs; real: in real time")
        ->transform(CLI::CheckedTransformer(clock_words(), CLI::ignore_case))
        ->default_str("sim");
    sub->add_option("--sink", sink_, "Where the speaker's output also goes: null, file:PATH, alsa:DEVICE");
    sub->add_flag("--json", json_, "Print the result as one JSON object");
    return sub;
  }

  int run(const GlobalOptions& globals) override;

 private:
  std::string in_, out_, sink_;
  client::Mode mode_ = client::Mode::Event;
  std::uint32_t buffer_ms_ = 20;
  host::ClockKind clock_ = host::ClockKind::Simulated;
  bool json_ = false;
  PositionStats::Summary stats_;
  RenderResult rendered_;
};

int LoopbackCommand::run(const GlobalOptions& globals) {
  install_interrupt_handler();  // first, so an early Ctrl-C still stops cleanly
  InputFile input(in_);
  const int out_major = sf_major_for_path(out_);
  MachineRequest request;
  request.clock = clock_;
  if (!sink_.empty()) {
    check_sink_spec(sink_);
    request.string_parameters["SpeakerSink"] = sink_;
  }
  auto machine = start_machine(globals, request);
  const client::Endpoint speaker = find_endpoint("speaker", client::Direction::Render);
  const client::Endpoint loopback = find_endpoint("loopback", client::Direction::Capture);
  const client::Format format = choose_device_format(speaker, input.natural_format(), globals.verbosity);
  client::Format agreed;
  if (client::Status s = client::negotiate(loopback, format, &agreed); !s || agreed != format) {
    throw CliError(kExitUsage, "the loopback endpoint cannot record " + format.to_string());
  }
  // OUT in IN's format: IN's sample encoding in OUT's file type.
  const int out_format = out_major | (input.info().format & SF_FORMAT_SUBMASK);
  OutputFile output(out_, out_format, format);
  const std::vector<std::byte> played = input.read_all(format);
  const std::size_t frame = format.frame_bytes();
  const std::uint64_t in_frames = played.size() / frame;

  const client::StreamConfig config = stream_config(format, mode_, buffer_ms_);
  client::CaptureStream recorder;
  if (client::Status s = recorder.open(loopback, config); !s) fail(kExitError, "loopback: open the loopback pin", s);
  client::RenderStream player;
  if (client::Status s = player.open(speaker, config); !s) fail(kExitError, "loopback: open the speaker", s);
  if (client::Status s = recorder.start(); !s) fail(kExitError, "loopback: start the loopback pin", s);

  // The capture runs on its own logical thread while this one renders. After the render has
  // drained, it keeps recording a buffer and 20 ms more, so the tail that was still in the
  // loopback path reaches OUT.
  std::atomic<bool> render_done{false};
  std::vector<std::byte> captured;
  std::string capture_error;
  ExitCode capture_code = kExitOk;
  const std::uint64_t tail_frames = std::uint64_t{recorder.buffer_frames()} + format.frames_for_us(20'000);
  {
    host::HostThread capture_thread("loopback capture", [&] {
      std::optional<std::uint64_t> stop_at;
      try {
        capture(
            recorder,
            [&](std::uint64_t total) {
              if (!stop_at && render_done.load()) stop_at = total + tail_frames;
              return stop_at && total >= *stop_at;
            },
            [&](std::span<const std::byte> bytes) { captured.insert(captured.end(), bytes.begin(), bytes.end()); },
            nullptr, "");
      } catch (const CliError& e) {
        capture_error = e.what();
        capture_code = e.code();
      }
    });
    std::size_t next = 0;
    PositionStats stats;
    RenderResult rendered;
    try {
      rendered = render(
          player,
          [&](std::uint64_t frames, std::vector<std::byte>* out) {
            const std::uint64_t n = std::min<std::uint64_t>(frames, in_frames - next / frame);
            out->assign(played.begin() + static_cast<std::ptrdiff_t>(next),
                        played.begin() + static_cast<std::ptrdiff_t>(next + n * frame));
            next += n * frame;
            return n;
          },
          in_frames, "loopback", &stats);
    } catch (...) {
      render_done = true;
      capture_thread.join();
      throw;
    }
    render_done = true;
    capture_thread.join();
    stats_ = stats.summarize(format.sample_rate_hz);
    rendered_ = rendered;
  }
  if (capture_code != kExitOk) throw CliError(capture_code, capture_error);

  Verdict verdict = compare(played, captured, format);
  if (verdict.bit_exact && verdict.latency_frames && !input.natural_is_exact()) {
    // IN's samples were converted for the endpoint (64-bit float, a lossy codec): compare what
    // came back with IN's own samples, not with the converted ones.
    verdict = compare_with_source(in_, captured, format, static_cast<std::uint64_t>(*verdict.latency_frames));
  }
  // OUT: the leading latency, then as many frames as IN had.
  std::size_t keep = captured.size();
  if (verdict.latency_frames) keep = std::min<std::size_t>(keep, (static_cast<std::size_t>(*verdict.latency_frames) + in_frames) * frame);
  output.write(std::span<const std::byte>(captured.data(), keep));
  output.commit();

  const client::Glitches render_glitches = player.glitches();
  const client::Glitches capture_glitches = recorder.glitches();
  const double rate = format.sample_rate_hz;
  if (json_) {
    nlohmann::json j;
    j["in"] = in_;
    j["out"] = out_;
    j["format"] = format.to_string();
    j["mode"] = client::mode_name(mode_);
    j["clock"] = clock_ == host::ClockKind::Real ? "real" : "sim";
    j["bufferMs"] = buffer_ms_;
    j["frames"] = in_frames;
    j["framesPlayed"] = rendered_.frames;
    j["framesRecorded"] = keep / frame;
    j["interrupted"] = rendered_.interrupted;
    j["glitches"] = {{"render", render_glitches.count},
                     {"capture", capture_glitches.count},
                     {"total", render_glitches.count + capture_glitches.count},
                     {"framesLost", render_glitches.frames_lost + capture_glitches.frames_lost}};
    j["latency"] = verdict.latency_frames
                       ? nlohmann::json{{"frames", *verdict.latency_frames}, {"ms", *verdict.latency_frames * 1e3 / rate}}
                       : nlohmann::json(nullptr);
    j["position"] = {{"samples", stats_.samples},
                     {"rateHz", stats_.rate_hz},
                     {"rateErrorPpm", stats_.rate_error_ppm},
                     {"residualSigmaMs", stats_.residual_sigma_ms},
                     {"residualMaxMs", stats_.residual_max_ms}};
    j["firstMismatchFrame"] = verdict.first_mismatch ? nlohmann::json(*verdict.first_mismatch) : nlohmann::json(nullptr);
    j["bitExact"] = verdict.bit_exact;
    std::cout << j.dump(2) << '\n';
  } else {
    std::printf("loopback: played %llu frames (%.3f s) of %s, %s mode, %u ms buffer\n",
                static_cast<unsigned long long>(in_frames), in_frames / rate, format.to_string().c_str(),
                client::mode_name(mode_), buffer_ms_);
    if (verdict.latency_frames) {
      std::printf("latency:  %lld frames (%.3f ms)\n", static_cast<long long>(*verdict.latency_frames),
                  *verdict.latency_frames * 1e3 / rate);
    } else {
      std::printf("latency:  unknown (no sound to align on)\n");
    }
    std::printf("glitches: %llu render, %llu capture\n", static_cast<unsigned long long>(render_glitches.count),
                static_cast<unsigned long long>(capture_glitches.count));
    std::printf("position: rate %.3f Hz (%+.3f ppm), residual sigma %.4f ms, max %.4f ms (%llu samples)\n",
                stats_.rate_hz, stats_.rate_error_ppm, stats_.residual_sigma_ms, stats_.residual_max_ms,
                static_cast<unsigned long long>(stats_.samples));
    std::printf("recorded: %s\n", out_.c_str());
    if (verdict.bit_exact) {
      std::printf("result:   bit-exact\n");
    } else {
      std::printf("result:   NOT bit-exact\n");
    }
  }
  if (!verdict.bit_exact) {
    std::string why = rendered_.interrupted ? "interrupted before the end of IN"
                      : verdict.first_mismatch
                          ? "OUT differs from IN at IN frame " + std::to_string(*verdict.first_mismatch)
                          : "OUT differs from IN";
    std::fprintf(stderr, "wavert: loopback check failed: %s\n", why.c_str());
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> make_loopback_command() { return std::make_unique<LoopbackCommand>(); }

}  // namespace wavert::cli
