// Capture, endpoints and negotiation through the client API against the clocked test miniport.
#include <chrono>
#include <vector>

#include "client_fixture.hpp"
#include "wavert/host/clock.hpp"

namespace client_test {
namespace {

using namespace wavert::client;
using std::chrono::milliseconds;

::testing::AssertionResult MatchesCapturePattern(const std::vector<std::byte>& data, std::uint32_t frame_bytes,
                                                 std::uint64_t first_frame) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::uint64_t frame = first_frame + i / frame_bytes;
    const auto expected = std::byte{clocked_test::capture_byte(frame, static_cast<std::uint32_t>(i % frame_bytes))};
    if (data[i] != expected)
      return ::testing::AssertionFailure() << "byte " << i << " (frame " << frame << ") differs";
  }
  return ::testing::AssertionSuccess();
}

class CaptureModes : public ClientTest, public ::testing::WithParamInterface<Mode> {};

TEST_P(CaptureModes, ReadsWhatTheDeviceRecordedFromFrameZero) {
  const Format format = Format::pcm24(48'000, 2);
  CaptureStream stream;
  ASSERT_TRUE(Ok(stream.open(microphone_, {format, 20'000, GetParam()})));
  std::vector<std::byte> data(std::size_t{4'800} * format.frame_bytes());  // 100 ms
  ASSERT_TRUE(Ok(stream.read_all(data)));
  EXPECT_TRUE(MatchesCapturePattern(data, format.frame_bytes(), 0));
  EXPECT_EQ(stream.glitches().count, 0u);
}

INSTANTIATE_TEST_SUITE_P(AllModes, CaptureModes, ::testing::Values(Mode::Event, Mode::Poll, Mode::Packet),
                         [](const auto& info) { return std::string(mode_name(info.param)); });

TEST_F(ClientTest, CaptureOverrunIsReportedAndReadingResumesAtTheRecordPosition) {
  const Format format = Format::pcm16(48'000, 1);
  CaptureStream stream;
  ASSERT_TRUE(Ok(stream.open(microphone_, {format, 20'000, Mode::Event})));
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(70));  // 3.5 buffers recorded, none read
  std::uint32_t available = 0;
  ASSERT_TRUE(Ok(stream.readable_frames(&available)));
  EXPECT_EQ(stream.glitches().count, 1u);
  EXPECT_GT(stream.glitches().frames_lost, 2u * stream.buffer_frames());
  std::uint64_t position = 0;
  ASSERT_TRUE(Ok(stream.device_position(&position)));
  std::vector<std::byte> data(std::size_t{480} * format.frame_bytes());
  ASSERT_TRUE(Ok(stream.read_all(data)));
  EXPECT_TRUE(MatchesCapturePattern(data, format.frame_bytes(), position)) << "no stale data after the overrun";
}

TEST_F(ClientTest, CaptureWithoutThePositionRegisterUsesAudioPosition) {
  clocked_test::SetOptions({.position_register = false});
  const Format format = Format::float32(44'100, 2);
  CaptureStream stream;
  ASSERT_TRUE(Ok(stream.open(microphone_, {format, 20'000, Mode::Event})));
  EXPECT_FALSE(stream.position_register_mapped());
  std::vector<std::byte> data(std::size_t{2'205} * format.frame_bytes());
  ASSERT_TRUE(Ok(stream.read_all(data)));
  EXPECT_TRUE(MatchesCapturePattern(data, format.frame_bytes(), 0));
}

TEST_F(ClientTest, EndpointsAreTheStreamingPinsWithTheirRanges) {
  std::vector<Endpoint> all;
  ASSERT_TRUE(Ok(enumerate_endpoints(&all)));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].direction, Direction::Render);
  EXPECT_EQ(all[0].pin_id, 0u);
  EXPECT_EQ(all[1].direction, Direction::Capture);
  EXPECT_EQ(all[1].pin_id, 1u);
  for (const Endpoint& e : all) {
    ASSERT_EQ(e.ranges.size(), 2u) << e.name;
    EXPECT_TRUE(e.supports(Format::pcm16(48'000, 2)));
    EXPECT_TRUE(e.supports(Format::pcm24in32(192'000, 8)));
    EXPECT_TRUE(e.supports(Format::float32(8'000, 1)));
    EXPECT_FALSE(e.supports(Format::pcm16(384'000, 2)));
    // 6 sample layouts x 8 channel counts x 11 rates, all inside the ranges.
    EXPECT_EQ(e.formats().size(), 6u * 8u * 11u);
    EXPECT_FALSE(e.name.empty());
  }
}

TEST_F(ClientTest, FindEndpointByNameListsTheNamesWhenMissing) {
  Endpoint e;
  Status s = find_endpoint("no such thing", &e);
  EXPECT_EQ(s.code(), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_NE(s.message().find(speaker_.name), std::string::npos) << s.message();
  ASSERT_TRUE(Ok(find_endpoint(speaker_.name, &e)));
  EXPECT_EQ(e.pin_id, speaker_.pin_id);
}

TEST_F(ClientTest, NegotiationAgreesOnTheWantedFormatWhenThePinTakesIt) {
  for (Format wanted : {Format::pcm16(48'000, 2), Format::pcm24(44'100, 6), Format::float32(96'000, 1),
                        Format::pcm32(192'000, 8)}) {
    Format agreed;
    ASSERT_TRUE(Ok(negotiate(speaker_, wanted, &agreed))) << wanted.to_string();
    EXPECT_EQ(agreed.sample_rate_hz, wanted.sample_rate_hz);
    EXPECT_EQ(agreed.channels, wanted.channels);
    EXPECT_EQ(agreed.container_bits, wanted.container_bits);
    EXPECT_EQ(agreed.sample_type, wanted.sample_type);
  }
}

TEST_F(ClientTest, NegotiationRefusesWhatNoRangeHolds) {
  Format agreed;
  Status s = negotiate(speaker_, Format::pcm16(384'000, 2), &agreed);
  EXPECT_EQ(s.code(), STATUS_NO_MATCH);
  EXPECT_NE(s.message().find("384000"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace client_test
