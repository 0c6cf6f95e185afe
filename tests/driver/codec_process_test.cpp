// The codec stage behind a real controller in simulated time: render streams mixed into the
// speaker, the speaker output into loopback and the cable, volume / mute / peak on the samples.
// The streams are the controller's own descriptors walking test-built BDLs (hw_test_rig.hpp).
#include <cstdint>
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

}  // namespace
