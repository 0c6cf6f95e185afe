// The codec stage behind a real controller in simulated time: render streams mixed into the
// speaker, the speaker output into loopback and the cable, volume / mute / peak on the samples.
// The streams are the controller's own descriptors walking test-built BDLs (hw_test_rig.hpp).
#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "codec/codec_stage.h"
#include "codec/endpoint_io.h"
#include "codec/gain.h"
#include "codec/grid.h"
#include "codec/sample_convert.h"
#include "hw_test_rig.hpp"

namespace {

using namespace hw_test;
using wavert::SampleType;
using wavert::codec::CodecEndpoint;
using wavert::codec::CodecStage;

// A machine with a controller whose converters are the codec stage.
class CodecRig {
 public:
  explicit CodecRig(const ControllerConfig& config = {}) : session_(sim_config()) {
    EXPECT_EQ(CodecStage::create(&codec_), STATUS_SUCCESS);
    EXPECT_EQ(Controller::create(config, codec_, &controller_), STATUS_SUCCESS);
  }
  ~CodecRig() {
    delete controller_;  // stops the engine before the stage it calls goes away
    delete codec_;
  }
  Controller* controller() const { return controller_; }
  CodecStage* codec() const { return codec_; }

 private:
  wavert::host::KernelSession session_;
  CodecStage* codec_ = nullptr;
  Controller* controller_ = nullptr;
};

StreamFormat make_format(SampleType type, int channels, int container, int valid, ULONG rate) {
  StreamFormat f = pcm_format(channels, container, valid, rate);
  f.type = type;
  return f;
}

ULONG bytes_for_ms(const StreamFormat& f, ULONG ms) { return f.rate_hz * ms / 1000 * f.block_align(); }

// Random samples every format carries exactly: any bit pattern for integer containers, the low
// byte zero for 24-in-32, finite floats (-0.0 and values past full scale included) for float.
void fill_random(const StreamFormat& f, UCHAR* bytes, ULONG count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  if (f.type == SampleType::Float) {
    std::uniform_real_distribution<float> value(-1.25f, 1.25f);
    for (ULONG i = 0; i + 4 <= count; i += 4) {
      float x = value(rng);
      if (i % 400 == 0) x = -0.0f;
      std::memcpy(bytes + i, &x, 4);
    }
    return;
  }
  for (ULONG i = 0; i < count; ++i) bytes[i] = static_cast<UCHAR>(rng() >> 24);
  if (f.container_bits == 32 && f.valid_bits == 24) {
    for (ULONG i = 0; i < count; i += 4) bytes[i] = 0;
  }
}

UCHAR silence_byte(const StreamFormat& f) { return f.type == SampleType::Pcm && f.container_bits == 8 ? 0x80 : 0; }

// Grid frame of a started stream's frame 0 (its position counts from 0 after reset).
LONGLONG anchor_of(const StreamDescriptor* sd) {
  return static_cast<LONGLONG>(
      wavert::codec::grid_frame_at_or_after(sd->device_ticks_of_frame(0), sd->format().rate_hz));
}

// Frames a capture stream's DMA has written to its (never wrapped) buffer.
ULONG captured_frames(const TestStream& s) {
  return static_cast<ULONG>(s.sd()->dma_bytes() / s.sd()->format().block_align());
}

// Checks that `capture` holds `render`'s frames on the shared grid, silence before them; `shift`
// is the capture's anchor minus the render stream's (taken while both ran: device_ticks_of_frame
// speaks of the current run). Returns the number of render frames found in the capture.
ULONG ExpectCaptureIsRenderBitExact(const TestStream& render, const TestStream& capture, LONGLONG shift) {
  const StreamFormat& f = render.sd()->format();
  const ULONG block = f.block_align();
  const ULONG frames = captured_frames(capture);
  const LONGLONG rendered = static_cast<LONGLONG>(render.sd()->codec_state().frames_converted);
  std::vector<UCHAR> silence(block, silence_byte(f));
  ULONG matched = 0;
  for (ULONG i = 0; i < frames; ++i) {
    const UCHAR* got = capture.buffer() + i * block;
    const LONGLONG j = i + shift;
    if (j >= 0 && j < rendered) {
      if (std::memcmp(got, render.buffer() + j * block, block) != 0) {
        ADD_FAILURE() << "capture frame " << i << " differs from render frame " << j;
        return matched;
      }
      ++matched;
    } else if (std::memcmp(got, silence.data(), block) != 0) {
      ADD_FAILURE() << "capture frame " << i << " (render frame " << j << ") should be silence";
      return matched;
    }
  }
  return matched;
}

struct FormatCase {
  SampleType type;
  int container;
  int valid;
};

class CodecLoopbackBitExact : public ::testing::TestWithParam<std::tuple<FormatCase, int, ULONG>> {};

TEST_P(CodecLoopbackBitExact, LoopbackIsTheRenderStreamBitForBit) {
  const auto [fc, channels, rate] = GetParam();
  const StreamFormat f = make_format(fc.type, channels, fc.container, fc.valid, rate);
  CodecRig rig;
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  ASSERT_EQ(loopback.program_status(), STATUS_SUCCESS);
  ASSERT_EQ(render.program_status(), STATUS_SUCCESS);
  fill_random(f, render.buffer(), render.bytes(), 1234 + channels);
  loopback.sd()->start();
  run_ms(7);
  wavert::host::run_for(std::chrono::nanoseconds(31'337));  // off the grid: anchors differ
  render.sd()->start();
  run_ms(1);
  const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(render.sd());
  ASSERT_LT(shift, 0);
  run_ms(120);
  render.sd()->stop();
  run_ms(20);  // the loopback hears the silence after the run
  loopback.sd()->stop();
  const ULONG matched = ExpectCaptureIsRenderBitExact(render, loopback, shift);
  EXPECT_GE(matched, rate / 10) << "at least 100 ms of the render stream went round";
}

const FormatCase kFormats[] = {
    {SampleType::Pcm, 8, 8},   {SampleType::Pcm, 16, 16}, {SampleType::Pcm, 24, 24},
    {SampleType::Pcm, 32, 24}, {SampleType::Pcm, 32, 32}, {SampleType::Float, 32, 32},
};

INSTANTIATE_TEST_SUITE_P(EveryFormat, CodecLoopbackBitExact,
                         ::testing::Combine(::testing::ValuesIn(kFormats), ::testing::Range(1, 9),
                                            ::testing::Values(44100u, 48000u)));

// ---- Helpers for the tests below ------------------------------------------------------------------

LONG sample16(const UCHAR* frame, int channel) {
  return static_cast<SHORT>(static_cast<USHORT>(frame[2 * channel] | (frame[2 * channel + 1] << 8)));
}

void put16(UCHAR* frame, int channel, LONG value) {
  frame[2 * channel] = static_cast<UCHAR>(value);
  frame[2 * channel + 1] = static_cast<UCHAR>(value >> 8);
}

struct SinkRecord {
  std::vector<StreamFormat> begins;
  std::vector<UCHAR> bytes;
  ULONGLONG frames = 0;
  int ends = 0;
  bool destroyed = false;
};

class RecordingSink final : public wavert::codec::Sink {
 public:
  explicit RecordingSink(SinkRecord* record) : record_(record) {}
  void begin(const StreamFormat& format) override {
    record_->begins.push_back(format);
    format_ = format;
  }
  void write(const void* bytes, ULONG frames) override {
    const auto* p = static_cast<const UCHAR*>(bytes);
    record_->bytes.insert(record_->bytes.end(), p, p + frames * format_.block_align());
    record_->frames += frames;
  }
  void end() override { ++record_->ends; }
  void destroy() override {
    record_->destroyed = true;
    delete this;
  }
  ULONGLONG dropped_frames() const override { return 0; }

 private:
  SinkRecord* record_;
  StreamFormat format_;
};

// A microphone that hears a constant: `value` (normalised) on every channel.
class ConstantSource final : public wavert::codec::Source {
 public:
  ConstantSource(double value, std::vector<StreamFormat>* formats) : value_(value), formats_(formats) {}
  void read(const StreamFormat& format, void* bytes, ULONG frames) override {
    if (formats_->empty() || formats_->back() != format) formats_->push_back(format);
    std::vector<double> samples(frames * format.channels, value_);
    wavert::codec::encode_samples(format, samples.data(), frames, bytes);
  }
  void destroy() override { delete this; }
  ULONGLONG starved_frames() const override { return 0; }

 private:
  double value_;
  std::vector<StreamFormat>* formats_;
};

TEST(CodecProcess, CableFeedsTheSpeakerOutputToTheMicrophoneBitExact) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 24, 24, 48000);
  CodecRig rig;
  rig.codec()->set_microphone_cable(true);
  TestStream microphone(rig.controller(), StreamRoute::MicrophoneCapture, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  fill_random(f, render.buffer(), render.bytes(), 99);
  render.sd()->start();
  run_ms(3);
  microphone.sd()->start();
  run_ms(1);
  const LONGLONG shift = anchor_of(microphone.sd()) - anchor_of(render.sd());
  ASSERT_GT(shift, 0);
  run_ms(100);
  microphone.sd()->stop();
  render.sd()->stop();
  EXPECT_GE(ExpectCaptureIsRenderBitExact(render, microphone, shift), 4000u);
}

TEST(CodecProcess, WithoutCableTheMicrophoneHearsItsSourceThroughItsVolumeAndMute) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  CodecRig rig;
  std::vector<StreamFormat> read_formats;
  rig.codec()->set_microphone_source(new ConstantSource(0.5, &read_formats));
  rig.codec()->set_volume(CodecEndpoint::Microphone, 0, -6 * 65536);
  rig.codec()->set_mute(CodecEndpoint::Microphone, 1, true);
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  fill_random(f, render.buffer(), render.bytes(), 5);  // the speaker plays; the microphone must not hear it
  TestStream microphone(rig.controller(), StreamRoute::MicrophoneCapture, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  render.sd()->start();
  microphone.sd()->start();
  run_ms(50);
  microphone.sd()->stop();
  render.sd()->stop();
  ASSERT_EQ(read_formats.size(), 1u);
  EXPECT_EQ(read_formats[0], f);
  const LONG expected = static_cast<LONG>(16384 * wavert::codec::volume_gain(-6 * 65536) + 0.5);  // 8211
  const ULONG frames = captured_frames(microphone);
  ASSERT_GE(frames, 2000u);
  for (ULONG i = 0; i < frames; ++i) {
    const UCHAR* frame = microphone.buffer() + 4 * i;
    ASSERT_EQ(sample16(frame, 0), expected) << "frame " << i;
    ASSERT_EQ(sample16(frame, 1), 0) << "frame " << i;
  }
  EXPECT_EQ(rig.codec()->take_peak(CodecEndpoint::Microphone, 0),
            wavert::codec::peak_of_magnitude(0.5 * wavert::codec::volume_gain(-6 * 65536)));
  EXPECT_EQ(rig.codec()->take_peak(CodecEndpoint::Microphone, 1), 0);
}

TEST(CodecProcess, SixtyFourStreamsMixSampleBySampleAndSaturateOnEncode) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  CodecRig rig;
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, f, bytes_for_ms(f, 200), bytes_for_ms(f, 10));
  std::vector<std::unique_ptr<TestStream>> renders;
  for (int i = 0; i < 64; ++i) {
    renders.push_back(std::make_unique<TestStream>(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 200),
                                                   bytes_for_ms(f, 10)));
    ASSERT_EQ(renders.back()->program_status(), STATUS_SUCCESS) << i;
    // Left: 64 positive streams that sum far past full scale. Right: a ramp per stream whose sum
    // stays inside it, different in every frame.
    UCHAR* buffer = renders.back()->buffer();
    for (ULONG j = 0; j < renders.back()->bytes() / 4; ++j) {
      put16(buffer + 4 * j, 0, (i + 1) * 100);
      put16(buffer + 4 * j, 1, static_cast<LONG>(j % 100) - 50 + i);
    }
  }
  loopback.sd()->start();
  run_ms(2);
  for (auto& r : renders) r->sd()->start();  // one instant: one anchor
  run_ms(1);
  const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(renders[0]->sd());
  for (auto& r : renders) ASSERT_EQ(anchor_of(r->sd()), anchor_of(renders[0]->sd()));
  run_ms(60);
  for (auto& r : renders) r->sd()->stop();
  loopback.sd()->stop();
  const LONGLONG rendered = static_cast<LONGLONG>(renders[0]->sd()->codec_state().frames_converted);
  ULONG mixed = 0;
  for (ULONG i = 0; i < captured_frames(loopback); ++i) {
    const LONGLONG j = i + shift;
    const UCHAR* frame = loopback.buffer() + 4 * i;
    if (j < 0 || j >= rendered) {
      ASSERT_EQ(sample16(frame, 0), 0) << i;
      continue;
    }
    ASSERT_EQ(sample16(frame, 0), 32767) << "frame " << j << ": 64 * 3250 saturates";
    ASSERT_EQ(sample16(frame, 1), 64 * (static_cast<LONG>(j % 100) - 50) + 2016) << "frame " << j;
    ++mixed;
  }
  EXPECT_GE(mixed, 2500u);
}

TEST(CodecProcess, VolumeAndMuteChangeTheSamplesAndThePeakMeterSeesThem) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  CodecRig rig;
  CodecStage* codec = rig.codec();
  codec->set_volume(CodecEndpoint::Speaker, 0, -6 * 65536);
  codec->set_mute(CodecEndpoint::Speaker, 1, true);
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, f, bytes_for_ms(f, 200), bytes_for_ms(f, 10));
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 200), bytes_for_ms(f, 10));
  fill_random(f, render.buffer(), render.bytes(), 7);
  loopback.sd()->start();
  render.sd()->start();
  run_ms(1);
  const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(render.sd());
  run_ms(50);
  render.sd()->stop();
  loopback.sd()->stop();
  const double gain = wavert::codec::volume_gain(-6 * 65536);
  const LONGLONG rendered = static_cast<LONGLONG>(render.sd()->codec_state().frames_converted);
  double peak = 0;
  for (LONGLONG j = 0; j < rendered; ++j) {
    const double x = sample16(render.buffer() + 4 * j, 0) / 32768.0 * gain;
    peak = std::max(peak, std::abs(x));
  }
  ULONG checked = 0;
  for (ULONG i = 0; i < captured_frames(loopback); ++i) {
    const LONGLONG j = i + shift;
    if (j < 0 || j >= rendered) continue;
    const LONG x = sample16(render.buffer() + 4 * j, 0);
    const double scaled = x * gain;
    const LONG expected = static_cast<LONG>(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
    ASSERT_EQ(sample16(loopback.buffer() + 4 * i, 0), expected) << "frame " << j << " from " << x;
    ASSERT_EQ(sample16(loopback.buffer() + 4 * i, 1), 0) << "muted, frame " << j;
    ++checked;
  }
  EXPECT_GE(checked, 2000u);
  EXPECT_EQ(codec->take_peak(CodecEndpoint::Speaker, 0), wavert::codec::peak_of_magnitude(peak));
  EXPECT_EQ(codec->take_peak(CodecEndpoint::Speaker, 1), 0);
  EXPECT_EQ(codec->take_peak(CodecEndpoint::Speaker, 0), 0) << "reading resets the meter";
}

TEST(CodecProcess, SinkHearsEachRunFromItsFirstFrameInTheFirstStreamsFormat) {
  const StreamFormat a = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  const StreamFormat b = make_format(SampleType::Float, 1, 32, 32, 44100);
  CodecRig rig;
  SinkRecord record;
  rig.codec()->set_speaker_sink(new RecordingSink(&record));
  TestStream first(rig.controller(), StreamRoute::SpeakerRender, a, bytes_for_ms(a, 300), bytes_for_ms(a, 10));
  TestStream second(rig.controller(), StreamRoute::SpeakerRender, b, bytes_for_ms(b, 300), bytes_for_ms(b, 10));
  fill_random(a, first.buffer(), first.bytes(), 11);
  std::memset(second.buffer(), 0, second.bytes());
  first.sd()->start();
  run_ms(5);
  second.sd()->start();  // joins the run: resampled into it, no new begin
  run_ms(40);
  EXPECT_EQ(record.begins.size(), 1u);
  first.sd()->stop();
  second.sd()->stop();
  run_ms(5);
  ASSERT_EQ(record.begins.size(), 1u);
  EXPECT_EQ(record.begins[0], a);
  // The second stream was silent: the sink holds the first stream bit for bit from its frame 0.
  const ULONGLONG rendered = first.sd()->codec_state().frames_converted;
  EXPECT_EQ(record.frames, rendered);
  ASSERT_EQ(record.bytes.size(), rendered * 4);
  EXPECT_EQ(std::memcmp(record.bytes.data(), first.buffer(), record.bytes.size()), 0);

  // A new run, started by the float stream, is in its format. The engine stopped with the last
  // stream, so the first run's end() comes with the next engine tick, just before this begin().
  second.sd()->reset();
  second.sd()->start();
  run_ms(20);
  EXPECT_EQ(record.ends, 1);
  ASSERT_EQ(record.begins.size(), 2u);
  EXPECT_EQ(record.begins[1], b);
  EXPECT_GE(record.frames, rendered + 44100 / 50 - 50);
  second.sd()->stop();
}

// A 1 kHz sine rendered at 44.1 kHz into a 48 kHz speaker: linear interpolation between the two
// newest finished frames, i.e. the sine one 44.1 kHz frame late, within linear interpolation's
// error.
TEST(CodecProcess, AResampledStreamIsTheLinearInterpolationOfItsFramesOneFrameLate) {
  const StreamFormat speaker = make_format(SampleType::Float, 1, 32, 32, 48000);
  const StreamFormat slow = make_format(SampleType::Float, 1, 32, 32, 44100);
  CodecRig rig;
  TestStream setter(rig.controller(), StreamRoute::SpeakerRender, speaker, bytes_for_ms(speaker, 300),
                    bytes_for_ms(speaker, 10));
  std::memset(setter.buffer(), 0, setter.bytes());
  TestStream sine(rig.controller(), StreamRoute::SpeakerRender, slow, bytes_for_ms(slow, 300), bytes_for_ms(slow, 10));
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, speaker, bytes_for_ms(speaker, 300),
                      bytes_for_ms(speaker, 10));
  const double kPi = 3.14159265358979323846;
  for (ULONG j = 0; j < sine.bytes() / 4; ++j) {
    const float x = static_cast<float>(0.5 * std::sin(2 * kPi * 1000.0 * j / 44100.0));
    std::memcpy(sine.buffer() + 4 * j, &x, 4);
  }
  setter.sd()->start();  // the speaker runs at 48 kHz
  run_ms(2);
  sine.sd()->start();
  loopback.sd()->start();
  run_ms(1);
  const LONGLONG sine_anchor = anchor_of(sine.sd());
  const LONGLONG loopback_anchor = anchor_of(loopback.sd());
  run_ms(60);
  loopback.sd()->stop();
  sine.sd()->stop();
  setter.sd()->stop();
  double worst = 0;
  ULONG compared = 0;
  for (ULONG i = 0; i < captured_frames(loopback); ++i) {
    float got;
    std::memcpy(&got, loopback.buffer() + 4 * i, 4);
    // Loopback frame i is speaker grid frame g, finished at (g + 1) / 48000 s; the sine's frames
    // finished by then end at grid position (g + 1) * 44100 / 48000, and it is heard one frame
    // behind that: at stream position (g + 1) * 44100 / 48000 - 2 - anchor.
    const LONGLONG g = loopback_anchor + i;
    const double position = (g + 1) * 44100.0 / 48000.0 - 2 - sine_anchor;
    if (position < 1) continue;  // the fade-in from silence
    const double ideal = 0.5 * std::sin(2 * kPi * 1000.0 * position / 44100.0);
    worst = std::max(worst, std::abs(got - ideal));
    ++compared;
  }
  EXPECT_GE(compared, 2500u);
  // Linear interpolation's error bound: h^2 / 8 * max|x''| = A (2 pi f / fs)^2 / 8 (-58 dB here);
  // one frame more or less of delay would be off by up to A * 2 pi f / fs (-17 dB).
  EXPECT_LT(worst, 0.5 * std::pow(2 * kPi * 1000 / 44100, 2) / 8 + 1e-6) << "worst error " << worst;
  EXPECT_GT(worst, 0.0) << "the sine was interpolated, not copied";
}

// A 1 kHz sine rendered at 48 kHz, captured by a 44.1 kHz loopback stream: the capture side
// interpolates the speaker output the same way, one speaker frame late.
TEST(CodecProcess, ACaptureStreamAtAnotherRateInterpolatesTheSpeakerOutput) {
  const StreamFormat speaker = make_format(SampleType::Float, 1, 32, 32, 48000);
  const StreamFormat slow = make_format(SampleType::Float, 1, 32, 32, 44100);
  CodecRig rig;
  TestStream sine(rig.controller(), StreamRoute::SpeakerRender, speaker, bytes_for_ms(speaker, 300),
                  bytes_for_ms(speaker, 10));
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, slow, bytes_for_ms(slow, 300),
                      bytes_for_ms(slow, 10));
  const double kPi = 3.14159265358979323846;
  for (ULONG j = 0; j < sine.bytes() / 4; ++j) {
    const float x = static_cast<float>(0.5 * std::sin(2 * kPi * 1000.0 * j / 48000.0));
    std::memcpy(sine.buffer() + 4 * j, &x, 4);
  }
  sine.sd()->start();
  run_ms(2);
  loopback.sd()->start();
  run_ms(1);
  const LONGLONG sine_anchor = anchor_of(sine.sd());
  const LONGLONG loopback_anchor = anchor_of(loopback.sd());
  run_ms(60);
  loopback.sd()->stop();
  sine.sd()->stop();
  double worst = 0;
  ULONG compared = 0;
  for (ULONG i = 0; i < captured_frames(loopback); ++i) {
    float got;
    std::memcpy(&got, loopback.buffer() + 4 * i, 4);
    // Capture grid frame g finishes at (g + 1) / 44100 s; the speaker has finished its frames
    // below (g + 1) * 48000 / 44100 by then and is heard one frame behind that.
    const LONGLONG g = loopback_anchor + i;
    const double position = (g + 1) * 48000.0 / 44100.0 - 2 - sine_anchor;
    ASSERT_GE(position, 1) << "the loopback started after the sine";
    const double ideal = 0.5 * std::sin(2 * kPi * 1000.0 * position / 48000.0);
    worst = std::max(worst, std::abs(got - ideal));
    ++compared;
  }
  EXPECT_GE(compared, 2500u);
  EXPECT_LT(worst, 0.5 * std::pow(2 * kPi * 1000 / 48000, 2) / 8 + 1e-6) << "worst error " << worst;
}

TEST(CodecProcess, AMonoStreamPlaysOnBothSpeakerChannelsUnchanged) {
  const StreamFormat stereo = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  const StreamFormat mono = make_format(SampleType::Pcm, 1, 16, 16, 48000);
  CodecRig rig;
  TestStream first(rig.controller(), StreamRoute::SpeakerRender, stereo, bytes_for_ms(stereo, 200),
                   bytes_for_ms(stereo, 10));
  std::memset(first.buffer(), 0, first.bytes());
  TestStream voice(rig.controller(), StreamRoute::SpeakerRender, mono, bytes_for_ms(mono, 200), bytes_for_ms(mono, 10));
  fill_random(mono, voice.buffer(), voice.bytes(), 3);
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, stereo, bytes_for_ms(stereo, 200),
                      bytes_for_ms(stereo, 10));
  first.sd()->start();  // the speaker is stereo
  loopback.sd()->start();
  run_ms(3);
  voice.sd()->start();
  run_ms(1);
  const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(voice.sd());
  run_ms(50);
  voice.sd()->stop();
  loopback.sd()->stop();
  first.sd()->stop();
  const LONGLONG rendered = static_cast<LONGLONG>(voice.sd()->codec_state().frames_converted);
  ULONG checked = 0;
  for (ULONG i = 0; i < captured_frames(loopback); ++i) {
    const LONGLONG j = i + shift;
    const UCHAR* frame = loopback.buffer() + 4 * i;
    const LONG expected = j >= 0 && j < rendered ? sample16(voice.buffer() + 2 * j, 0) : 0;
    ASSERT_EQ(sample16(frame, 0), expected) << "left, frame " << j;
    ASSERT_EQ(sample16(frame, 1), expected) << "right, frame " << j;
    checked += j >= 0 && j < rendered;
  }
  EXPECT_GE(checked, 2000u);
}

TEST(CodecProcess, PausingAndResumingAStreamContinuesItsDataWhereItStopped) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  CodecRig rig;
  SinkRecord record;
  rig.codec()->set_speaker_sink(new RecordingSink(&record));
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  fill_random(f, render.buffer(), render.bytes(), 17);
  render.sd()->start();
  run_ms(30);
  render.sd()->stop();  // PAUSE: position and FIFO stay
  run_ms(7);
  render.sd()->start();
  run_ms(30);
  render.sd()->stop();
  // Two runs for the sink; together they hold the stream's frames in order, none lost or doubled
  // except the ones due between the last engine tick and each stop (the DAC had not reached them).
  EXPECT_EQ(record.begins.size(), 2u);
  const ULONG block = f.block_align();
  ASSERT_EQ(record.bytes.size() % block, 0u);
  const ULONGLONG heard = record.bytes.size() / block;
  EXPECT_GE(heard, 2 * 48000 * 29 / 1000);
  // Frames heard are a subsequence of the buffer, in order: find each in turn.
  ULONGLONG j = 0;
  for (ULONGLONG i = 0; i < heard; ++i, ++j) {
    while (j < render.bytes() / block && std::memcmp(record.bytes.data() + i * block, render.buffer() + j * block, block) != 0) ++j;
    ASSERT_LT(j, render.bytes() / block) << "sink frame " << i << " is not the next frame of the stream";
  }
}

// The largest engine tick the controller allows (10 ms) at the highest rate and channel count:
// the pass buffers hold it, and loopback stays bit-exact.
TEST(CodecProcess, TenMillisecondTicksOf192kHzEightChannelFloatLoopBitExact) {
  ControllerConfig config;
  config.dma_tick_us = 10000;
  const StreamFormat f = make_format(SampleType::Float, 8, 32, 32, 192000);
  CodecRig rig(config);
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, f, bytes_for_ms(f, 200), bytes_for_ms(f, 20));
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, f, bytes_for_ms(f, 200), bytes_for_ms(f, 20));
  ASSERT_EQ(render.program_status(), STATUS_SUCCESS);
  fill_random(f, render.buffer(), render.bytes(), 192);
  loopback.sd()->start();
  render.sd()->start();
  run_ms(1);
  const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(render.sd());
  run_ms(120);
  render.sd()->stop();
  loopback.sd()->stop();
  EXPECT_GE(ExpectCaptureIsRenderBitExact(render, loopback, shift), 192000u / 10);
}

TEST(CodecProcess, TheCableOverridesTheSourceOnlyWhileItIsOn) {
  const StreamFormat f = make_format(SampleType::Pcm, 1, 16, 16, 48000);
  CodecRig rig;
  std::vector<StreamFormat> read_formats;
  rig.codec()->set_microphone_cable(true);
  rig.codec()->set_microphone_source(new ConstantSource(0.25, &read_formats));  // after: still cable
  TestStream microphone(rig.controller(), StreamRoute::MicrophoneCapture, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
  microphone.sd()->start();
  run_ms(20);  // no render stream: the cable carries silence
  EXPECT_TRUE(read_formats.empty());
  rig.codec()->set_microphone_cable(false);
  run_ms(20);
  microphone.sd()->stop();
  ASSERT_EQ(read_formats.size(), 1u);
  const ULONG frames = captured_frames(microphone);
  ASSERT_GE(frames, 1800u);
  EXPECT_EQ(sample16(microphone.buffer(), 0), 0) << "cable: silence";
  EXPECT_EQ(sample16(microphone.buffer() + 2 * (frames - 1), 0), 8192) << "source: 0.25";
}

// The stage outlives a controller (PnP stop/start could pair it with a new one): the new device
// clock starts at 0 again, and the stage follows it instead of waiting for the old time.
TEST(CodecProcess, ANewControllerOnTheSameStageStartsFromItsOwnTimeZero) {
  const StreamFormat f = make_format(SampleType::Pcm, 2, 16, 16, 48000);
  wavert::host::KernelSession session(sim_config());
  CodecStage* codec = nullptr;
  ASSERT_EQ(CodecStage::create(&codec), STATUS_SUCCESS);
  for (int generation = 0; generation < 2; ++generation) {
    Controller* controller = nullptr;
    ASSERT_EQ(Controller::create({}, codec, &controller), STATUS_SUCCESS);
    {
      TestStream loopback(controller, StreamRoute::SpeakerLoopback, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
      TestStream render(controller, StreamRoute::SpeakerRender, f, bytes_for_ms(f, 300), bytes_for_ms(f, 10));
      fill_random(f, render.buffer(), render.bytes(), 40 + generation);
      loopback.sd()->start();
      render.sd()->start();
      run_ms(1);
      const LONGLONG shift = anchor_of(loopback.sd()) - anchor_of(render.sd());
      run_ms(generation == 0 ? 200 : 50);
      render.sd()->stop();
      loopback.sd()->stop();
      EXPECT_GE(ExpectCaptureIsRenderBitExact(render, loopback, shift), 2000u) << "controller " << generation;
    }
    delete controller;
  }
  delete codec;
}

}  // namespace
