// The WaveRT streams of the real driver, through raw KS requests in simulated time: positions
// and registers, notifications and packet numbering over an hour, packet mode, bad input with its
// documented statuses, pin instance limits, and allocation failures at every site.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "common/tags.h"
#include "e2e_fixture.hpp"
#include "wavert/client/endpoint.hpp"
#include "wavert/host/faults.hpp"
#include "wavert/host/memory.hpp"

namespace {

using e2e::RawKs;
namespace ks = wavert::host::ks;
using wavert::client::Format;
using namespace std::chrono_literals;

constexpr ULONG kEos = KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM;

class Streams : public driver_test::DriverTest {
 protected:
  void TearDown() override {
    raw_.close_all();
    DriverTest::TearDown();
  }
  ks::Handle speaker() { return raw_.filter("WaveSpeaker"); }
  ks::Handle microphone() { return raw_.filter("WaveMicrophone"); }
  ks::Handle pin(ks::Handle filter, ULONG id, const Format& f) {
    ks::Handle h;
    EXPECT_EQ(raw_.create_pin(filter, id, e2e::ks_format(f), &h), STATUS_SUCCESS) << f.to_string();
    return h;
  }
  KSRTAUDIO_BUFFER buffer(ks::Handle h, ULONG requested, ULONG notifications) {
    KSRTAUDIO_BUFFER b{};
    EXPECT_EQ(raw_.get_buffer(h, requested, notifications, &b, notifications != 0).status, STATUS_SUCCESS);
    return b;
  }
  RawKs raw_;
};

// ---- Positions and registers ------------------------------------------------------------------

class Positions : public Streams, public ::testing::WithParamInterface<ULONG> {};

TEST_P(Positions, PlayOffsetAdvancesExactlyAtTheSampleRate) {
  const ULONG rate = GetParam();
  const Format f = Format::pcm16(rate, 2);
  for (ks::Handle h : {pin(speaker(), e2e::kSpeakerRenderPin, f), pin(microphone(), e2e::kMicrophoneCapturePin, f)}) {
    const KSRTAUDIO_BUFFER b = buffer(h, rate * f.frame_bytes(), 0);  // one second
    ASSERT_EQ(b.ActualBufferSize, rate * f.frame_bytes());
    EXPECT_EQ(raw_.position(h).PlayOffset, 0u) << "a new stream is at 0";
    ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
    wavert::host::run_for(3ms);
    ULONGLONG last = raw_.position(h).PlayOffset;
    for (int step = 0; step < 150; ++step) {  // 1.5 s: wraps the buffer
      wavert::host::run_for(10ms);
      const KSAUDIO_POSITION p = raw_.position(h);
      ASSERT_LT(p.PlayOffset, b.ActualBufferSize);
      ASSERT_LT(p.WriteOffset, b.ActualBufferSize);
      const ULONGLONG advanced = (p.PlayOffset + b.ActualBufferSize - last) % b.ActualBufferSize;
      ASSERT_EQ(advanced, ULONGLONG{rate / 100} * f.frame_bytes()) << "step " << step;
      last = p.PlayOffset;
    }
    // PAUSE keeps the position, STOP resets it.
    ASSERT_EQ(raw_.set_state(h, KSSTATE_PAUSE), STATUS_SUCCESS);
    const ULONGLONG paused = raw_.position(h).PlayOffset;
    wavert::host::run_for(50ms);
    EXPECT_EQ(raw_.position(h).PlayOffset, paused);
    ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
    wavert::host::run_for(20ms);
    EXPECT_NE(raw_.position(h).PlayOffset, paused);
    ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
    EXPECT_EQ(raw_.position(h).PlayOffset, 0u);
    EXPECT_EQ(raw_.position(h).WriteOffset, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Rates, Positions, ::testing::Values(44'100u, 48'000u));

TEST_F(Streams, RegistersAreLpibAndTheWallClockOfTheDeviceOscillator) {
  const Format f = Format::pcm24(48'000, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 9'600 * 6 / 4, 2);
  KSRTAUDIO_HWREGISTER position{}, clock{};
  ASSERT_EQ(raw_.get_register(h, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &position).status, STATUS_SUCCESS);
  ASSERT_EQ(raw_.get_register(h, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &clock).status, STATUS_SUCCESS);
  EXPECT_EQ(position.Width, 32u);
  EXPECT_GT(position.Accuracy, 0u);
  EXPECT_EQ(clock.Width, 32u);
  ASSERT_GT(clock.Denominator, 0u);
  EXPECT_EQ(clock.Numerator / clock.Denominator, 24'000'000u);
  EXPECT_EQ(clock.Numerator % clock.Denominator, 0u);
  const auto* lpib = static_cast<volatile ULONG*>(position.Register);
  const auto* walclk = static_cast<volatile ULONG*>(clock.Register);

  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  wavert::host::run_for(5ms);
  const ULONG wall_before = *walclk;
  for (int i = 0; i < 20; ++i) {
    wavert::host::run_for(7ms);
    // LPIB is the DMA position GetPosition reports as WriteOffset (both read at the same instant).
    const KSAUDIO_POSITION p = raw_.position(h);
    EXPECT_EQ(*lpib, p.WriteOffset);
    // The DMA runs ahead of the DAC by at most the FIFO and one register update.
    KSRTAUDIO_HWLATENCY latency{};
    ASSERT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, &latency).status, STATUS_SUCCESS);
    const ULONGLONG lead = (p.WriteOffset + b.ActualBufferSize - p.PlayOffset) % b.ActualBufferSize;
    EXPECT_LE(lead, ULONGLONG{latency.FifoSize} + position.Accuracy);
  }
  const ULONG wall_elapsed = *walclk - wall_before;
  const LONGLONG expected = 140 * 24'000;  // 140 ms at 24 MHz
  EXPECT_LE(std::llabs(static_cast<LONGLONG>(wall_elapsed) - expected), static_cast<LONGLONG>(clock.Accuracy));
}

// KSRTAUDIO_HWREGISTER for a clock: a counter at Numerator / Denominator Hz. It must count while
// the client holds it, whatever the stream's state -- not only while some stream runs.
TEST_F(Streams, TheWallClockCountsInStopAndPauseOnceHandedOut) {
  const Format f = Format::pcm16(48'000, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  (void)buffer(h, 9'600, 2);
  KSRTAUDIO_HWREGISTER clock{};
  ASSERT_EQ(raw_.get_register(h, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &clock).status, STATUS_SUCCESS);
  const auto* walclk = static_cast<volatile ULONG*>(clock.Register);
  for (KSSTATE state : {KSSTATE_STOP, KSSTATE_PAUSE}) {
    if (state == KSSTATE_PAUSE) {
      ASSERT_EQ(raw_.set_state(h, KSSTATE_ACQUIRE), STATUS_SUCCESS);
      ASSERT_EQ(raw_.set_state(h, KSSTATE_PAUSE), STATUS_SUCCESS);
    }
    wavert::host::run_for(3ms);
    const ULONG before = *walclk;
    wavert::host::run_for(100ms);
    const LONGLONG elapsed = static_cast<LONGLONG>(static_cast<ULONG>(*walclk - before));
    EXPECT_LE(std::llabs(elapsed - 100 * 24'000), static_cast<LONGLONG>(clock.Accuracy)) << "state " << state;
  }
}

TEST_F(Streams, HwLatencyReportsTheFifoAndTheCodecDelay) {
  const Format f = Format::pcm24(48'000, 2);  // 6-byte frames: the FIFO is whole frames
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  (void)buffer(h, 9'600, 2);
  KSRTAUDIO_HWLATENCY latency{};
  ASSERT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, &latency).status, STATUS_SUCCESS);
  EXPECT_GE(latency.FifoSize, 128u * 2) << "DmaBurstBytes 128 x FifoBursts 2 by default";
  EXPECT_EQ(latency.FifoSize % f.frame_bytes(), 0u);
  EXPECT_EQ(latency.ChipsetDelay, 0u);
}

TEST_F(Streams, RunningStreamsContinueExactlyAcrossD3AndD0) {
  const Format f = Format::pcm16(48'000, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 48'000 * 4, 2);  // 1 s
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  wavert::host::run_for(100ms);
  const ULONGLONG before = raw_.position(h).PlayOffset;
  ASSERT_EQ(driver_->set_device_power_state(3), STATUS_SUCCESS);
  wavert::host::run_for(200ms);
  EXPECT_EQ(raw_.position(h).PlayOffset, before) << "no frames move in D3";
  ASSERT_EQ(driver_->set_device_power_state(0), STATUS_SUCCESS);
  wavert::host::run_for(2ms);
  const ULONGLONG resumed = raw_.position(h).PlayOffset;
  wavert::host::run_for(10ms);
  EXPECT_EQ((raw_.position(h).PlayOffset + b.ActualBufferSize - resumed) % b.ActualBufferSize, 480u * 4)
      << "the stream runs on at the sample rate after D0";
  EXPECT_LT((resumed + b.ActualBufferSize - before) % b.ActualBufferSize, 4u * 48 * 3) << "it resumed where it stopped";
}

// ---- Months of uptime ------------------------------------------------------------------------

// The same driver on a machine that has been up for 200 days (QPC near 1.7e14): positions and
// capture timestamps must not overflow (issue 4: "QPC conversions that overflow after ~51 h").
class LongUptime : public ::testing::Test {
 protected:
  static wavert::host::KernelConfig config() {
    wavert::host::KernelConfig c;
    c.sim_start_uptime_100ns = 200ull * 24 * 3600 * 10'000'000;
    return c;
  }
  void SetUp() override {
    driver_test::InstallMediaCategoryNames();
    ASSERT_EQ(wavert::host::LoadedDriver::load(DriverEntry, {}, &driver_), STATUS_SUCCESS);
  }
  void TearDown() override {
    raw_.close_all();
    driver_.reset();
  }
  wavert::host::KernelSession session_{config()};
  std::unique_ptr<wavert::host::LoadedDriver> driver_;
  RawKs raw_;
};

TEST_F(LongUptime, PositionsAndTimestampsStayExactAfterMonthsOfUptime) {
  const Format f = Format::pcm32(192'000, 8);
  ks::Handle render, capture;
  ASSERT_EQ(raw_.create_pin(raw_.filter("WaveSpeaker"), e2e::kSpeakerRenderPin, e2e::ks_format(f), &render),
            STATUS_SUCCESS);
  ASSERT_EQ(raw_.create_pin(raw_.filter("WaveMicrophone"), e2e::kMicrophoneCapturePin, e2e::ks_format(f), &capture),
            STATUS_SUCCESS);
  for (ks::Handle h : {render, capture}) {
    KSRTAUDIO_BUFFER b{};
    ASSERT_EQ(raw_.get_buffer(h, 192'000 * 32 / 10, 2, &b, true).status, STATUS_SUCCESS);  // 100 ms
    ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  }
  const std::uint64_t run_qpc = wavert::host::qpc_now();
  wavert::host::run_for(1ms);
  ULONGLONG last = raw_.position(render).PlayOffset;
  for (int step = 0; step < 30; ++step) {
    wavert::host::run_for(10ms);
    const ULONGLONG now = raw_.position(render).PlayOffset;
    ASSERT_EQ((now + 192'000 * 32 / 10 - last) % (192'000 * 32 / 10), 1'920u * 32) << "step " << step;
    last = now;
  }
  KSRTAUDIO_GETREADPACKET_INFO info{};
  ASSERT_EQ(raw_.get(capture, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status, STATUS_SUCCESS);
  // Packet n of 50 ms began 50 ms * n after the first frame, which is within a frame of RUN.
  const std::uint64_t expected = run_qpc + std::uint64_t{info.PacketNumber} * 500'000;
  EXPECT_LE(info.PerformanceCounterValue > expected ? info.PerformanceCounterValue - expected
                                                    : expected - info.PerformanceCounterValue,
            10'000'000u / 192'000 + 1);
}

// ---- Notifications and packets over an hour ----------------------------------------------------

class Hour : public Streams {
 protected:
  // The longest engine period keeps an hour of simulated DMA to a few hundred thousand ticks.
  void SetUpParameters() override { wavert::host::registry::set_dword(driver_test::kParametersKey, "DmaTickUs", 10'000); }
};

TEST_F(Hour, NotificationsAndPacketNumbersAreExactOverAnHour) {
  const Format f = Format::pcm16(48'000, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 48'000 * 4, 2);  // 1 s: two 500 ms packets
  ASSERT_EQ(b.ActualBufferSize, 192'000u);
  e2e::CountedEvent event;
  ASSERT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event.handle()).status,
            STATUS_SUCCESS);
  wavert::host::run_for(1s);
  EXPECT_EQ(event.count(), 0u) << "no events outside RUN";

  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  const std::uint64_t run_100ns = wavert::host::now_100ns();
  for (int minute = 0; minute < 60; ++minute) wavert::host::run_for(60s);
  // 3600 s of 500 ms packets. The DMA fetches a packet's last byte a FIFO ahead of the DAC, so
  // packet 7200 completed within the last FIFO's worth of time before the hour.
  EXPECT_EQ(raw_.packet_count(h), 7'200u);
  ASSERT_EQ(event.count(), 7'200u);
  const auto& times = event.times_100ns();
  // Every event one packet after the previous one, never more than an engine period late.
  std::uint64_t worst_lateness = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    const std::uint64_t due = run_100ns + (i + 1) * 5'000'000;  // 500 ms in 100 ns
    ASSERT_LE(times[i], due + 100'000) << "event " << i << " more than one 10 ms engine period late";
    ASSERT_GE(times[i] + 100'000, due) << "event " << i << " early by more than the FIFO lead";
    worst_lateness = std::max(worst_lateness, times[i] > due ? times[i] - due : 0);
  }
  RecordProperty("worst_event_lateness_us", static_cast<int>(worst_lateness / 10));

  // PAUSE: no events, the count holds; STOP: the count is 0.
  ASSERT_EQ(raw_.set_state(h, KSSTATE_PAUSE), STATUS_SUCCESS);
  const std::size_t at_pause = event.count();
  const ULONG packets_at_pause = raw_.packet_count(h);
  wavert::host::run_for(3s);
  EXPECT_EQ(event.count(), at_pause);
  EXPECT_EQ(raw_.packet_count(h), packets_at_pause);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_EQ(raw_.packet_count(h), 0u);
  ASSERT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, event.handle()).status,
            STATUS_SUCCESS);
}

TEST_F(Streams, PacketsShorterThanTheEngineTickAreEachCountedAndSignalled) {
  // 8 frames of 192 kHz 8-channel 32-bit per packet: 41.7 us, below the engine's 100 us floor, so
  // one engine tick completes two or three packets and their interrupts coalesce.
  const Format f = Format::pcm32(192'000, 8);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 16 * 32, 2);
  ASSERT_EQ(b.ActualBufferSize, 512u);
  e2e::CountedEvent event;
  ASSERT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event.handle()).status,
            STATUS_SUCCESS);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  wavert::host::run_for(100ms);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_PAUSE), STATUS_SUCCESS);
  const ULONG packets = raw_.packet_count(h);
  // 100 ms is 2400 packets; the DMA runs up to a FIFO (and a tick) ahead of the DAC.
  EXPECT_GE(packets, 2'400u);
  EXPECT_LE(packets, 2'400u + 4);
  EXPECT_EQ(event.count(), packets) << "one event per packet, however many completed in one tick";
  std::size_t same_instant = 0;
  for (std::size_t i = 1; i < event.times_100ns().size(); ++i) same_instant += event.times_100ns()[i] == event.times_100ns()[i - 1];
  EXPECT_GT(same_instant, 0u) << "the test did not make interrupts coalesce";
}

// ---- Packet mode ---------------------------------------------------------------------------------

TEST_F(Streams, SetWritePacketAcceptsOnlyTheNextPacketAndEndsAtEos) {
  const Format f = Format::pcm16(48'000, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 3'840, 2);  // 20 ms, 10 ms packets
  const ULONG packet_bytes = b.ActualBufferSize / 2;
  auto* data = static_cast<std::byte*>(b.BufferAddress);
  std::memset(data, 0x55, b.ActualBufferSize);

  // Stopped: packet 0 is the one to write.
  EXPECT_EQ(raw_.packet_count(h), 0u);
  EXPECT_EQ(raw_.set_write_packet(h, 1, 0, 0), STATUS_DATA_OVERRUN);
  EXPECT_EQ(raw_.set_write_packet(h, 0, 0x1, 0), STATUS_INVALID_PARAMETER) << "unknown flag";
  EXPECT_EQ(raw_.set_write_packet(h, 0, kEos, packet_bytes + 4), STATUS_INVALID_PARAMETER) << "EOS longer than a packet";
  EXPECT_EQ(raw_.set_write_packet(h, 0, kEos, 3), STATUS_INVALID_PARAMETER) << "EOS not whole frames";
  EXPECT_EQ(raw_.set_write_packet(h, 0, 0, 0), STATUS_SUCCESS);

  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  // Running with packet 0 in flight: packet 1 is next.
  EXPECT_EQ(raw_.set_write_packet(h, 0, 0, 0), STATUS_DATA_LATE_ERROR);
  EXPECT_EQ(raw_.set_write_packet(h, 2, 0, 0), STATUS_DATA_OVERRUN);
  EXPECT_EQ(raw_.set_write_packet(h, 1, 0, 0), STATUS_SUCCESS);
  ASSERT_TRUE(wavert::host::run_until([&] { return raw_.packet_count(h) == 3; }, 100ms));
  // Packet 3 fills its slot -- the second half, so it ends exactly at the buffer's end -- and ends
  // the stream: accepted, and nothing after it.
  EXPECT_EQ(raw_.set_write_packet(h, 4, kEos, packet_bytes), STATUS_SUCCESS);
  EXPECT_EQ(raw_.set_write_packet(h, 5, 0, 0), STATUS_INVALID_DEVICE_STATE);
  EXPECT_EQ(raw_.set_write_packet(h, 4, 0, 0), STATUS_INVALID_DEVICE_STATE);
  // Once packet 4 has played, both slots hold silence: the loop never replays stale data.
  ASSERT_TRUE(wavert::host::run_until([&] { return raw_.packet_count(h) >= 6; }, 100ms));
  EXPECT_TRUE(std::all_of(data, data + b.ActualBufferSize, [](std::byte x) { return x == std::byte{0}; }));
  // The counter keeps the real-time pace after EOS (§4.2), and STOP resets it and the EOS.
  wavert::host::run_for(100ms);
  EXPECT_GE(raw_.packet_count(h), 16u);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_EQ(raw_.packet_count(h), 0u);
  EXPECT_EQ(raw_.set_write_packet(h, 0, 0, 0), STATUS_SUCCESS);
}

TEST_F(Streams, EosInsideAPacketSilencesItsTail) {
  const Format f = Format::pcm8(48'000, 1);  // 8-bit: silence is 0x80, not 0
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  const KSRTAUDIO_BUFFER b = buffer(h, 960, 2);
  auto* data = static_cast<std::byte*>(b.BufferAddress);
  std::memset(data, 0x11, b.ActualBufferSize);
  EXPECT_EQ(raw_.set_write_packet(h, 0, kEos, 100), STATUS_SUCCESS);
  for (ULONG i = 0; i < b.ActualBufferSize; ++i) {
    ASSERT_EQ(data[i], i < 100 ? std::byte{0x11} : std::byte{0x80}) << "byte " << i;
  }
}

TEST_F(Streams, PresentationPositionCountsFramesAtTheDac) {
  const Format f = Format::pcm16(44'100, 2);
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
  (void)buffer(h, 44'100 * 4 / 10, 2);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  KSAUDIO_PRESENTATION_POSITION first{}, second{};
  wavert::host::run_for(10ms);
  ASSERT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, &first).status, STATUS_SUCCESS);
  EXPECT_EQ(first.u64QPCPosition, wavert::host::qpc_now());
  wavert::host::run_for(1s);
  ASSERT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, &second).status, STATUS_SUCCESS);
  EXPECT_EQ(second.u64PositionInBlocks - first.u64PositionInBlocks, 44'100u);
  EXPECT_EQ(second.u64QPCPosition - first.u64QPCPosition, 10'000'000u);
}

TEST_F(Streams, GetReadPacketStampsEachPacketsFirstSample) {
  const Format f = Format::pcm16(48'000, 2);
  const ks::Handle h = pin(microphone(), e2e::kMicrophoneCapturePin, f);
  (void)buffer(h, 3'840, 2);  // 10 ms packets
  KSRTAUDIO_GETREADPACKET_INFO info{};
  EXPECT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status, STATUS_DEVICE_NOT_READY);
  wavert::host::run_for(2'500us);  // start between engine ticks
  const std::uint64_t run_qpc = wavert::host::qpc_now();
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  std::uint64_t first_qpc = 0;
  for (ULONG n = 0; n < 5; ++n) {
    ASSERT_TRUE(wavert::host::run_until(
        [&] { return raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status == STATUS_SUCCESS; },
        50ms));
    EXPECT_EQ(info.PacketNumber, n);
    EXPECT_EQ(info.Flags, 0u);
    EXPECT_FALSE(info.MoreData);
    if (n == 0) {
      first_qpc = info.PerformanceCounterValue;
      // The first sample is the first grid frame at or after RUN: within one frame (208 QPC ticks).
      EXPECT_GE(first_qpc + 1, run_qpc);
      EXPECT_LE(first_qpc, run_qpc + 10'000'000 / 48'000 + 1);
    } else {
      // 480 frames per packet: exactly 10 ms of QPC apart (floor of the exact instant).
      const std::uint64_t since = info.PerformanceCounterValue - first_qpc;
      EXPECT_LE(since > n * 100'000u ? since - n * 100'000u : n * 100'000u - since, 1u) << "packet " << n;
    }
    EXPECT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status, STATUS_DEVICE_NOT_READY);
  }
  // A reader that falls behind gets the newest intact packet; the numbers show what it missed.
  wavert::host::run_for(45ms);
  ASSERT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status, STATUS_SUCCESS);
  EXPECT_GT(info.PacketNumber, 5u);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_EQ(raw_.get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &info).status, STATUS_DEVICE_NOT_READY);
}

// ---- Data intersection -------------------------------------------------------------------------

TEST_F(Streams, IntersectionGivesTheClientItsFormatOrNoMatch) {
  wavert::client::Endpoint speaker_endpoint, microphone_endpoint;
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Speaker", &speaker_endpoint)));
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Microphone", &microphone_endpoint)));
  for (const Format& wanted : {Format::pcm24in32(96'000, 6), Format::float32(8'000, 1), Format::pcm8(192'000, 8),
                               Format::pcm24(44'100, 3)}) {
    for (const auto* endpoint : {&speaker_endpoint, &microphone_endpoint}) {
      Format agreed;
      ASSERT_TRUE(driver_test::Ok(wavert::client::negotiate(*endpoint, wanted, &agreed))) << wanted.to_string();
      // A KSDATARANGE_AUDIO names container bits only; for a 32-bit container the best the device
      // does is all 32 bits valid.
      Format best = wanted;
      if (wanted.container_bits == 32 && wanted.sample_type == wavert::client::SampleType::Int) best.valid_bits = 32;
      EXPECT_EQ(agreed, best) << wanted.to_string();
    }
  }
  Format agreed;
  EXPECT_EQ(wavert::client::negotiate(speaker_endpoint, Format::pcm16(384'000, 2), &agreed).code(), STATUS_NO_MATCH);
  EXPECT_EQ(wavert::client::negotiate(speaker_endpoint, Format::pcm16(4'000, 2), &agreed).code(), STATUS_NO_MATCH);

  // The size query of KSPROPERTY_PIN_DATAINTERSECTION: the driver's answer is one WAVEFORMATEXTENSIBLE.
  struct {
    KSP_PIN pin;
    KSMULTIPLE_ITEM items;
    KSDATARANGE_AUDIO range;
  } request{};
  request.pin.Property = e2e::property(KSPROPSETID_Pin, KSPROPERTY_PIN_DATAINTERSECTION, KSPROPERTY_TYPE_GET);
  request.pin.PinId = e2e::kSpeakerRenderPin;
  request.items.Size = sizeof request.items + sizeof request.range;
  request.items.Count = 1;
  request.range.DataRange.FormatSize = sizeof request.range;
  request.range.DataRange.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  request.range.DataRange.SubFormat = KSDATAFORMAT_SUBTYPE_PCM;
  request.range.DataRange.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  request.range.MaximumChannels = 2;
  request.range.MinimumBitsPerSample = 16;
  request.range.MaximumBitsPerSample = 16;
  request.range.MinimumSampleFrequency = 48'000;
  request.range.MaximumSampleFrequency = 48'000;
  const ks::IoResult size = raw_.request(speaker(), e2e::bytes_of(request), {});
  EXPECT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(size.bytes_returned, 104u);
}

// ---- Bad input -------------------------------------------------------------------------------

TEST_F(Streams, ImpossibleFormatsAreRefusedWithTheirStatus) {
  const ks::Handle filter = speaker();
  ks::Handle h;
  Format f = Format::pcm24(48'000, 2);
  f.valid_bits = 20;  // consistent, but the DAC takes 24 valid bits in a 24-bit container
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, e2e::ks_format(f), &h), STATUS_NOT_SUPPORTED);
  f = Format::pcm16(48'000, 2);
  f.channel_mask = SPEAKER_FRONT_LEFT | SPEAKER_BACK_LEFT;  // two speakers, not a standard pair
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, e2e::ks_format(f), &h), STATUS_NOT_SUPPORTED);
  f = Format::float32(48'000, 2);
  f.valid_bits = 24;
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, e2e::ks_format(f), &h), STATUS_NOT_SUPPORTED);
  // nAvgBytesPerSec 0: malformed, refused before any division.
  auto bytes = e2e::ks_format(Format::pcm16(48'000, 2));
  reinterpret_cast<WAVEFORMATEX*>(bytes.data() + sizeof(KSDATAFORMAT))->nAvgBytesPerSec = 0;
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, bytes, &h), STATUS_INVALID_PARAMETER);
  // Outside the pin's data ranges: the port answers NO_MATCH.
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, e2e::ks_format(Format::pcm16(384'000, 2)), &h),
            STATUS_NO_MATCH);
  EXPECT_EQ(ks::open_handle_count(), 1u) << "only the filter";
}

TEST_F(Streams, BufferSizesAreHonouredToWholeFramesAndPackets) {
  const Format f = Format::pcm24(48'000, 2);  // 6-byte frames
  for (ULONG notifications : {0u, 1u, 2u}) {
    const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, f);
    const KSRTAUDIO_BUFFER b = buffer(h, 6'001 * 2 + 3, notifications);  // 2000.8 frames
    const ULONG frames = b.ActualBufferSize / 6;
    EXPECT_EQ(b.ActualBufferSize % 6, 0u);
    EXPECT_EQ(frames, notifications == 2 ? 2'002u : 2'001u) << "rounded up to whole frames (and packets)";
    EXPECT_EQ(frames % std::max(notifications, 1u), 0u);
    KSRTAUDIO_BUFFER again{};
    EXPECT_EQ(raw_.get_buffer(h, 9'600, notifications, &again, notifications != 0).status, STATUS_DEVICE_BUSY);
    ASSERT_EQ(raw_.close(h), STATUS_SUCCESS);
  }
  // Odd frame counts with two packets give an even count of frames, never fewer than asked for.
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, Format::pcm16(48'000, 2));
  const KSRTAUDIO_BUFFER b = buffer(h, 4 * 1'001, 2);
  EXPECT_EQ(b.ActualBufferSize, 4u * 1'002);
}

TEST_F(Streams, NotificationCountOtherThanOneOrTwoIsInvalid) {
  for (ULONG count : {0u, 3u}) {
    const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, Format::pcm16(48'000, 2));
    KSRTAUDIO_BUFFER b{};
    EXPECT_EQ(raw_.get_buffer(h, 9'600, count, &b, true).status, STATUS_INVALID_PARAMETER) << count;
    ASSERT_EQ(raw_.close(h), STATUS_SUCCESS);
  }
}

TEST_F(Streams, SetFormatOnlyWhileNotRunning) {
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, Format::pcm16(48'000, 2));
  (void)buffer(h, 9'600, 2);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  const auto other = e2e::ks_format(Format::pcm16(44'100, 2));
  const KSPROPERTY p = e2e::property(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_DATAFORMAT, KSPROPERTY_TYPE_SET);
  std::vector<std::byte> value = other;
  EXPECT_EQ(raw_.request(h, e2e::bytes_of(p), value).status, STATUS_INVALID_DEVICE_STATE);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_PAUSE), STATUS_SUCCESS);
  value = other;
  EXPECT_EQ(raw_.request(h, e2e::bytes_of(p), value).status, STATUS_SUCCESS);
  // The new rate drives the position: 10 ms is 441 frames now.
  ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  wavert::host::run_for(3ms);
  const ULONGLONG before = raw_.position(h).PlayOffset;
  wavert::host::run_for(10ms);
  EXPECT_EQ((raw_.position(h).PlayOffset + 9'600 - before) % 9'600, 441u * 4);
}

TEST_F(Streams, EventsRegisteredTwiceOrUnknownAreRefused) {
  const ks::Handle h = pin(speaker(), e2e::kSpeakerRenderPin, Format::pcm16(48'000, 2));
  (void)buffer(h, 3'840, 2);  // 20 ms: 10 ms packets
  e2e::CountedEvent a, b;
  EXPECT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, a.handle()).status, STATUS_SUCCESS);
  EXPECT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, b.handle()).status, STATUS_SUCCESS);
  EXPECT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, a.handle()).status,
            STATUS_INVALID_PARAMETER);
  ASSERT_EQ(raw_.set_state(h, KSSTATE_RUN), STATUS_SUCCESS);
  wavert::host::run_for(101ms);  // ten 10 ms packets (plus the FIFO lead)
  ASSERT_EQ(raw_.set_state(h, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_EQ(a.count(), 10u);
  EXPECT_EQ(b.count(), 10u) << "every registered event is signalled";
  EXPECT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, a.handle()).status, STATUS_SUCCESS);
  EXPECT_EQ(raw_.event_request(h, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, a.handle()).status, STATUS_NOT_FOUND);
}

class Limits : public Streams {
 protected:
  void SetUpParameters() override {
    wavert::host::registry::set_dword(driver_test::kParametersKey, "MaxRenderStreams", 2);
    wavert::host::registry::set_dword(driver_test::kParametersKey, "MaxLoopbackStreams", 1);
  }
};

TEST_F(Limits, PinInstancesStopAtTheConfiguredLimit) {
  const ks::Handle filter = speaker();
  const auto format = e2e::ks_format(Format::pcm16(48'000, 2));
  ks::Handle a, b, c, loop1, loop2;
  ASSERT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, format, &a), STATUS_SUCCESS);
  ASSERT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, format, &b), STATUS_SUCCESS);
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, format, &c), STATUS_INSUFFICIENT_RESOURCES);
  ASSERT_EQ(raw_.create_pin(filter, e2e::kSpeakerLoopbackPin, format, &loop1), STATUS_SUCCESS);
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerLoopbackPin, format, &loop2), STATUS_INSUFFICIENT_RESOURCES);
  ASSERT_EQ(raw_.close(a), STATUS_SUCCESS);
  EXPECT_EQ(raw_.create_pin(filter, e2e::kSpeakerRenderPin, format, &c), STATUS_SUCCESS) << "a closed pin frees its instance";
}

// ---- Fault injection ---------------------------------------------------------------------------

std::uint64_t outstanding(ULONG tag) { return wavert::host::pool_tag_usage(tag).outstanding_count; }

TEST_F(Streams, EveryAllocationSiteFailsCleanlyAndLeaksNothing) {
  const ks::Handle filter = speaker();
  const auto format = e2e::ks_format(Format::pcm16(48'000, 2));
  const std::uint64_t wave_before = outstanding(wavert::tags::kWave);
  const std::uint64_t bdl_before = outstanding(wavert::tags::kBdl);
  const std::uint64_t fifo_before = outstanding(wavert::tags::kFifo);
  const std::uint64_t notify_before = outstanding(wavert::tags::kNotify);
  const std::uint64_t mdl_before = outstanding(wavert::host::kMdlPoolTag);
  std::uint64_t failed_runs = 0;
  for (std::uint64_t n = 1; n < 200; ++n) {
    e2e::CountedEvent event;
    wavert::host::fail_nth_any(n);
    ks::Handle h;
    NTSTATUS status = raw_.create_pin(filter, e2e::kSpeakerRenderPin, format, &h);
    if (NT_SUCCESS(status)) {
      KSRTAUDIO_BUFFER b{};
      status = raw_.get_buffer(h, 9'600, 2, &b, true).status;
      if (NT_SUCCESS(status)) {
        status = raw_.event_request(h, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event.handle()).status;
      }
      if (NT_SUCCESS(status)) status = raw_.set_state(h, KSSTATE_RUN);
      ASSERT_EQ(raw_.close(h), STATUS_SUCCESS);
    }
    const bool injected = wavert::host::faults_injected() != 0;
    wavert::host::clear_faults();
    if (!injected) {
      EXPECT_EQ(status, STATUS_SUCCESS) << "without a fault every step succeeds";
      break;
    }
    ++failed_runs;
    EXPECT_TRUE(status == STATUS_INSUFFICIENT_RESOURCES || status == STATUS_NO_MEMORY)
        << "allocation " << n << ": 0x" << std::hex << status;
    EXPECT_EQ(outstanding(wavert::tags::kWave), wave_before) << "allocation " << n;
    EXPECT_EQ(outstanding(wavert::tags::kBdl), bdl_before) << "allocation " << n;
    EXPECT_EQ(outstanding(wavert::tags::kFifo), fifo_before) << "allocation " << n;
    EXPECT_EQ(outstanding(wavert::tags::kNotify), notify_before) << "allocation " << n;
    EXPECT_EQ(outstanding(wavert::host::kMdlPoolTag), mdl_before) << "allocation " << n;
  }
  EXPECT_GE(failed_runs, 4u) << "pin object, stream, pages, BDL, event entry at least";
  RecordProperty("allocation_sites", static_cast<int>(failed_runs));
  // Unload (TearDown) runs the verifier's leak check over everything else.
}

}  // namespace
