// The generated sources (codec/source_tone.h, codec/source_silence.h) and the spec strings
// (codec/spec.h): a tone's frequency and level measured over long runs, a drift-free phase after
// an hour, digital silence in every format, and clean rejection of bad specs.
#include <cmath>
#include <cstring>
#include <vector>

#include "codec/endpoint_io.h"
#include "codec/sample_convert.h"
#include "codec/sink_null.h"
#include "codec/source_tone.h"
#include "codec/spec.h"
#include "io_fixture.hpp"
#include "wavert/host/debug.hpp"

using namespace wavert;
using namespace wavert::codec;

namespace {

StreamFormat float_format(UCHAR channels, ULONG rate) {
  StreamFormat f;
  f.type = SampleType::Float;
  f.channels = channels;
  f.container_bits = 32;
  f.valid_bits = 32;
  f.rate_hz = rate;
  return f;
}
StreamFormat pcm_format(UCHAR channels, UCHAR bits, ULONG rate) {
  StreamFormat f;
  f.type = SampleType::Pcm;
  f.channels = channels;
  f.container_bits = bits;
  f.valid_bits = bits;
  f.rate_hz = rate;
  return f;
}

class SourceTest : public io_test::IoTest {
 protected:
  Source* open(const char* spec) {
    Source* source = nullptr;
    bool cable = true;
    EXPECT_EQ(create_source(device_, spec, &source, &cable), STATUS_SUCCESS) << spec;
    EXPECT_FALSE(cable);
    return source;
  }
};

TEST(ToneMath, SineOfTurnsMatchesLibmEverywhereInOneTurn) {
  double worst = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double turns = i / 1'000'000.0;
    worst = std::max(worst, std::fabs(sine_of_turns(turns) - std::sin(2 * M_PI * turns)));
  }
  EXPECT_LT(worst, 1e-14);
}

TEST(ToneMath, DecibelsBecomeTheLinearAmplitude) {
  for (LONG millidb : {0, -1, -3'010, -6'000, -20'000, -60'500, -120'000}) {
    const double expected = std::pow(10.0, millidb / 20000.0);
    EXPECT_NEAR(db_to_amplitude(millidb), expected, expected * 1e-12) << millidb;
  }
}

TEST_F(SourceTest, ToneFrequencyCountedByZeroCrossingsOverAnHourIsExact) {
  // 997 Hz at 8 kHz: 997 and 8000 share no factor, so every phase of the period occurs.
  Source* source = open("tone:997,-6");
  ASSERT_NE(source, nullptr);
  const StreamFormat format = float_format(1, 8000);
  const ULONG kChunk = 8000;
  std::vector<float> samples(kChunk);
  ULONGLONG rising = 0;
  ULONGLONG last_second_rising = 0;
  float previous = 0;
  const int kSeconds = 3600;
  for (int second = 0; second < kSeconds; ++second) {
    at_dispatch([&] { source->read(format, samples.data(), kChunk); });
    ULONGLONG this_second = 0;
    for (float s : samples) {
      if (previous < 0 && s >= 0) ++this_second;
      previous = s;
    }
    rising += this_second;
    if (second == kSeconds - 1) last_second_rising = this_second;
  }
  // The hour's last sample is the closed form's at frame 8000 * 3600 - 1: no drift.
  const double n = 8000.0 * kSeconds - 1;
  const double expected_last = std::pow(10.0, -6.0 / 20) * std::sin(2 * M_PI * std::fmod(n * 997.0 / 8000.0, 1.0));
  EXPECT_NEAR(samples.back(), expected_last, 1e-6);
  EXPECT_NEAR(double(rising), 997.0 * kSeconds, 1.0);
  EXPECT_NEAR(double(last_second_rising), 997.0, 1.0);
  source->destroy();
}

TEST_F(SourceTest, FractionalToneFrequencyIsKeptToTheMillihertz) {
  Source* source = open("tone:1000.25,-3");
  ASSERT_NE(source, nullptr);
  const StreamFormat format = float_format(2, 48000);
  const ULONG frames = 48000 * 400;  // 400 s: 400100 rising crossings exactly
  std::vector<float> samples(size_t(48000) * 2);
  ULONGLONG rising = 0;
  float previous = 0;
  for (ULONG done = 0; done < frames; done += 48000) {
    at_dispatch([&] { source->read(format, samples.data(), 48000); });
    for (size_t i = 0; i < samples.size(); i += 2) {
      ASSERT_EQ(samples[i], samples[i + 1]) << "every channel carries the tone";
      if (previous < 0 && samples[i] >= 0) ++rising;
      previous = samples[i];
    }
  }
  EXPECT_NEAR(double(rising), 1000.25 * 400, 1.0);
  source->destroy();
}

TEST_F(SourceTest, ToneLevelMeasuredAsRmsIsTheRequestedDbfs) {
  for (const char* spec : {"tone:1000,-20", "tone:440", "tone:3000,0"}) {
    EndpointSpec parsed;
    ASSERT_EQ(parse_source_spec(spec, &parsed), STATUS_SUCCESS);
    Source* source = open(spec);
    ASSERT_NE(source, nullptr);
    for (const StreamFormat& format : {float_format(1, 48000), pcm_format(1, 16, 48000), pcm_format(2, 24, 44100)}) {
      const ULONG frames = format.rate_hz * 10;
      std::vector<unsigned char> bytes(size_t(frames) * format.block_align());
      at_dispatch([&] { source->read(format, bytes.data(), frames); });
      std::vector<double> decoded(size_t(frames) * format.channels);
      decode_samples(format, bytes.data(), frames, decoded.data());
      double sum = 0, peak = 0;
      for (double v : decoded) {
        sum += v * v;
        peak = std::max(peak, std::fabs(v));
      }
      const double rms_db = 10 * std::log10(sum / double(decoded.size()));
      // A sine's RMS is its peak / sqrt(2): 3.01 dB below the peak level.
      const double expected_db = parsed.tone_millidbfs / 1000.0 - 10 * std::log10(2.0);
      EXPECT_NEAR(rms_db, expected_db, 0.01) << spec << " " << int(format.container_bits) << "-bit";
      EXPECT_LE(peak, std::pow(10.0, parsed.tone_millidbfs / 20000.0) + 1e-4) << spec;
    }
    source->destroy();
  }
}

TEST_F(SourceTest, SilenceIsDigitalZeroInEveryFormat) {
  Source* source = open("silence");
  ASSERT_NE(source, nullptr);
  for (const StreamFormat& format : {pcm_format(1, 8, 8000), pcm_format(2, 16, 48000), pcm_format(2, 24, 48000),
                                     float_format(8, 192000)}) {
    std::vector<unsigned char> bytes(size_t(100) * format.block_align(), 0x5A);
    at_dispatch([&] { source->read(format, bytes.data(), 100); });
    std::vector<double> decoded(size_t(100) * format.channels, 1.0);
    decode_samples(format, bytes.data(), 100, decoded.data());
    for (double v : decoded) ASSERT_EQ(v, 0.0) << int(format.container_bits) << "-bit";
  }
  EXPECT_EQ(source->starved_frames(), 0u);
  source->destroy();
}

TEST_F(SourceTest, CableIsOnlyParsed) {
  Source* source = reinterpret_cast<Source*>(1);
  bool cable = false;
  ASSERT_EQ(create_source(device_, "cable", &source, &cable), STATUS_SUCCESS);
  EXPECT_TRUE(cable);
  EXPECT_EQ(source, nullptr);
}

TEST_F(SourceTest, NullSinkCountsFramesAndRuns) {
  Sink* sink = nullptr;
  ASSERT_EQ(create_sink(device_, "null", &sink), STATUS_SUCCESS);
  auto* null_sink = static_cast<NullSink*>(sink);  // "null" always makes a NullSink
  const StreamFormat format = pcm_format(2, 16, 48000);
  std::vector<unsigned char> bytes(480 * 4);
  at_dispatch([&] {
    sink->begin(format);
    for (int i = 0; i < 100; ++i) sink->write(bytes.data(), 480);
    sink->end();
  });
  EXPECT_EQ(null_sink->frames_written(), 48000u);
  EXPECT_EQ(null_sink->runs_begun(), 1u);
  EXPECT_EQ(null_sink->runs_ended(), 1u);
  EXPECT_TRUE(null_sink->last_format() == format);
  EXPECT_EQ(sink->dropped_frames(), 0u);
  sink->destroy();
}

struct BadSpec {
  bool sink;
  const char* spec;
};

class BadSpecs : public SourceTest, public ::testing::WithParamInterface<BadSpec> {};

TEST_P(BadSpecs, AreInvalidParameterWithALogLineNamingTheSpec) {
  const BadSpec& c = GetParam();
  wavert::host::CaptureDebugPrint capture;
  NTSTATUS status;
  if (c.sink) {
    Sink* sink = reinterpret_cast<Sink*>(1);
    status = create_sink(device_, c.spec, &sink);
    EXPECT_EQ(sink, nullptr);
  } else {
    Source* source = reinterpret_cast<Source*>(1);
    bool cable = true;
    status = create_source(device_, c.spec, &source, &cable);
    EXPECT_EQ(source, nullptr);
    EXPECT_FALSE(cable);
  }
  EXPECT_EQ(status, STATUS_INVALID_PARAMETER) << c.spec;
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u) << c.spec;
  EXPECT_NE(lines[0].text.find(std::string("\"") + c.spec + "\""), std::string::npos) << lines[0].text;
  EXPECT_EQ(lines[0].level, unsigned(DPFLTR_ERROR_LEVEL));
}

INSTANTIATE_TEST_SUITE_P(
    Specs, BadSpecs,
    ::testing::Values(BadSpec{true, ""}, BadSpec{true, "nul"}, BadSpec{true, "NULL"}, BadSpec{true, "file:"},
                      BadSpec{true, "alsa:"}, BadSpec{true, "cable"}, BadSpec{true, "tone:440"},
                      BadSpec{true, "null "}, BadSpec{false, ""}, BadSpec{false, "null"},
                      BadSpec{false, "tone"}, BadSpec{false, "tone:"}, BadSpec{false, "tone:0"},
                      BadSpec{false, "tone:0.999"}, BadSpec{false, "tone:96000.001"},
                      BadSpec{false, "tone:96001"}, BadSpec{false, "tone:-440"}, BadSpec{false, "tone:440,1"},
                      BadSpec{false, "tone:440,-120.001"}, BadSpec{false, "tone:440,"},
                      BadSpec{false, "tone:440x"}, BadSpec{false, "tone:440.1234"}, BadSpec{false, "tone:abc"},
                      BadSpec{false, "file:"}, BadSpec{false, "alsa:default"}, BadSpec{false, "silence2"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) { return "Case" + std::to_string(info.index); });

TEST(Specs, GoodSpecsParseToTheirParts) {
  EndpointSpec s;
  ASSERT_EQ(parse_source_spec("tone:96000", &s), STATUS_SUCCESS);
  EXPECT_EQ(s.kind, EndpointKind::Tone);
  EXPECT_EQ(s.tone_millihz, 96'000'000u);
  EXPECT_EQ(s.tone_millidbfs, kToneDefaultMilliDbfs);
  ASSERT_EQ(parse_source_spec("tone:1,-120", &s), STATUS_SUCCESS);
  EXPECT_EQ(s.tone_millihz, 1'000u);
  EXPECT_EQ(s.tone_millidbfs, -120'000);
  ASSERT_EQ(parse_source_spec("tone:997.5,-20.25", &s), STATUS_SUCCESS);
  EXPECT_EQ(s.tone_millihz, 997'500u);
  EXPECT_EQ(s.tone_millidbfs, -20'250);
  ASSERT_EQ(parse_sink_spec("file:/tmp/a b:c.wav", &s), STATUS_SUCCESS);
  EXPECT_EQ(s.kind, EndpointKind::File);
  EXPECT_EQ(std::string(s.path, s.path_chars), "/tmp/a b:c.wav");
  ASSERT_EQ(parse_sink_spec("alsa:hw:0,0", &s), STATUS_SUCCESS);
  EXPECT_EQ(s.kind, EndpointKind::Alsa);
  EXPECT_EQ(std::string(s.path, s.path_chars), "hw:0,0");
  ASSERT_EQ(parse_source_spec("file:C:\\music\\in.wav", &s), STATUS_SUCCESS);
  EXPECT_EQ(std::string(s.path, s.path_chars), "C:\\music\\in.wav");
}

}  // namespace

namespace {

TEST_F(SourceTest, AnAlsaSinkForAMissingDeviceFailsCleanlyWithALogLine) {
  wavert::host::CaptureDebugPrint capture;
  Sink* sink = reinterpret_cast<Sink*>(1);
  const NTSTATUS status = create_sink(device_, "alsa:wavert-nonexistent-device", &sink);
  // With libasound the device is unknown; without it the host has no ALSA at all.
  EXPECT_TRUE(status == STATUS_OBJECT_NAME_NOT_FOUND || status == STATUS_NOT_SUPPORTED) << std::hex << status;
  EXPECT_EQ(sink, nullptr);
  EXPECT_EQ(wavert::host::open_handle_count(), 0u);
  const auto lines = capture.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("\\Device\\WavertAlsa\\wavert-nonexistent-device"), std::string::npos)
      << lines[0].text;
}

}  // namespace
