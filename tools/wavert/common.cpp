#include "common.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "wavert/client/status.hpp"

namespace wavert::cli {

// ----- Option words ---------------------------------------------------------------------------

const std::map<std::string, host::ClockKind>& clock_words() {
  static const std::map<std::string, host::ClockKind> words{{"real", host::ClockKind::Real},
                                                            {"sim", host::ClockKind::Simulated}};
  return words;
}

const std::map<std::string, client::Mode>& mode_words() {
  static const std::map<std::string, client::Mode> words{
      {"event", client::Mode::Event}, {"poll", client::Mode::Poll}, {"packet", client::Mode::Packet}};
  return words;
}

namespace {

std::string spec_kind(const std::string& spec) { return spec.substr(0, spec.find(':')); }

bool has_argument(const std::string& spec) {
  const auto colon = spec.find(':');
  return colon != std::string::npos && colon + 1 < spec.size();
}

}  // namespace

void check_sink_spec(const std::string& spec) {
  const std::string kind = spec_kind(spec);
  if (spec == "null") return;
  if ((kind == "file" || kind == "alsa") && has_argument(spec)) return;
  throw CliError(kExitUsage, "unknown sink '" + spec + "' (sinks: null, file:PATH, alsa:DEVICE)");
}

void check_source_spec(const std::string& spec) {
  const std::string kind = spec_kind(spec);
  if (spec == "silence" || spec == "cable") return;
  if ((kind == "tone" || kind == "file") && has_argument(spec)) return;
  throw CliError(kExitUsage, "unknown source '" + spec + "' (sources: silence, tone:HZ[,DBFS], file:PATH, cable)");
}

// ----- The machine and its endpoints ------------------------------------------------------------

void fail(ExitCode code, const std::string& what, const client::Status& status) {
  throw CliError(code, what + ": " + status.message());
}

std::unique_ptr<runtime::Machine> start_machine(const GlobalOptions& globals, const MachineRequest& request) {
  runtime::MachineOptions options;
  options.clock = request.clock;
  options.config_file = globals.config_file;
  options.string_parameters = request.string_parameters;
  // -vv and more pass the driver's DbgPrintEx lines through.
  options.debug_print_level = globals.verbosity >= 2 ? static_cast<std::uint32_t>(globals.verbosity - 1) : 0;
  std::unique_ptr<runtime::Machine> machine;
  if (client::Status s = runtime::Machine::start(options, &machine); !s) fail(kExitError, "cannot start the driver", s);
  return machine;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string endpoint_word(const client::Endpoint& endpoint) { return lower(endpoint.name); }

client::Endpoint find_endpoint(const std::string& name, client::Direction direction) {
  std::vector<client::Endpoint> all;
  if (client::Status s = client::enumerate_endpoints(&all); !s) fail(kExitError, "cannot list endpoints", s);
  std::string names;
  for (client::Endpoint& e : all) {
    if (e.direction != direction) continue;
    if (endpoint_word(e) == lower(name)) return std::move(e);
    names += (names.empty() ? "" : ", ") + endpoint_word(e);
  }
  throw CliError(kExitUsage, std::string("no ") + client::direction_name(direction) + " endpoint named '" + name +
                                 "' (there are: " + (names.empty() ? "none" : names) + ")");
}

// ----- Audio files ------------------------------------------------------------------------------

namespace {

// Which libsndfile call moves samples of a device format: the one whose sample type holds them.
enum class SfSample { Short, Int, Float };
SfSample sf_sample_for(const client::Format& f) {
  if (f.sample_type == client::SampleType::Float) return SfSample::Float;
  return f.container_bits <= 16 ? SfSample::Short : SfSample::Int;
}

// libsndfile's left-justified samples <-> the device's container, exactly (docs: sf_readf_int
// gives a 24-bit sample in the top 24 bits; 8-bit device PCM is unsigned).
void sf_to_device(const client::Format& f, const void* from, std::size_t samples, std::byte* to) {
  switch (f.container_bits) {
    case 8: {
      const auto* s = static_cast<const short*>(from);
      for (std::size_t i = 0; i < samples; ++i) to[i] = static_cast<std::byte>((s[i] >> 8) + 128);
      return;
    }
    case 16: std::memcpy(to, from, samples * 2); return;
    case 24: {
      const auto* s = static_cast<const std::int32_t*>(from);
      for (std::size_t i = 0; i < samples; ++i) {
        const std::uint32_t v = static_cast<std::uint32_t>(s[i]) >> 8;
        to[3 * i] = static_cast<std::byte>(v);
        to[3 * i + 1] = static_cast<std::byte>(v >> 8);
        to[3 * i + 2] = static_cast<std::byte>(v >> 16);
      }
      return;
    }
    default: std::memcpy(to, from, samples * 4); return;  // int32, 24-in-32 (low byte zero), float32
  }
}

void device_to_sf(const client::Format& f, const std::byte* from, std::size_t samples, void* to) {
  switch (f.container_bits) {
    case 8: {
      auto* s = static_cast<short*>(to);
      for (std::size_t i = 0; i < samples; ++i) s[i] = static_cast<short>((static_cast<int>(from[i]) - 128) * 256);
      return;
    }
    case 16: std::memcpy(to, from, samples * 2); return;
    case 24: {
      auto* s = static_cast<std::int32_t*>(to);
      for (std::size_t i = 0; i < samples; ++i) {
        const std::uint32_t v = static_cast<std::uint32_t>(from[3 * i]) << 8 |
                                static_cast<std::uint32_t>(from[3 * i + 1]) << 16 |
                                static_cast<std::uint32_t>(from[3 * i + 2]) << 24;
        s[i] = static_cast<std::int32_t>(v);
      }
      return;
    }
    default: std::memcpy(to, from, samples * 4); return;
  }
}

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
  if (!std::filesystem::exists(path)) throw CliError(kExitUsage, "cannot read '" + path + "': no such file");
  file_ = sf_open(path.c_str(), SFM_READ, &info_);
  if (file_ == nullptr) {
    throw CliError(kExitUsage, "cannot read '" + path + "': " + sf_strerror(nullptr));
  }
  if (info_.channels < 1 || info_.channels > 8) {
    sf_close(file_);
    throw CliError(kExitUsage, "cannot play '" + path + "': " + std::to_string(info_.channels) +
                                   " channels (the driver takes 1 to 8)");
  }
  const auto rate = static_cast<std::uint32_t>(info_.samplerate);
  const auto channels = static_cast<std::uint16_t>(info_.channels);
  switch (info_.format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: natural_ = client::Format::pcm8(rate, channels); break;
    case SF_FORMAT_PCM_16: natural_ = client::Format::pcm16(rate, channels); break;
    case SF_FORMAT_PCM_24: natural_ = client::Format::pcm24(rate, channels); break;
    case SF_FORMAT_PCM_32: natural_ = client::Format::pcm32(rate, channels); break;
    case SF_FORMAT_FLOAT: natural_ = client::Format::float32(rate, channels); break;
    default:  // 64-bit float, Vorbis, Opus, A-law, ...: decoded to float32, the widest the device takes
      natural_ = client::Format::float32(rate, channels);
      natural_exact_ = false;
      break;
  }
}

InputFile::~InputFile() {
  if (file_ != nullptr) sf_close(file_);
}

std::uint64_t InputFile::read(const client::Format& format, std::uint64_t frames, std::vector<std::byte>* out) {
  const std::size_t samples = static_cast<std::size_t>(frames) * format.channels;
  out->resize(static_cast<std::size_t>(frames) * format.frame_bytes());
  sf_count_t got = 0;
  switch (sf_sample_for(format)) {
    case SfSample::Short: {
      std::vector<short> buf(samples);
      got = sf_readf_short(file_, buf.data(), static_cast<sf_count_t>(frames));
      sf_to_device(format, buf.data(), static_cast<std::size_t>(got) * format.channels, out->data());
      break;
    }
    case SfSample::Int: {
      std::vector<int> buf(samples);
      got = sf_readf_int(file_, buf.data(), static_cast<sf_count_t>(frames));
      sf_to_device(format, buf.data(), static_cast<std::size_t>(got) * format.channels, out->data());
      break;
    }
    case SfSample::Float: {
      std::vector<float> buf(samples);
      got = sf_readf_float(file_, buf.data(), static_cast<sf_count_t>(frames));
      sf_to_device(format, buf.data(), static_cast<std::size_t>(got) * format.channels, out->data());
      break;
    }
  }
  if (got < 0 || sf_error(file_) != SF_ERR_NO_ERROR) {
    throw CliError(kExitUsage, "cannot read '" + path_ + "': " + sf_strerror(file_));
  }
  out->resize(static_cast<std::size_t>(got) * format.frame_bytes());
  return static_cast<std::uint64_t>(got);
}

std::vector<std::byte> InputFile::read_all(const client::Format& format) {
  std::vector<std::byte> all, chunk;
  while (read(format, 65'536, &chunk) != 0) all.insert(all.end(), chunk.begin(), chunk.end());
  return all;
}

client::Format choose_device_format(const client::Endpoint& endpoint, const client::Format& natural, int verbosity) {
  std::vector<client::Format> candidates{natural};
  const std::uint32_t rate = natural.sample_rate_hz;
  const std::uint16_t ch = natural.channels;
  for (const auto& f : {client::Format::float32(rate, ch), client::Format::pcm32(rate, ch),
                        client::Format::pcm24(rate, ch), client::Format::pcm16(rate, ch)}) {
    if (f != natural) candidates.push_back(f);
  }
  for (const auto& wanted : candidates) {
    client::Format agreed;
    if (!client::negotiate(endpoint, wanted, &agreed)) continue;
    if (agreed != wanted) continue;  // only conversions of the sample type, never of rate or channels
    if (wanted != natural && verbosity > 0) {
      std::fprintf(stderr, "wavert: %s does not take %s; converting to %s\n", endpoint_word(endpoint).c_str(),
                   natural.to_string().c_str(), wanted.to_string().c_str());
    }
    return wanted;
  }
  throw CliError(kExitUsage, "the " + endpoint_word(endpoint) + " endpoint takes no format with " +
                                 std::to_string(rate) + " Hz and " + std::to_string(ch) + " channels (see 'wavert info')");
}

int sf_major_for_path(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  ext = lower(ext);
  if (ext == ".wav") return SF_FORMAT_WAV;
  if (ext == ".flac") return SF_FORMAT_FLAC;
  if (ext == ".ogg" || ext == ".oga") return SF_FORMAT_OGG;
  if (ext == ".aif" || ext == ".aiff") return SF_FORMAT_AIFF;
  throw CliError(kExitUsage, "cannot tell the file type of '" + path + "' (use .wav, .flac, .ogg or .aiff)");
}

OutputFile::OutputFile(const std::string& path, int sf_format, const client::Format& device_format)
    : path_(path), format_(device_format) {
  SF_INFO info{};
  info.samplerate = static_cast<int>(device_format.sample_rate_hz);
  info.channels = device_format.channels;
  info.format = sf_format;
  if (!sf_format_check(&info)) {
    throw CliError(kExitUsage, "cannot write '" + path + "': its file type cannot hold " + device_format.to_string());
  }
  const std::filesystem::path p(path);
  temp_path_ = (p.parent_path() / ("." + p.filename().string() + ".wavert-partial-" + std::to_string(::getpid()))).string();
  file_ = sf_open(temp_path_.c_str(), SFM_WRITE, &info);
  if (file_ == nullptr) {
    const std::string why = errno != 0 ? std::strerror(errno) : sf_strerror(nullptr);
    throw CliError(kExitError, "cannot write '" + path + "': " + why);
  }
}

OutputFile::~OutputFile() {
  if (file_ != nullptr) sf_close(file_);
  if (!committed_) std::remove(temp_path_.c_str());
}

void OutputFile::write(std::span<const std::byte> interleaved) {
  const std::size_t frames = interleaved.size() / format_.frame_bytes();
  const std::size_t samples = frames * format_.channels;
  sf_count_t put = 0;
  switch (sf_sample_for(format_)) {
    case SfSample::Short: {
      std::vector<short> buf(samples);
      device_to_sf(format_, interleaved.data(), samples, buf.data());
      put = sf_writef_short(file_, buf.data(), static_cast<sf_count_t>(frames));
      break;
    }
    case SfSample::Int: {
      std::vector<int> buf(samples);
      device_to_sf(format_, interleaved.data(), samples, buf.data());
      put = sf_writef_int(file_, buf.data(), static_cast<sf_count_t>(frames));
      break;
    }
    case SfSample::Float: {
      std::vector<float> buf(samples);
      device_to_sf(format_, interleaved.data(), samples, buf.data());
      put = sf_writef_float(file_, buf.data(), static_cast<sf_count_t>(frames));
      break;
    }
  }
  if (put != static_cast<sf_count_t>(frames)) {
    const std::string why = sf_error(file_) != SF_ERR_NO_ERROR ? sf_strerror(file_) : "short write";
    throw CliError(kExitError, "cannot write '" + path_ + "': " + why + " (disk full?)");
  }
  frames_ += frames;
}

void OutputFile::commit() {
  sf_write_sync(file_);
  const int error = sf_close(file_);
  file_ = nullptr;
  if (error != 0) throw CliError(kExitError, "cannot write '" + path_ + "': " + sf_error_number(error));
  std::error_code ec;
  std::filesystem::rename(temp_path_, path_, ec);
  if (ec) throw CliError(kExitError, "cannot write '" + path_ + "': " + ec.message());
  committed_ = true;
}

// ----- Ctrl-C, progress, statistics ---------------------------------------------------------------

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int signal_number) {
  g_interrupted.store(true);
  // The next one ends the process the default way.
  ::signal(signal_number, SIG_DFL);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return g_interrupted.load(); }

Progress::Progress() : enabled_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (shown_) std::fputc('\n', stderr);
}

void Progress::update(const std::string& line) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  std::fprintf(stderr, "\r%-78s", line.c_str());
  std::fflush(stderr);
}

void PositionStats::add(std::uint64_t qpc, std::uint64_t frames) { points_.emplace_back(qpc, frames); }

PositionStats::Summary PositionStats::summarize(std::uint32_t nominal_rate_hz) const {
  Summary s;
  s.samples = points_.size();
  if (points_.size() < 2) return s;
  // Least squares on values relative to the first point, so doubles keep their precision.
  const double t0 = static_cast<double>(points_.front().first);
  const double p0 = static_cast<double>(points_.front().second);
  double st = 0, sp = 0, stt = 0, stp = 0;
  for (const auto& [qpc, frames] : points_) {
    const double t = (static_cast<double>(qpc) - t0) / 1e7;  // seconds (QPC is 10 MHz)
    const double p = static_cast<double>(frames) - p0;
    st += t;
    sp += p;
    stt += t * t;
    stp += t * p;
  }
  const double n = static_cast<double>(points_.size());
  const double denominator = n * stt - st * st;
  if (denominator <= 0) return s;
  const double slope = (n * stp - st * sp) / denominator;
  const double intercept = (sp - slope * st) / n;
  s.rate_hz = slope;
  s.rate_error_ppm = (slope / nominal_rate_hz - 1.0) * 1e6;
  double sum_sq = 0, max_abs = 0;
  for (const auto& [qpc, frames] : points_) {
    const double t = (static_cast<double>(qpc) - t0) / 1e7;
    const double residual_ms = (static_cast<double>(frames) - p0 - (intercept + slope * t)) * 1e3 / nominal_rate_hz;
    sum_sq += residual_ms * residual_ms;
    max_abs = std::max(max_abs, std::abs(residual_ms));
  }
  s.residual_sigma_ms = std::sqrt(sum_sq / n);
  s.residual_max_ms = max_abs;
  return s;
}

}  // namespace wavert::cli
