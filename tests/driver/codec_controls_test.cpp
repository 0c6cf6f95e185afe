// The codec stage's topology controls and outside connections, without a controller.
#include <gtest/gtest.h>

#include "codec/codec_stage.h"
#include "codec/endpoint_io.h"
#include "wavert/host/kernel.hpp"

namespace {

using namespace wavert::codec;

struct SinkLog {
  int begins = 0, writes = 0, ends = 0, destroys = 0;
};

class RecordingSink final : public Sink {
 public:
  explicit RecordingSink(SinkLog* log) : log_(log) {}
  void begin(const wavert::StreamFormat&) override { ++log_->begins; }
  void write(const void*, ULONG) override { ++log_->writes; }
  void end() override { ++log_->ends; }
  void destroy() override {
    ++log_->destroys;
    delete this;
  }
  ULONGLONG dropped_frames() const override { return 0; }

 private:
  SinkLog* log_;
};

class CountingSource final : public Source {
 public:
  explicit CountingSource(int* destroys) : destroys_(destroys) {}
  void read(const wavert::StreamFormat&, void*, ULONG) override {}
  void destroy() override {
    ++*destroys_;
    delete this;
  }
  ULONGLONG starved_frames() const override { return 0; }

 private:
  int* destroys_;
};

class CodecControls : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(CodecStage::create(&stage_), STATUS_SUCCESS); }
  void TearDown() override { delete stage_; }

  wavert::host::KernelSession session_;
  CodecStage* stage_ = nullptr;
};

TEST_F(CodecControls, StartsAtZeroDbUnmutedWithNoPeak) {
  for (CodecEndpoint e : {CodecEndpoint::Speaker, CodecEndpoint::Microphone}) {
    for (ULONG c = 0; c < kMaxChannels; ++c) {
      EXPECT_EQ(stage_->volume(e, c), 0);
      EXPECT_FALSE(stage_->mute(e, c));
      EXPECT_EQ(stage_->take_peak(e, c), 0);
    }
  }
  EXPECT_EQ(stage_->codec_delay_100ns(), 0u);
}

TEST_F(CodecControls, VolumeIsStoredClampedAndRoundedPerEndpointAndChannel) {
  stage_->set_volume(CodecEndpoint::Speaker, 1, -10 * 65536 - 10000);
  stage_->set_volume(CodecEndpoint::Microphone, 0, 5 * 65536);
  stage_->set_volume(CodecEndpoint::Microphone, 7, -120 * 65536);
  EXPECT_EQ(stage_->volume(CodecEndpoint::Speaker, 1), -10 * 65536);
  EXPECT_EQ(stage_->volume(CodecEndpoint::Speaker, 0), 0);
  EXPECT_EQ(stage_->volume(CodecEndpoint::Microphone, 0), 0);
  EXPECT_EQ(stage_->volume(CodecEndpoint::Microphone, 7), kVolumeMinimum);
  EXPECT_EQ(stage_->volume(CodecEndpoint::Speaker, 7), 0);
}

TEST_F(CodecControls, MuteIsPerEndpointAndChannel) {
  stage_->set_mute(CodecEndpoint::Microphone, 3, true);
  EXPECT_TRUE(stage_->mute(CodecEndpoint::Microphone, 3));
  EXPECT_FALSE(stage_->mute(CodecEndpoint::Microphone, 2));
  EXPECT_FALSE(stage_->mute(CodecEndpoint::Speaker, 3));
  stage_->set_mute(CodecEndpoint::Microphone, 3, false);
  EXPECT_FALSE(stage_->mute(CodecEndpoint::Microphone, 3));
}

TEST_F(CodecControls, ChannelsBeyondTheEighthAreIgnored) {
  stage_->set_volume(CodecEndpoint::Speaker, kMaxChannels, -6 * 65536);
  stage_->set_mute(CodecEndpoint::Speaker, kMaxChannels, true);
  for (ULONG c = 0; c < kMaxChannels; ++c) {
    EXPECT_EQ(stage_->volume(CodecEndpoint::Speaker, c), 0);
    EXPECT_FALSE(stage_->mute(CodecEndpoint::Speaker, c));
  }
  EXPECT_EQ(stage_->take_peak(CodecEndpoint::Speaker, kMaxChannels), 0);
}

TEST_F(CodecControls, ReplacedSinkAndSourceAreDestroyedAndTheLastOnesWithTheStage) {
  SinkLog first, second;
  stage_->set_speaker_sink(new RecordingSink(&first));
  stage_->set_speaker_sink(new RecordingSink(&second));
  EXPECT_EQ(first.destroys, 1);
  EXPECT_EQ(first.begins + first.ends, 0);  // no render stream ran: no run to end or begin
  int source_destroys = 0;
  stage_->set_microphone_source(new CountingSource(&source_destroys));
  stage_->set_microphone_source(nullptr);
  EXPECT_EQ(source_destroys, 1);
  stage_->set_microphone_source(new CountingSource(&source_destroys));
  delete stage_;
  stage_ = nullptr;
  EXPECT_EQ(second.destroys, 1);
  EXPECT_EQ(source_destroys, 2);
}

}  // namespace
