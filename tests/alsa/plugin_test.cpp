// The plugin through alsa-lib in this process (negotiation, pause, delay, poll, xruns) and, for
// what only a whole program shows, through ALSA programs (bad configuration, exit mid-stream).
#include <gtest/gtest.h>

#include <alsa/asoundlib.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "alsa_harness.hpp"

namespace wavert::alsa::test {
namespace {

using namespace std::chrono_literals;

// Each test is its own process (gtest_discover_tests), so alsa-lib reads this configuration once.
class PluginInProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("ALSA_CONFIG_PATH", scratch_.alsa_config_path("pcm.wavert_mic.source \"tone:440\"").c_str(), 1);
  }
  void TearDown() override {
    if (pcm_ != nullptr) snd_pcm_close(pcm_);
    snd_config_update_free_global();
  }
  snd_pcm_t* open(const char* name, snd_pcm_stream_t stream) {
    EXPECT_EQ(snd_pcm_open(&pcm_, name, stream, 0), 0);
    return pcm_;
  }
  // S16_LE stereo 48 kHz with a buffer of `buffer_us`.
  void setup(unsigned buffer_us) {
    ASSERT_EQ(snd_pcm_set_params(pcm_, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48000, 0, buffer_us), 0);
  }
  Scratch scratch_;
  snd_pcm_t* pcm_ = nullptr;
};

TEST_F(PluginInProcess, UnsupportedFormatRateAndChannelsAreRefusedAtNegotiation) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  snd_pcm_hw_params_t* params;
  snd_pcm_hw_params_alloca(&params);
  ASSERT_GE(snd_pcm_hw_params_any(pcm, params), 0);
  for (snd_pcm_format_t f : {SND_PCM_FORMAT_U8, SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_3LE, SND_PCM_FORMAT_S24_LE,
                             SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE}) {
    EXPECT_EQ(snd_pcm_hw_params_test_format(pcm, params, f), 0) << snd_pcm_format_name(f);
  }
  EXPECT_LT(snd_pcm_hw_params_test_format(pcm, params, SND_PCM_FORMAT_S16_BE), 0);
  EXPECT_LT(snd_pcm_hw_params_test_format(pcm, params, SND_PCM_FORMAT_FLOAT64_LE), 0);
  EXPECT_LT(snd_pcm_hw_params_test_channels(pcm, params, 9), 0);
  EXPECT_LT(snd_pcm_hw_params_test_rate(pcm, params, 7000, 0), 0);
  EXPECT_LT(snd_pcm_hw_params_test_rate(pcm, params, 44101, 0), 0);
  EXPECT_EQ(snd_pcm_hw_params_test_rate(pcm, params, 44100, 0), 0);
  // A plain set_params with a foreign format fails with ALSA's ordinary EINVAL ...
  EXPECT_EQ(snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_BE, SND_PCM_ACCESS_RW_INTERLEAVED, 2, 48000, 0, 100000), -EINVAL);
}

TEST_F(PluginInProcess, PlugConvertsWhatTheDeviceRefuses) {
  snd_pcm_t* pcm = open("plug:wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  ASSERT_EQ(snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_BE, SND_PCM_ACCESS_RW_INTERLEAVED, 9, 7000, 1, 100000), 0);
  std::vector<std::uint8_t> silence(700 * 9 * 2, 0);
  EXPECT_EQ(snd_pcm_writei(pcm, silence.data(), 700), 700);
}

TEST_F(PluginInProcess, AskingForTheMaximumBufferGetsAReasonableOne) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  snd_pcm_hw_params_t* params;
  snd_pcm_hw_params_alloca(&params);
  ASSERT_GE(snd_pcm_hw_params_any(pcm, params), 0);
  ASSERT_EQ(snd_pcm_hw_params_set_format(pcm, params, SND_PCM_FORMAT_S16_LE), 0);
  ASSERT_EQ(snd_pcm_hw_params_set_channels(pcm, params, 2), 0);
  unsigned rate = 48000;
  ASSERT_EQ(snd_pcm_hw_params_set_rate_near(pcm, params, &rate, nullptr), 0);
  snd_pcm_uframes_t last = 0;
  ASSERT_EQ(snd_pcm_hw_params_set_buffer_size_last(pcm, params, &last), 0);
  ASSERT_EQ(snd_pcm_hw_params(pcm, params), 0);
  snd_pcm_uframes_t buffer = 0, period = 0;
  ASSERT_EQ(snd_pcm_get_params(pcm, &buffer, &period), 0);
  // 500 ms of 48 kHz stereo 32-bit by default: one second of 16-bit stereo, in two periods.
  EXPECT_EQ(buffer, 48000u);
  EXPECT_EQ(period, 24000u);
}

TEST_F(PluginInProcess, PollWakesOncePerPeriodAndPlaysOnTime) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  setup(100000);
  snd_pcm_uframes_t buffer = 0, period = 0;
  ASSERT_EQ(snd_pcm_get_params(pcm, &buffer, &period), 0);
  std::vector<short> frames(2 * period, 0);
  const auto begin = std::chrono::steady_clock::now();
  std::uint64_t written = 0;
  while (written < 48000 / 2) {  // half a second
    snd_pcm_sframes_t n = snd_pcm_writei(pcm, frames.data(), period);
    ASSERT_EQ(n, static_cast<snd_pcm_sframes_t>(period)) << snd_strerror(static_cast<int>(n));
    written += period;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // Blocking writes return as the device consumes: the buffer's worth ahead of real time.
  const double expected = static_cast<double>(written - buffer) / 48000;
  EXPECT_GT(seconds, expected - 0.05);
  EXPECT_LT(seconds, expected + 0.5);
  EXPECT_EQ(snd_pcm_state(pcm), SND_PCM_STATE_RUNNING);
}

TEST_F(PluginInProcess, PauseHoldsThePositionAndResumeContinues) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  setup(200000);
  snd_pcm_uframes_t buffer = 0, period = 0;
  ASSERT_EQ(snd_pcm_get_params(pcm, &buffer, &period), 0);
  std::vector<short> frames(2 * buffer, 0);
  ASSERT_EQ(snd_pcm_writei(pcm, frames.data(), buffer), static_cast<snd_pcm_sframes_t>(buffer));
  ASSERT_EQ(snd_pcm_state(pcm), SND_PCM_STATE_RUNNING);
  std::this_thread::sleep_for(30ms);
  ASSERT_EQ(snd_pcm_pause(pcm, 1), 0);
  EXPECT_EQ(snd_pcm_state(pcm), SND_PCM_STATE_PAUSED);
  snd_pcm_sframes_t delay_paused = 0, delay_later = 0;
  ASSERT_EQ(snd_pcm_delay(pcm, &delay_paused), 0);
  std::this_thread::sleep_for(60ms);
  ASSERT_EQ(snd_pcm_delay(pcm, &delay_later), 0);
  EXPECT_EQ(delay_later, delay_paused) << "nothing plays while paused";
  EXPECT_GT(delay_paused, 0);
  ASSERT_EQ(snd_pcm_pause(pcm, 0), 0);
  std::this_thread::sleep_for(60ms);
  snd_pcm_sframes_t delay_resumed = 0;
  ASSERT_EQ(snd_pcm_delay(pcm, &delay_resumed), 0);
  EXPECT_LT(delay_resumed, delay_paused - 48000 * 30 / 1000) << "at least 30 ms more played after resume";
}

TEST_F(PluginInProcess, DelayCountsTheBufferedFramesAndTheHardwareLatency) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  setup(100000);
  snd_pcm_uframes_t buffer = 0, period = 0;
  ASSERT_EQ(snd_pcm_get_params(pcm, &buffer, &period), 0);
  std::vector<short> frames(2 * period, 0);
  ASSERT_EQ(snd_pcm_writei(pcm, frames.data(), period), static_cast<snd_pcm_sframes_t>(period));
  snd_pcm_sframes_t delay = 0;
  ASSERT_EQ(snd_pcm_delay(pcm, &delay), 0);
  // Prepared, not started: the period waits in the buffer, plus the FIFO (2 bursts of 128 bytes:
  // 64 frames) and whatever chipset and codec delay the driver reports.
  EXPECT_GE(delay, static_cast<snd_pcm_sframes_t>(period) + 64);
  EXPECT_LT(delay, static_cast<snd_pcm_sframes_t>(period) + 48000 / 100);
}

TEST_F(PluginInProcess, ARenderStreamLeftUnfedReportsAnUnderrun) {
  snd_pcm_t* pcm = open("wavert", SND_PCM_STREAM_PLAYBACK);
  ASSERT_NE(pcm, nullptr);
  setup(50000);
  snd_pcm_uframes_t buffer = 0, period = 0;
  ASSERT_EQ(snd_pcm_get_params(pcm, &buffer, &period), 0);
  std::vector<short> frames(2 * buffer, 0);
  ASSERT_EQ(snd_pcm_writei(pcm, frames.data(), buffer), static_cast<snd_pcm_sframes_t>(buffer));
  std::this_thread::sleep_for(200ms);  // four buffers' time, nothing written
  EXPECT_EQ(snd_pcm_avail_update(pcm), -EPIPE);
  EXPECT_EQ(snd_pcm_state(pcm), SND_PCM_STATE_XRUN);
  EXPECT_EQ(snd_pcm_writei(pcm, frames.data(), period), -EPIPE);
  // recover() prepares again and the stream plays on.
  ASSERT_EQ(snd_pcm_recover(pcm, -EPIPE, 1), 0);
  EXPECT_EQ(snd_pcm_writei(pcm, frames.data(), period), static_cast<snd_pcm_sframes_t>(period));
}

TEST_F(PluginInProcess, ACaptureStreamLeftUnreadReportsAnOverrun) {
  snd_pcm_t* pcm = open("wavert_mic", SND_PCM_STREAM_CAPTURE);
  ASSERT_NE(pcm, nullptr);
  setup(50000);
  ASSERT_EQ(snd_pcm_start(pcm), 0);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(snd_pcm_avail_update(pcm), -EPIPE);
  EXPECT_EQ(snd_pcm_state(pcm), SND_PCM_STATE_XRUN);
}

TEST_F(PluginInProcess, CaptureReadsWhatTheMicrophoneHears) {
  snd_pcm_t* pcm = open("wavert_mic", SND_PCM_STREAM_CAPTURE);
  ASSERT_NE(pcm, nullptr);
  setup(100000);
  std::vector<short> frames(2 * 4800);
  ASSERT_EQ(snd_pcm_readi(pcm, frames.data(), 4800), 4800);
  short peak = 0;
  for (short s : frames) peak = std::max<short>(peak, static_cast<short>(std::abs(s)));
  EXPECT_GT(peak, 16000) << "a -6 dBFS tone";
}

TEST_F(PluginInProcess, AnEndpointOfTheOtherDirectionIsRefused) {
  snd_pcm_t* pcm = nullptr;
  EXPECT_LT(snd_pcm_open(&pcm, "wavert_mic", SND_PCM_STREAM_PLAYBACK, 0), 0);
  EXPECT_EQ(pcm, nullptr);
}

// ----- Whole programs ----------------------------------------------------------------------

std::size_t line_count(const std::string& text, const std::string& prefix) {
  std::size_t lines = 0;
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') ++lines;
  }
  return lines;
}

TEST(PluginProgram, AMissingConfigFileIsOneClearErrorLine) {
  Scratch scratch;
  const std::string config = scratch.alsa_config_path("pcm.wavert.config \"" + scratch.path("nope.reg").string() + "\"");
  const Scratch::Result r = scratch.run("aplay -q -D wavert -d 1 /dev/zero", config, 20);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, -1) << "no hang";
  EXPECT_EQ(line_count(r.err, "wavert: "), 1u) << r.err;
  EXPECT_NE(r.err.find("nope.reg"), std::string::npos) << r.err;
}

TEST(PluginProgram, ABrokenConfigFileIsOneClearErrorLine) {
  Scratch scratch;
  std::ofstream(scratch.path("broken.reg")) << "this is not a registry file\n";
  const std::string config = scratch.alsa_config_path("pcm.wavert.config \"" + scratch.path("broken.reg").string() + "\"");
  const Scratch::Result r = scratch.run("aplay -q -D wavert -d 1 /dev/zero", config, 20);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, -1) << "no hang";
  EXPECT_EQ(line_count(r.err, "wavert: "), 1u) << r.err;
  EXPECT_NE(r.err.find("broken.reg"), std::string::npos) << r.err;
}

TEST(PluginProgram, AnUnknownOptionIsOneClearErrorLine) {
  Scratch scratch;
  const std::string config = scratch.alsa_config_path("pcm.wavert.volume 3");
  const Scratch::Result r = scratch.run("aplay -q -D wavert -d 1 /dev/zero", config, 20);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(line_count(r.err, "wavert: "), 1u) << r.err;
  EXPECT_NE(r.err.find("unknown option 'volume'"), std::string::npos) << r.err;
}

TEST(PluginProgram, ASinkThatCannotBeOpenedIsOneClearErrorLine) {
  Scratch scratch;
  const std::string config = scratch.alsa_config_path("pcm.wavert.sink \"file:/nonexistent-dir/x.wav\"");
  const Scratch::Result r = scratch.run("aplay -q -D wavert -d 1 /dev/zero", config, 20);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(line_count(r.err, "wavert: "), 1u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent-dir/x.wav"), std::string::npos) << r.err;
}

void expect_clean_exit_midstream(const char* how) {
  Scratch scratch;
  const std::string config =
      scratch.alsa_config_path("pcm.wavert.sink \"file:" + scratch.path("out.wav").string() + "\"");
  const Scratch::Result r = scratch.run(std::string(WAVERT_EXIT_HELPER) + " wavert " + how, config, 30);
  EXPECT_EQ(r.exit_code, 0) << "-1 is a hang; others a crash or failure: " << r.err;
  // The exit handler stopped the device properly: the sink finalised a readable file.
  const WavData wav = read_wav(scratch.path("out.wav"));
  EXPECT_TRUE(wav.ok) << wav.error;
  EXPECT_GT(wav.bytes.size(), 0u);
}

TEST(PluginProgram, ExitWithARunningPcmEndsTheProcessCleanly) { expect_clean_exit_midstream("main"); }

TEST(PluginProgram, ExitWhileAnotherThreadWritesEndsTheProcessCleanly) { expect_clean_exit_midstream("thread"); }

}  // namespace
}  // namespace wavert::alsa::test
