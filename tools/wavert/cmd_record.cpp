// `wavert record FILE`: records a capture endpoint (the microphone, or the speaker's loopback) into
// an audio file, for --seconds or until Ctrl-C.
#include <cmath>
#include <cstdio>

#include "command.hpp"
#include "common.hpp"
#include "streaming.hpp"

namespace wavert::cli {
namespace {

// --format words: the device sample format and the libsndfile subtype that holds it.
struct SampleWord {
  client::SampleType type;
  std::uint16_t bits;
  int sf_subtype;
};
const std::map<std::string, std::string>& format_words() {
  static const std::map<std::string, std::string> words{
      {"u8", "u8"}, {"int16", "int16"}, {"int24", "int24"}, {"int32", "int32"}, {"float32", "float32"}};
  return words;
}
SampleWord sample_word(const std::string& word, int sf_major) {
  if (word == "u8") return {client::SampleType::Int, 8, sf_major == SF_FORMAT_WAV ? SF_FORMAT_PCM_U8 : SF_FORMAT_PCM_S8};
  if (word == "int16") return {client::SampleType::Int, 16, SF_FORMAT_PCM_16};
  if (word == "int24") return {client::SampleType::Int, 24, SF_FORMAT_PCM_24};
  if (word == "int32") return {client::SampleType::Int, 32, SF_FORMAT_PCM_32};
  return {client::SampleType::Float, 32, SF_FORMAT_FLOAT};
}

class RecordCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("record", "Record a capture endpoint into an audio file (.wav, .flac, .ogg, .aiff)");
    sub->add_option("FILE", file_, "File to write (written under a temporary name, renamed when complete)")->required();
    sub->add_option("--endpoint", endpoint_, "Capture endpoint: microphone or loopback")->capture_default_str();
    sub->add_option("--seconds", seconds_, "How long to record (Ctrl-C stops earlier and keeps what was recorded)")
        ->check(CLI::Range(0.001, 86'400.0))
        ->capture_default_str();
    sub->add_option("--source", source_, "What the microphone hears: silence, tone:HZ[,DBFS], file:PATH, cable");
    sub->add_option("--format", format_, "Sample format: u8, int16, int24, int32, float32")
        ->transform(CLI::CheckedTransformer(format_words(), CLI::ignore_case))
        ->capture_default_str();
    sub->add_option("--rate", rate_hz_, "Sample rate in Hz")->check(CLI::Range(8'000u, 192'000u))->capture_default_str();
    sub->add_option("--channels", channels_, "Channels")->check(CLI::Range(1, 8))->capture_default_str();
    sub->add_option("--mode", mode_, "Streaming mode: event, poll or packet")
        ->transform(CLI::CheckedTransformer(mode_words(), CLI::ignore_case))
        ->default_str("event");
    sub->add_option("--buffer-ms", buffer_ms_, "Cyclic buffer length in ms (two periods)")
        ->check(CLI::Range(1u, kMaxBufferMs))
        ->capture_default_str();
    sub->add_option("--clock", clock_, "sim: simulated time, as fast as the host runs; real: in real time")
        ->transform(CLI::CheckedTransformer(clock_words(), CLI::ignore_case))
        ->default_str("sim");
    return sub;
  }

  int run(const GlobalOptions& globals) override {
    install_interrupt_handler();  // first, so an early Ctrl-C still stops cleanly
    const int sf_major = sf_major_for_path(file_);
    const SampleWord word = sample_word(format_, sf_major);
    const client::Format format =
        client::Format::make(word.type, rate_hz_, static_cast<std::uint16_t>(channels_), word.bits, word.bits);
    MachineRequest request;
    request.clock = clock_;
    if (!source_.empty()) {
      check_source_spec(source_);
      request.string_parameters["MicrophoneSource"] = source_;
    }
    auto machine = start_machine(globals, request);
    const client::Endpoint endpoint = find_endpoint(endpoint_, client::Direction::Capture);
    client::Format agreed;
    if (client::Status s = client::negotiate(endpoint, format, &agreed); !s || agreed != format) {
      throw CliError(kExitUsage, "the " + endpoint_word(endpoint) + " endpoint cannot record " + format.to_string());
    }
    OutputFile output(file_, sf_major | word.sf_subtype, format);

    client::CaptureStream stream;
    if (client::Status s = stream.open(endpoint, stream_config(format, mode_, buffer_ms_)); !s) fail(kExitError, "record", s);
    const auto wanted = static_cast<std::uint64_t>(std::llround(seconds_ * format.sample_rate_hz));
    std::uint64_t kept = 0;
    Progress progress;
    capture(
        stream, [&](std::uint64_t) { return kept >= wanted; },
        [&](std::span<const std::byte> bytes) {
          const std::uint64_t frames = std::min<std::uint64_t>(bytes.size() / format.frame_bytes(), wanted - kept);
          output.write(bytes.first(static_cast<std::size_t>(frames) * format.frame_bytes()));
          kept += frames;
        },
        &progress, "record");
    const client::Glitches glitches = stream.glitches();
    stream.close();
    output.commit();
    std::printf("recorded %llu frames (%.3f s) of %s from %s into %s%s; glitches %llu\n",
                static_cast<unsigned long long>(kept), static_cast<double>(kept) / format.sample_rate_hz,
                format.to_string().c_str(), endpoint_word(endpoint).c_str(), file_.c_str(),
                interrupted() ? " (interrupted)" : "", static_cast<unsigned long long>(glitches.count));
    return kExitOk;
  }

 private:
  std::string file_;
  std::string endpoint_ = "microphone";
  double seconds_ = 5.0;
  std::string source_;
  std::string format_ = "int16";
  std::uint32_t rate_hz_ = 48'000;
  int channels_ = 2;
  client::Mode mode_ = client::Mode::Event;
  std::uint32_t buffer_ms_ = 20;
  host::ClockKind clock_ = host::ClockKind::Simulated;
};

}  // namespace

std::unique_ptr<Command> make_record_command() { return std::make_unique<RecordCommand>(); }

}  // namespace wavert::cli
