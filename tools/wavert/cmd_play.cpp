// `wavert play FILE`: streams an audio file through a render endpoint (the speaker), converting
// the sample type only when the endpoint cannot take the file's.
#include <cstdio>

#include "command.hpp"
#include "common.hpp"
#include "streaming.hpp"

namespace wavert::cli {
namespace {

class PlayCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("play", "Play an audio file (WAV, FLAC, OGG, ...) through the driver");
    sub->add_option("FILE", file_, "Audio file to play")->required();
    sub->add_option("--endpoint", endpoint_, "Render endpoint")->capture_default_str();
    sub->add_option("--sink", sink_, "Where the speaker's output goes: null, file:PATH, alsa:DEVICE (default: the "
                                     "driver's setting, null unless --config says otherwise)");
    sub->add_option("--mode", mode_, "Streaming mode: event, poll or packet")
        ->transform(CLI::CheckedTransformer(mode_words(), CLI::ignore_case))
        ->default_str("event");
    sub->add_option("--buffer-ms", buffer_ms_, "Cyclic buffer length in ms (two periods)")
        ->check(CLI::Range(1u, kMaxBufferMs))
        ->capture_default_str();
    sub->add_option("--clock", clock_, "real: play in real time; sim: simulated time, as fast as the host runs")
        ->transform(CLI::CheckedTransformer(clock_words(), CLI::ignore_case))
        ->default_str("real");
    return sub;
  }

  int run(const GlobalOptions& globals) override {
    install_interrupt_handler();  // first, so an early Ctrl-C still stops cleanly
    InputFile input(file_);
    MachineRequest request;
    request.clock = clock_;
    if (!sink_.empty()) {
      check_sink_spec(sink_);
      request.string_parameters["SpeakerSink"] = sink_;
    }
    auto machine = start_machine(globals, request);
    const client::Endpoint endpoint = find_endpoint(endpoint_, client::Direction::Render);
    const client::Format format = choose_device_format(endpoint, input.natural_format(), globals.verbosity);

    client::RenderStream stream;
    if (client::Status s = stream.open(endpoint, stream_config(format, mode_, buffer_ms_)); !s) fail(kExitError, "play", s);
    const RenderResult result = render(
        stream, [&](std::uint64_t frames, std::vector<std::byte>* out) { return input.read(format, frames, out); },
        input.frames(), "play", nullptr);
    const client::Glitches glitches = stream.glitches();
    stream.close();
    std::printf("played %llu frames (%.3f s) of %s on %s%s; glitches %llu\n",
                static_cast<unsigned long long>(result.frames), static_cast<double>(result.frames) / format.sample_rate_hz,
                format.to_string().c_str(), endpoint_word(endpoint).c_str(), result.interrupted ? " (interrupted)" : "",
                static_cast<unsigned long long>(glitches.count));
    return kExitOk;
  }

 private:
  std::string file_;
  std::string endpoint_ = "speaker";
  std::string sink_;
  client::Mode mode_ = client::Mode::Event;
  std::uint32_t buffer_ms_ = 20;
  host::ClockKind clock_ = host::ClockKind::Real;
};

}  // namespace

std::unique_ptr<Command> make_play_command() { return std::make_unique<PlayCommand>(); }

}  // namespace wavert::cli
