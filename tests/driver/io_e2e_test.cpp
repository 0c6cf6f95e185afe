// Sinks and sources in the whole driver: the registry's SpeakerSink / MicrophoneSource name them,
// an application renders and captures through the client API, and the file or the capture shows
// what the sink got or the source made.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <unistd.h>

#include "codec/wav_format.h"
#include "driver_fixture.hpp"
#include "io_fixture.hpp"
#include "wavert/host/clock.hpp"

using wavert::client::CaptureStream;
using wavert::client::Endpoint;
using wavert::client::Format;
using wavert::client::RenderStream;
using wavert::client::StreamConfig;

namespace {

std::string temp_name(const char* what) {
  return ::testing::TempDir() + "wavert_io_e2e_" + std::to_string(::getpid()) + "_" + what;
}

class SpeakerToFile : public driver_test::DriverTest {
 protected:
  void SetUpParameters() override {
    std::remove(path_.c_str());
    wavert::host::registry::set_string(driver_test::kParametersKey, "SpeakerSink", "file:" + path_);
  }
  void TearDown() override {
    driver_test::DriverTest::TearDown();
    std::remove(path_.c_str());
  }
  std::string path_ = temp_name("speaker.wav");
};

TEST_F(SpeakerToFile, WhatAnApplicationPlaysIsInTheWavFileUnchanged) {
  const Format format = Format::pcm16(48'000, 2);
  std::mt19937 rng(11);
  std::vector<std::byte> signal(std::size_t{format.frames_for_us(200'000)} * format.frame_bytes());
  for (auto& b : signal) b = std::byte(rng() | 1);  // never silent, so it cannot be confused with padding
  std::vector<std::byte> played = signal;
  played.resize(signal.size() + std::size_t{format.frames_for_us(10'000)} * format.frame_bytes());  // FIFO tail
  {
    Endpoint speaker;
    ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Speaker", &speaker)));
    RenderStream render;
    ASSERT_TRUE(driver_test::Ok(render.open(speaker, StreamConfig{format})));
    ASSERT_TRUE(driver_test::Ok(render.write_all(std::span<const std::byte>(played))));
    ASSERT_TRUE(driver_test::Ok(render.drain()));
    EXPECT_EQ(render.glitches().count, 0u);
  }
  wavert::host::run_for(std::chrono::milliseconds(50));
  driver_.reset();  // unload: the codec destroys the sink, which finalises the file

  const auto file = io_test::read_whole_file(path_);
  wavert::codec::WavLayout layout;
  ASSERT_EQ(wavert::codec::parse_wav_header(file.data(), ULONG(file.size()), file.size(), &layout), STATUS_SUCCESS);
  EXPECT_EQ(layout.format.channels, 2);
  EXPECT_EQ(layout.format.rate_hz, 48'000u);
  EXPECT_EQ(layout.format.container_bits, 16);
  EXPECT_EQ(io_test::le32(file, 4), file.size() - 8);
  const auto* data = reinterpret_cast<const std::byte*>(file.data() + layout.data_offset);
  const auto* data_end = data + layout.data_bytes;
  const auto found = std::search(data, data_end, signal.begin(), signal.end());
  ASSERT_NE(found, data_end) << "the whole signal, byte for byte, is in the file's data (" << layout.data_bytes
                             << " bytes)";
  EXPECT_EQ((found - data) % format.frame_bytes(), 0) << "on a frame boundary";
}

class MicrophoneFromTone : public driver_test::DriverTest {
 protected:
  void SetUpParameters() override {
    wavert::host::registry::set_string(driver_test::kParametersKey, "MicrophoneSource", "tone:1000,-20");
  }
};

TEST_F(MicrophoneFromTone, ACaptureHearsTheToneAtItsFrequencyAndLevel) {
  const Format format = Format::float32(48'000, 1);
  Endpoint microphone;
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Microphone", &microphone)));
  CaptureStream capture;
  ASSERT_TRUE(driver_test::Ok(capture.open(microphone, StreamConfig{format})));
  ASSERT_TRUE(driver_test::Ok(capture.start()));
  std::vector<float> samples(48'000 * 2);
  ASSERT_TRUE(driver_test::Ok(capture.read_all(std::as_writable_bytes(std::span<float>(samples)))));
  // The first 100 ms may hold the capture's startup; measure the last 1.9 s.
  const std::span<const float> steady(samples.data() + 4'800, samples.size() - 4'800);
  std::size_t rising = 0;
  double sum = 0;
  for (std::size_t i = 1; i < steady.size(); ++i) {
    if (steady[i - 1] < 0 && steady[i] >= 0) ++rising;
    sum += double(steady[i]) * steady[i];
  }
  EXPECT_NEAR(double(rising), 1000.0 * steady.size() / 48'000.0, 1.0);
  const double rms_db = 10 * std::log10(sum / double(steady.size() - 1));
  EXPECT_NEAR(rms_db, -20.0 - 10 * std::log10(2.0), 0.05);  // 0 dB microphone gain: the tone as made
}

}  // namespace
