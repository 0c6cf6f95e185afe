// Shared by the ALSA plugin tests: a scratch directory with an ALSA configuration that loads the
// plugin from the build tree, running ALSA programs in it, test signals and WAV reading.
#pragma once

#include <alsa/asoundlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wavert::alsa::test {

// The driver setting every test uses: a 10 ms DMA engine tick. At the default 1 ms a real-clock
// engine DPC that a loaded CI machine delays by more than two ticks loses FIFO data, which a
// bit-exact comparison would see; 10 ms keeps the tests about the plugin, not the host's load.
inline constexpr const char* kDriverParameters =
    "Windows Registry Editor Version 5.00\n\n"
    "[HKLM\\SYSTEM\\CurrentControlSet\\Services\\wavert\\Parameters]\n"
    "\"DmaTickUs\"=dword:00002710\n";

struct Sample {
  const char* alsa_name;  // what aplay -f takes
  snd_pcm_format_t format;
  unsigned bytes;         // per sample in ALSA's layout
};
inline const Sample kS16{"S16_LE", SND_PCM_FORMAT_S16_LE, 2};
inline const Sample kS24_3{"S24_3LE", SND_PCM_FORMAT_S24_3LE, 3};
inline const Sample kS24{"S24_LE", SND_PCM_FORMAT_S24_LE, 4};
inline const Sample kS32{"S32_LE", SND_PCM_FORMAT_S32_LE, 4};
inline const Sample kFloat{"FLOAT_LE", SND_PCM_FORMAT_FLOAT_LE, 4};

// `value` in [-1, 1) in ALSA's layout of `sample` (S24_LE: sign-extended low 24 bits).
void encode(const Sample& sample, double value, std::vector<std::uint8_t>* out);
// Frames of a test signal: a different sine per channel plus a small deterministic dither, so
// every bit of every sample varies and a swapped channel or byte shows.
std::vector<std::uint8_t> test_signal(const Sample& sample, unsigned channels, unsigned rate_hz, unsigned frames);

class Scratch {
 public:
  Scratch();   // a fresh directory with driver.reg
  ~Scratch();  // removes it
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }
  // Writes test.conf: `extra` (ALSA config lines), after every wavert PCM got config driver.reg.
  // Returns the ALSA_CONFIG_PATH that loads ALSA's own configuration, the project's snippet
  // from the build tree and test.conf.
  std::string alsa_config_path(const std::string& extra = {}) const;

  struct Result {
    int exit_code = -1;  // -1: killed (timeout)
    std::string out, err;
  };
  // Runs `command` through sh in dir() with ALSA_CONFIG_PATH = `config_path`, LC_ALL=C (Debian
  // 12's alsabat needs it) and a timeout.
  Result run(const std::string& command, const std::string& config_path, int timeout_s = 60) const;

 private:
  std::filesystem::path dir_;
};

// A WAV file's data chunk, byte for byte, and its format (libsndfile).
struct WavData {
  bool ok = false;
  std::string error;
  unsigned channels = 0, rate_hz = 0;
  std::vector<std::uint8_t> bytes;     // raw data chunk
  std::vector<double> samples;         // interleaved, normalised to [-1, 1)
};
WavData read_wav(const std::filesystem::path& path);

// Frequency of one channel from the median interval between its rising zero crossings.
double frequency_hz(const WavData& wav, unsigned channel);

}  // namespace wavert::alsa::test
