// What the subcommands share: starting the machine, finding endpoints, the words of the options
// (clock, mode, endpoint, sink/source specs), audio files through libsndfile, Ctrl-C, the progress
// line and position statistics.
#pragma once

#include <sndfile.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "command.hpp"
#include "wavert/client/endpoint.hpp"
#include "wavert/client/format.hpp"
#include "wavert/client/stream.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/runtime/machine.hpp"

namespace wavert::cli {

// ----- Option words ---------------------------------------------------------------------------

// CLI11 transformers: "real"/"sim" and "event"/"poll"/"packet"; anything else is a usage error.
const std::map<std::string, host::ClockKind>& clock_words();
const std::map<std::string, client::Mode>& mode_words();
// --buffer-ms: 1 .. 1000 ms. Zero cannot stream; beyond a second the driver's DMA memory and the
// notification pacing stop making sense for a player.
inline constexpr std::uint32_t kMaxBufferMs = 1000;

// `null`, `file:PATH`, `alsa:DEVICE` (docs/sinks-and-sources.md). Only the kind is checked here, so
// an unknown kind is a usage error; the driver checks the rest when it starts.
void check_sink_spec(const std::string& spec);
// `silence`, `tone:HZ[,DBFS]`, `file:PATH`, `cable`.
void check_source_spec(const std::string& spec);

// ----- The machine and its endpoints ------------------------------------------------------------

struct MachineRequest {
  host::ClockKind clock = host::ClockKind::Simulated;
  std::map<std::string, std::string> string_parameters;
};
// Boots the kernel and loads the driver; a failure is a CliError(kExitError) with the runtime's
// message.
std::unique_ptr<runtime::Machine> start_machine(const GlobalOptions& globals, const MachineRequest& request);

// The endpoint named `name`, compared without case ("speaker" finds the pin named "Speaker").
// Unknown names and a wrong direction are usage errors naming the endpoints there are.
client::Endpoint find_endpoint(const std::string& name, client::Direction direction);
// The name the CLI shows: the pin name in lower case.
std::string endpoint_word(const client::Endpoint& endpoint);

// "what failed: status message" as a CliError.
[[noreturn]] void fail(ExitCode code, const std::string& what, const client::Status& status);

// ----- Audio files ------------------------------------------------------------------------------

// An audio file libsndfile reads, and the device format its samples map onto exactly.
class InputFile {
 public:
  // Missing, unreadable or unsupported files are usage errors.
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const SF_INFO& info() const { return info_; }
  std::uint64_t frames() const { return static_cast<std::uint64_t>(info_.frames); }
  // The device format that holds the file's samples unchanged (int16 for 16-bit PCM, float32 for
  // float, ...), or float32 for what no device format holds exactly (64-bit float, Vorbis, ...).
  const client::Format& natural_format() const { return natural_; }
  bool natural_is_exact() const { return natural_exact_; }
  // Reads up to `frames` frames as `format`'s interleaved bytes (libsndfile converts when the
  // formats differ). Returns the frames read; 0 at the end.
  std::uint64_t read(const client::Format& format, std::uint64_t frames, std::vector<std::byte>* out);
  // Everything from the current position.
  std::vector<std::byte> read_all(const client::Format& format);

 private:
  std::string path_;
  SNDFILE* file_ = nullptr;
  SF_INFO info_{};
  client::Format natural_;
  bool natural_exact_ = true;
};

// The format the endpoint takes for a file in `natural` format: `natural` itself when the endpoint
// takes it; else, with the same rate and channels, float32, int32, int24, int16 in that order.
// Nothing fits: a usage error.
client::Format choose_device_format(const client::Endpoint& endpoint, const client::Format& natural, int verbosity);

// An audio file being written: to a temporary name beside `path`, renamed to `path` by commit().
// Destroyed without commit(), the temporary file is removed, so no partial file looks complete.
// Write errors (a full disk) are CliError(kExitError).
class OutputFile {
 public:
  // `sf_format` is libsndfile's major|subtype; an impossible combination is a usage error, a path
  // that cannot be created a kExitError.
  OutputFile(const std::string& path, int sf_format, const client::Format& device_format);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::span<const std::byte> interleaved);
  void commit();
  std::uint64_t frames_written() const { return frames_; }

 private:
  std::string path_, temp_path_;
  SNDFILE* file_ = nullptr;
  client::Format format_;
  std::uint64_t frames_ = 0;
  bool committed_ = false;
};

// libsndfile's major format for a file name's extension (.wav, .flac, .ogg, .aiff); usage error
// otherwise.
int sf_major_for_path(const std::string& path);

// ----- Ctrl-C, progress, statistics ---------------------------------------------------------------

// SIGINT (and SIGTERM) set a flag the streaming loops check, so they stop cleanly and finalise
// their files; a second Ctrl-C ends the process the default way.
void install_interrupt_handler();
bool interrupted();

// One line on stderr, rewritten in place, only when stderr is a terminal; at most 10 times per
// wall-clock second.
class Progress {
 public:
  Progress();
  ~Progress();  // ends the line
  void update(const std::string& line);

 private:
  bool enabled_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// (QPC time, device position) pairs: the least-squares rate against the nominal rate, and how far
// the position strays from that line.
class PositionStats {
 public:
  void add(std::uint64_t qpc, std::uint64_t frames);
  struct Summary {
    std::uint64_t samples = 0;
    double rate_hz = 0;       // fitted frames per second of QPC time
    double rate_error_ppm = 0;
    double residual_sigma_ms = 0;
    double residual_max_ms = 0;
  };
  Summary summarize(std::uint32_t nominal_rate_hz) const;

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> points_;
};

}  // namespace wavert::cli
