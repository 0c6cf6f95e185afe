// Render through the client API against the WaveRT port and the clocked test miniport.
#include <chrono>
#include <cstring>
#include <vector>

#include "client_fixture.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/ks.hpp"

namespace client_test {
namespace {

using namespace wavert::client;
using std::chrono::milliseconds;

std::vector<std::int16_t> ramp(std::size_t samples) {
  std::vector<std::int16_t> v(samples);
  for (std::size_t i = 0; i < samples; ++i) v[i] = static_cast<std::int16_t>(i * 3 + 1);
  return v;
}

// The program docs/client.md shows: find the speaker, open, write, drain -- five statements.
Status play_samples(const std::vector<std::int16_t>& samples, Mode mode) {
  Endpoint speaker;
  if (Status s = find_endpoint(Direction::Render, &speaker); !s) return s;
  RenderStream stream;
  if (Status s = stream.open(speaker, {Format::pcm16(48'000, 2), 20'000, mode}); !s) return s;
  if (Status s = stream.write_all(std::span<const std::int16_t>(samples)); !s) return s;
  return stream.drain();
}

class RenderModes : public ClientTest, public ::testing::WithParamInterface<Mode> {};

TEST_P(RenderModes, EverySampleWrittenReachesTheDeviceInOrder) {
  const auto samples = ramp(48'000 * 2 / 4);  // 250 ms of stereo
  ASSERT_TRUE(Ok(play_samples(samples, GetParam())));
  std::vector<std::byte> played = clocked_test::Played();
  const std::size_t bytes = samples.size() * sizeof(std::int16_t);
  ASSERT_GE(played.size(), bytes);
  EXPECT_EQ(std::memcmp(played.data(), samples.data(), bytes), 0);
  // What the device played after the data is the silence drain fed it, not a stale loop.
  for (std::size_t i = bytes; i < played.size(); ++i) ASSERT_EQ(played[i], std::byte{0}) << "byte " << i;
}

INSTANTIATE_TEST_SUITE_P(AllModes, RenderModes, ::testing::Values(Mode::Event, Mode::Poll, Mode::Packet),
                         [](const auto& info) { return std::string(mode_name(info.param)); });

TEST_F(ClientTest, PlayHelperPlaysABufferInOneCall) {
  const auto samples = ramp(4'800 * 2);
  ASSERT_TRUE(Ok(play(Format::pcm16(48'000, 2), std::as_bytes(std::span(samples)))));
  std::vector<std::byte> played = clocked_test::Played();
  ASSERT_GE(played.size(), samples.size() * 2);
  EXPECT_EQ(std::memcmp(played.data(), samples.data(), samples.size() * 2), 0);
}

TEST_F(ClientTest, WritesLandInTheMappedBufferAtTheWritePosition) {
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
  ASSERT_EQ(stream.buffer_frames(), 960u);
  ASSERT_TRUE(stream.position_register_mapped());
  const auto first = ramp(100 * 2);
  std::uint32_t written = 0;
  ASSERT_TRUE(Ok(stream.write(std::as_bytes(std::span(first)), &written)));
  ASSERT_EQ(written, 100u);
  EXPECT_EQ(std::memcmp(stream.buffer_bytes().data(), first.data(), 400), 0);
  // Fill to the end, run past the wrap, and write again: the frames go where frame 960+ lives.
  std::vector<std::int16_t> filler(860 * 2, 0);
  ASSERT_TRUE(Ok(stream.write(std::as_bytes(std::span(filler)), &written)));
  ASSERT_EQ(written, 860u);
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(5));  // 240 frames played
  const auto second = ramp(50 * 2);
  ASSERT_TRUE(Ok(stream.write(std::as_bytes(std::span(second)), &written)));
  ASSERT_EQ(written, 50u);
  EXPECT_EQ(std::memcmp(stream.buffer_bytes().data(), second.data(), 200), 0) << "frame 960 is offset 0";
  EXPECT_EQ(std::memcmp(stream.buffer_bytes().data() + 200, first.data() + 100, 200), 0) << "the rest untouched";
}

TEST_F(ClientTest, PositionAdvancesOnlyWithTheDeviceClock) {
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 200'000, Mode::Event})));
  std::uint64_t frames = 1;
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_EQ(frames, 0u);
  wavert::host::run_for(milliseconds(50));
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_EQ(frames, 0u) << "a stopped stream does not move";
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(100));
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_NEAR(static_cast<double>(frames), 4'800.0, 48.0) << "100 ms at 48 kHz, within one 1 ms burst";
  ASSERT_TRUE(Ok(stream.pause()));
  std::uint64_t paused = 0;
  ASSERT_TRUE(Ok(stream.device_position(&paused)));
  wavert::host::run_for(milliseconds(50));
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_EQ(frames, paused);
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(50));
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_NEAR(static_cast<double>(frames), paused + 2'400.0, 48.0);
}

TEST_F(ClientTest, UnderrunIsReportedWhenTheWriterStops) {
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
  std::vector<std::int16_t> full(960 * 2, 100);
  std::uint32_t written = 0;
  ASSERT_TRUE(Ok(stream.write(std::as_bytes(std::span(full)), &written)));
  ASSERT_EQ(written, 960u);
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(10));
  std::uint32_t room = 0;
  ASSERT_TRUE(Ok(stream.writable_frames(&room)));
  EXPECT_EQ(stream.glitches().count, 0u) << "half the buffer played, no glitch yet";
  wavert::host::run_for(milliseconds(50));  // 60 ms in, 20 ms of data
  ASSERT_TRUE(Ok(stream.writable_frames(&room)));
  EXPECT_EQ(stream.glitches().count, 1u);
  EXPECT_NEAR(static_cast<double>(stream.glitches().frames_lost), 40 * 48.0, 48.0);
  EXPECT_GT(room, 0u) << "writing resumes at the play position";
}

TEST_F(ClientTest, FallsBackToAudioPositionWhenTheRegisterIsNotSupported) {
  clocked_test::SetOptions({.position_register = false});
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
  EXPECT_FALSE(stream.position_register_mapped());
  ASSERT_TRUE(Ok(stream.start()));
  wavert::host::run_for(milliseconds(7));
  std::uint64_t frames = 0;
  ASSERT_TRUE(Ok(stream.device_position(&frames)));
  EXPECT_NEAR(static_cast<double>(frames), 336.0, 48.0);
  stream.close();
  const auto samples = ramp(4'800 * 2);
  ASSERT_TRUE(Ok(play_samples(samples, Mode::Event)));
  std::vector<std::byte> played = clocked_test::Played();
  ASSERT_GE(played.size(), samples.size() * 2);
  EXPECT_EQ(std::memcmp(played.data(), samples.data(), samples.size() * 2), 0);
}

TEST_F(ClientTest, LatencyIsBufferPlusFifoPlusDelays) {
  clocked_test::SetOptions({.fifo_bytes = 48 * 4, .codec_delay_100ns = 5'000});
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
  Latency l = stream.latency();
  EXPECT_EQ(l.buffer_frames, 960u);
  EXPECT_EQ(l.fifo_bytes, 192u);
  EXPECT_EQ(l.codec_delay_100ns, 5'000u);
  EXPECT_EQ(l.total_us, 20'000u + 1'000u + 500u);
}

TEST_F(ClientTest, CloseWhileRunningReleasesPinStreamAndHandles) {
  const std::size_t handles = wavert::host::ks::open_handle_count();
  {
    RenderStream stream;
    ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
    ASSERT_TRUE(Ok(stream.start()));
    wavert::host::run_for(milliseconds(3));
    EXPECT_EQ(clocked_test::StreamsAlive(), 1u);
    stream.close();
    EXPECT_EQ(stream.state(), StreamState::Closed);
    std::uint32_t room = 0;
    Status s = stream.writable_frames(&room);
    EXPECT_EQ(s.code(), STATUS_INVALID_DEVICE_STATE);
    EXPECT_NE(s.message().find("not open"), std::string::npos);
  }
  EXPECT_EQ(clocked_test::StreamsAlive(), 0u);
  EXPECT_EQ(wavert::host::ks::open_handle_count(), handles);
}

TEST_F(ClientTest, NotificationsFollowPeriodsWhileRunning) {
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2), 20'000, Mode::Event})));
  wavert::host::run_for(milliseconds(30));
  EXPECT_EQ(clocked_test::NotificationsSignalled(), 0u) << "no events outside RUN";
  ASSERT_TRUE(Ok(stream.start()));
  for (int period = 0; period < 5; ++period) ASSERT_TRUE(Ok(stream.wait(20'000)));
  EXPECT_GE(clocked_test::NotificationsSignalled(), 5u);
}

TEST_F(ClientTest, RenderStreamRefusesACaptureEndpoint) {
  RenderStream stream;
  Status s = stream.open(microphone_, {Format::pcm16(48'000, 2)});
  EXPECT_EQ(s.code(), STATUS_INVALID_PARAMETER);
  EXPECT_NE(s.message().find("capture endpoint"), std::string::npos) << s.message();
  EXPECT_EQ(stream.state(), StreamState::Closed);
}

TEST_F(ClientTest, WriteOfAPartialFrameIsRefused) {
  RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker_, {Format::pcm16(48'000, 2)})));
  std::byte three[3]{};
  std::uint32_t written = 7;
  Status s = stream.write(three, &written);
  EXPECT_EQ(s.code(), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(written, 0u);
}

}  // namespace
}  // namespace client_test
