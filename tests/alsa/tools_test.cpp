// Real ALSA programs through the plugin, on the real clock: aplay into a file sink, bit for bit;
// arecord from a tone source, frequency checked; alsabat from the speaker to its loopback.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <tuple>

#include "alsa_harness.hpp"

namespace wavert::alsa::test {
namespace {

using Case = std::tuple<const Sample*, unsigned /*channels*/, unsigned /*rate*/>;

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& [sample, channels, rate] = info.param;
  return std::string(sample->alsa_name) + "_" + std::to_string(channels) + "ch_" + std::to_string(rate);
}

// Runs `command` again when the tool reported an xrun: on the real clock a loaded machine can stall
// the program for longer than its buffer, and then the plugin rightly reports an xrun and the
// audio has a gap. A second xrun in a row fails the test.
Scratch::Result run_without_xrun(const Scratch& scratch, const std::string& command, const std::string& config) {
  Scratch::Result r = scratch.run(command, config);
  auto xrun = [](const Scratch::Result& x) {
    return x.err.find("underrun") != std::string::npos || x.err.find("overrun") != std::string::npos;
  };
  if (xrun(r)) r = scratch.run(command, config);
  EXPECT_FALSE(xrun(r)) << "xruns on two attempts: " << r.err;
  return r;
}

std::string tool_args(const Case& c) {
  const auto& [sample, channels, rate] = c;
  return std::string(" -f ") + sample->alsa_name + " -c " + std::to_string(channels) + " -r " + std::to_string(rate);
}

class AplayIntoFileSink : public ::testing::TestWithParam<Case> {};

// One aplay run into a file sink; what differs, or empty when the file holds exactly what was
// played followed by the drain's silence.
std::string play_and_compare(const Case& c) {
  const auto& [sample, channels, rate] = c;
  Scratch scratch;
  const std::vector<std::uint8_t> played = test_signal(*sample, channels, rate, rate);  // one second
  std::ofstream(scratch.path("in.raw"), std::ios::binary)
      .write(reinterpret_cast<const char*>(played.data()), static_cast<std::streamsize>(played.size()));
  const std::string config =
      scratch.alsa_config_path("pcm.wavert.sink \"file:" + scratch.path("out.wav").string() + "\"");

  const Scratch::Result r = run_without_xrun(scratch, "aplay -q -D wavert -t raw" + tool_args(c) + " in.raw", config);
  if (r.exit_code != 0) return "aplay exited with " + std::to_string(r.exit_code) + ": " + r.err;

  const WavData wav = read_wav(scratch.path("out.wav"));
  if (!wav.ok) return "the sink's file does not read: " + wav.error;
  if (wav.channels != channels || wav.rate_hz != rate) {
    return "the sink's file is " + std::to_string(wav.channels) + " ch " + std::to_string(wav.rate_hz) + " Hz";
  }
  // The sink's file is in the stream's Windows format: S24_LE's low-justified samples arrive
  // high-justified in the 24-in-32 container.
  std::vector<std::uint8_t> expected = played;
  if (sample->format == SND_PCM_FORMAT_S24_LE) {
    for (std::size_t k = 0; k + 4 <= expected.size(); k += 4) {
      std::uint32_t v;
      std::memcpy(&v, &expected[k], 4);
      v <<= 8;
      std::memcpy(&expected[k], &v, 4);
    }
  }
  if (wav.bytes.size() < expected.size()) {
    return "the sink's file holds " + std::to_string(wav.bytes.size()) + " bytes of " + std::to_string(expected.size());
  }
  const std::size_t frame_bytes = std::size_t{channels} * sample->bytes;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    if (wav.bytes[k] != expected[k]) return "first difference in frame " + std::to_string(k / frame_bytes);
  }
  for (std::size_t k = expected.size(); k < wav.bytes.size(); ++k) {
    if (wav.bytes[k] != 0) return "non-silent byte " + std::to_string(k) + " after the played data";
  }
  return {};
}

// Real clock: an engine DPC that the host's scheduler delays past the FIFO's reserve (a loaded
// machine) turns a few milliseconds of output into silence in place -- the device's behaviour,
// which no ALSA call sees. One such run is retried and reported; two in a row fail.
TEST_P(AplayIntoFileSink, FileHoldsWhatWasPlayedBitForBit) {
  const std::string first = play_and_compare(GetParam());
  if (first.empty()) return;
  std::cout << "first attempt: " << first << "; retrying once\n";
  EXPECT_EQ(play_and_compare(GetParam()), "") << "first attempt: " << first;
}

// Every format in stereo and in 5.1, each at 44.1 and at 48 kHz: pairwise coverage of the
// format x channels x rate matrix in half the runs of the full product (CI time: each run is a
// second of real time).
const auto kPairwise = ::testing::Values(
    Case{&kS16, 2, 44100}, Case{&kS16, 6, 48000}, Case{&kS24_3, 2, 48000}, Case{&kS24_3, 6, 44100},
    Case{&kS24, 2, 44100}, Case{&kS24, 6, 48000}, Case{&kS32, 2, 48000}, Case{&kS32, 6, 44100},
    Case{&kFloat, 2, 44100}, Case{&kFloat, 6, 48000});

INSTANTIATE_TEST_SUITE_P(Matrix, AplayIntoFileSink, kPairwise, case_name);

class ArecordFromToneSource : public ::testing::TestWithParam<Case> {};

TEST_P(ArecordFromToneSource, EveryChannelHoldsTheToneFrequency) {
  const auto& [sample, channels, rate] = GetParam();
  Scratch scratch;
  const std::string config = scratch.alsa_config_path("pcm.wavert_mic.source \"tone:1000,-6\"");
  const Scratch::Result r =
      run_without_xrun(scratch, "arecord -q -D wavert_mic -t wav -d 1" + tool_args(GetParam()) + " rec.wav", config);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const WavData wav = read_wav(scratch.path("rec.wav"));
  ASSERT_TRUE(wav.ok) << wav.error;
  ASSERT_EQ(wav.channels, channels);
  EXPECT_EQ(wav.samples.size() / channels, rate) << "one second of frames";
  // arecord stores S24_LE as it comes: 24 bits at the bottom of a 32-bit container, which a WAV
  // reader scales as 32-bit.
  const double scale = sample->format == SND_PCM_FORMAT_S24_LE ? 256.0 : 1.0;
  for (unsigned c = 0; c < channels; ++c) {
    EXPECT_NEAR(frequency_hz(wav, c), 1000.0, 1.0) << "channel " << c;
    double peak = 0;
    for (std::size_t n = c; n < wav.samples.size(); n += channels) peak = std::max(peak, std::fabs(wav.samples[n]) * scale);
    EXPECT_NEAR(peak, 0.5012, 0.01) << "channel " << c << ": -6 dBFS";
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, ArecordFromToneSource, kPairwise, case_name);

// alsabat takes U8, S16_LE, S24_3LE and S32_LE, one or two channels.
class AlsabatSpeakerToLoopback : public ::testing::TestWithParam<Case> {};

// Retried once, reported, for the same real-clock reason as the aplay test: gaps of silence in the
// device's output spread alsabat's spectrum.
TEST_P(AlsabatSpeakerToLoopback, Passes) {
  Scratch scratch;
  const std::string config = scratch.alsa_config_path();
  const std::string command = "alsabat -P wavert -C wavert_loopback -n 1s" + tool_args(GetParam());
  Scratch::Result r = scratch.run(command, config);
  if (r.exit_code != 0) {
    std::cout << "first attempt: alsabat exited with " << r.exit_code << "; retrying once\n";
    r = scratch.run(command, config);
  }
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, AlsabatSpeakerToLoopback,
                         ::testing::Values(Case{&kS16, 2, 44100}, Case{&kS16, 2, 48000}, Case{&kS24_3, 2, 48000},
                                           Case{&kS32, 2, 44100}),
                         case_name);

}  // namespace
}  // namespace wavert::alsa::test
