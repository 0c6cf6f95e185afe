#include "alsa_harness.hpp"

#include <sndfile.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numbers>
#include <sstream>

namespace wavert::alsa::test {

namespace fs = std::filesystem;

void encode(const Sample& sample, double value, std::vector<std::uint8_t>* out) {
  auto put = [out](std::uint32_t bits, unsigned bytes) {
    for (unsigned b = 0; b < bytes; ++b) out->push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
  };
  switch (sample.format) {
    case SND_PCM_FORMAT_S16_LE: put(static_cast<std::uint32_t>(static_cast<std::int32_t>(std::lround(value * 32767.0))), 2); break;
    case SND_PCM_FORMAT_S24_3LE: put(static_cast<std::uint32_t>(static_cast<std::int32_t>(std::lround(value * 8388607.0))), 3); break;
    case SND_PCM_FORMAT_S24_LE: put(static_cast<std::uint32_t>(static_cast<std::int32_t>(std::lround(value * 8388607.0))), 4); break;
    case SND_PCM_FORMAT_S32_LE: put(static_cast<std::uint32_t>(static_cast<std::int32_t>(std::llround(value * 2147483647.0))), 4); break;
    case SND_PCM_FORMAT_FLOAT_LE: {
      const float f = static_cast<float>(value);
      std::uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put(bits, 4);
      break;
    }
    default: break;
  }
}

std::vector<std::uint8_t> test_signal(const Sample& sample, unsigned channels, unsigned rate_hz, unsigned frames) {
  std::vector<std::uint8_t> out;
  out.reserve(std::size_t{frames} * channels * sample.bytes);
  std::uint32_t noise = 12345;
  for (unsigned n = 0; n < frames; ++n) {
    for (unsigned c = 0; c < channels; ++c) {
      noise = noise * 1664525u + 1013904223u;
      const double dither = (static_cast<double>(noise >> 8) / (1u << 24) - 0.5) * 1e-3;
      const double hz = 300.0 + 170.0 * c;
      encode(sample, 0.7 * std::sin(2 * std::numbers::pi * hz * n / rate_hz) + dither, &out);
    }
  }
  return out;
}

Scratch::Scratch() {
  std::string pattern = (fs::temp_directory_path() / "wavert-alsa-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::ofstream(dir_ / "driver.reg") << kDriverParameters;
}

Scratch::~Scratch() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string Scratch::alsa_config_path(const std::string& extra) const {
  std::ofstream conf(dir_ / "test.conf");
  for (const char* pcm : {"wavert", "wavert_mic", "wavert_loopback"}) {
    conf << "pcm." << pcm << ".config \"" << (dir_ / "driver.reg").string() << "\"\n";
  }
  conf << extra << "\n";
  return std::string("/usr/share/alsa/alsa.conf:") + WAVERT_ALSA_CONF + ":" + (dir_ / "test.conf").string();
}

Scratch::Result Scratch::run(const std::string& command, const std::string& config_path, int timeout_s) const {
  const std::string preload = WAVERT_ASAN_PRELOAD;
  std::ostringstream shell;
  shell << "cd '" << dir_.string() << "' && env LC_ALL=C ALSA_CONFIG_PATH='" << config_path << "'";
  // Programs that are not instrumented load an instrumented plugin only with the runtime first;
  // their own (and alsa-lib's) allocations are not ours to leak-check.
  if (!preload.empty()) shell << " LD_PRELOAD='" << preload << "' ASAN_OPTIONS=detect_leaks=0:abort_on_error=1";
  shell << " timeout -k 5 " << timeout_s << " " << command << " >out.txt 2>err.txt";
  Result result;
  const int status = std::system(shell.str().c_str());
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status) == 124 ? -1 : WEXITSTATUS(status);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  result.out = slurp(dir_ / "out.txt");
  result.err = slurp(dir_ / "err.txt");
  return result;
}

WavData read_wav(const fs::path& path) {
  WavData wav;
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    wav.error = sf_strerror(nullptr);
    return wav;
  }
  wav.channels = static_cast<unsigned>(info.channels);
  wav.rate_hz = static_cast<unsigned>(info.samplerate);
  // sf_read_raw takes whole frames only: 288 is a multiple of every frame size tested (1..8
  // channels of 1..4 bytes... and 6 channels of 3 bytes).
  std::vector<std::uint8_t> chunk(288 * 256);
  for (;;) {
    const sf_count_t n = sf_read_raw(file, chunk.data(), static_cast<sf_count_t>(chunk.size()));
    if (n <= 0) break;
    wav.bytes.insert(wav.bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  sf_seek(file, 0, SEEK_SET);
  wav.samples.resize(static_cast<std::size_t>(info.frames) * info.channels);
  sf_readf_double(file, wav.samples.data(), info.frames);
  sf_close(file);
  wav.ok = true;
  return wav;
}

double frequency_hz(const WavData& wav, unsigned channel) {
  // Rising zero crossings, placed between samples by linear interpolation; the median interval
  // between them, so a few frames lost to a real-clock glitch do not move the answer.
  const std::size_t frames = wav.channels == 0 ? 0 : wav.samples.size() / wav.channels;
  std::vector<double> crossings;
  for (std::size_t n = 1; n < frames; ++n) {
    const double a = wav.samples[(n - 1) * wav.channels + channel], b = wav.samples[n * wav.channels + channel];
    if (a < 0 && b >= 0) crossings.push_back(static_cast<double>(n - 1) + a / (a - b));
  }
  if (crossings.size() < 3) return 0;
  std::vector<double> intervals;
  for (std::size_t k = 1; k < crossings.size(); ++k) intervals.push_back(crossings[k] - crossings[k - 1]);
  std::nth_element(intervals.begin(), intervals.begin() + intervals.size() / 2, intervals.end());
  return wav.rate_hz / intervals[intervals.size() / 2];
}

}  // namespace wavert::alsa::test
