// The engine with the real codec stage attached: render DMA -> codec (DAC, mix, loopback) ->
// capture DMA, all inside one engine tick. Loopback of a single 0 dB stream is bit-exact
// (codec_stage.h), so the bytes the capture DMA wrote must be the render buffer's bytes.
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "codec/codec_stage.h"
#include "hw_test_rig.hpp"

namespace {

using namespace hw_test;

class CodecRig {
 public:
  CodecRig() : session_(sim_config()) {
    EXPECT_EQ(wavert::codec::CodecStage::create(&codec_), STATUS_SUCCESS);
    EXPECT_EQ(Controller::create(ControllerConfig{}, codec_, &controller_), STATUS_SUCCESS);
  }
  ~CodecRig() {
    delete controller_;
    delete codec_;
  }
  Controller* controller() const { return controller_; }

 private:
  wavert::host::KernelSession session_;
  wavert::codec::CodecStage* codec_ = nullptr;
  Controller* controller_ = nullptr;
};

int16_t left_of(ULONG frame) { return static_cast<int16_t>(frame * 17 + 5); }
int16_t right_of(ULONG frame) { return static_cast<int16_t>(-static_cast<int>(frame * 29 + 3)); }

TEST(HwEngineWithCodec, LoopbackCaptureDmaWritesTheRenderBuffersFramesBitExact) {
  CodecRig rig;
  const StreamFormat format = pcm_format(2, 16, 16, 48000);
  constexpr ULONG kFrames = 1920;  // 40 ms
  TestStream render(rig.controller(), StreamRoute::SpeakerRender, format, kFrames * 4, 1920);
  TestStream loopback(rig.controller(), StreamRoute::SpeakerLoopback, format, kFrames * 4, 1920);
  ASSERT_EQ(render.program_status(), STATUS_SUCCESS);
  ASSERT_EQ(loopback.program_status(), STATUS_SUCCESS);
  auto* samples = reinterpret_cast<int16_t*>(render.buffer());
  for (ULONG f = 0; f < kFrames; ++f) {
    samples[2 * f] = left_of(f);
    samples[2 * f + 1] = right_of(f);
  }
  render.sd()->start();
  loopback.sd()->start();
  run_ms(500);
  render.sd()->stop();
  loopback.sd()->stop();

  const ULONGLONG written = loopback.sd()->dma_bytes();
  ASSERT_GT(written, 2ull * loopback.bytes());
  // The last lap of the loopback buffer: one constant frame offset against the render buffer.
  const auto* captured = reinterpret_cast<const int16_t*>(loopback.buffer());
  const ULONGLONG first_frame = (written - loopback.bytes()) / 4;
  const ULONG first_slot = static_cast<ULONG>(first_frame % kFrames);
  ULONG offset = kFrames;
  for (ULONG f = 0; f < kFrames; ++f) {
    if (left_of(f) == captured[2 * first_slot] && right_of(f) == captured[2 * first_slot + 1]) offset = f;
  }
  ASSERT_LT(offset, kFrames) << "first frame of the last lap is no render frame: " << captured[2 * first_slot] << ","
                             << captured[2 * first_slot + 1] << " render dma " << render.sd()->dma_bytes()
                             << " render converted " << render.sd()->codec_state().frames_converted
                             << " loopback converted " << loopback.sd()->codec_state().frames_converted
                             << " loopback dma " << written << " sample " << captured[100] << "," << captured[101];
  size_t mismatches = 0;
  for (ULONGLONG n = 0; n < loopback.bytes() / 4; ++n) {
    const ULONG slot = static_cast<ULONG>((first_frame + n) % kFrames);
    const ULONG source = static_cast<ULONG>((offset + n) % kFrames);
    if (captured[2 * slot] != left_of(source) || captured[2 * slot + 1] != right_of(source)) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u);
  // Neither FIFO ran empty or over: the render DMA stays ahead of the DAC, capture behind the ADC.
  for (const TestStream* s : {&render, &loopback}) {
    const UCHAR sts = *reinterpret_cast<volatile const UCHAR*>(
        rig.controller()->register_page() + wavert::hw::stream_register(s->sd()->index(), wavert::hw::kSdSts));
    EXPECT_EQ(sts & wavert::hw::kStsFifoe, 0) << "stream " << s->sd()->index();
  }
}

}  // namespace
