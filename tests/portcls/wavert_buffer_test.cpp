// WaveRT port: the cyclic buffer, registers, notification events and position, and the referee
// catching a miniport that breaks their rules (waveRT-contract.md §1.4, §2, §4.1, §6.3).
#include "wavert_fixture.hpp"

namespace wavert::testing {
namespace {

using ::testing::ElementsAre;

// ---- Buffer ----

TEST_F(WaveRtPortTest, BufferWithNotificationIsPassedThroughAndMappedForTheClient) {
  RecordingConfig config;
  config.offset_from_first_page = 64;
  load(config);
  ks::Handle pin = create_pin();
  driver_->log().clear();
  KSRTAUDIO_BUFFER buffer{};
  const ks::IoResult r = get_buffer(pin, kBufferBytes, 2, &buffer);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes_returned, sizeof(KSRTAUDIO_BUFFER));
  EXPECT_THAT(calls(), ElementsAre("AllocateBufferWithNotification(2,9600)"));
  EXPECT_EQ(buffer.ActualBufferSize, kBufferBytes);
  EXPECT_EQ(buffer.CallMemoryBarrier, TRUE);  // the miniport said MmWriteCombined
  const auto view = host::mapping_info(buffer.BufferAddress);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->mode, UserMode);
  EXPECT_EQ(static_cast<std::byte*>(view->base) + 64, buffer.BufferAddress);  // + OffsetFromFirstPage
  EXPECT_GE(view->bytes, 64u + kBufferBytes);
  // The client can write the whole buffer.
  std::memset(buffer.BufferAddress, 0x5A, buffer.ActualBufferSize);
}

TEST_F(WaveRtPortTest, CachedBufferNeedsNoMemoryBarrier) {
  RecordingConfig config;
  config.cache_type = MmCached;
  load(config);
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 0, &buffer).status, STATUS_SUCCESS);
  EXPECT_EQ(buffer.CallMemoryBarrier, FALSE);
  EXPECT_THAT(driver_->log().calls_starting_with("Allocate"), ElementsAre("AllocateAudioBuffer(9600)"));
}

TEST_F(WaveRtPortTest, BufferSizeQueryAllocatesNothing) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION p{};
  p.Property = property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION, KSPROPERTY_TYPE_GET);
  p.RequestedBufferSize = kBufferBytes;
  p.NotificationCount = 2;
  const ks::IoResult query = request(pin, bytes_of(p), {});
  EXPECT_EQ(query.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(query.bytes_returned, sizeof(KSRTAUDIO_BUFFER));
  std::byte small[8];
  EXPECT_EQ(request(pin, bytes_of(p), small).status, STATUS_BUFFER_TOO_SMALL);
  EXPECT_TRUE(driver_->log().calls_starting_with("Allocate").empty());
}

TEST_F(WaveRtPortTest, SecondBufferIsRefusedAndTheFirstStays) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER first{}, second{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &first).status, STATUS_SUCCESS);
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 2, &second).status, STATUS_DEVICE_BUSY);
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 0, &second).status, STATUS_DEVICE_BUSY);
  EXPECT_EQ(driver_->log().calls_starting_with("Allocate").size(), 1u);
  EXPECT_TRUE(host::mapping_info(first.BufferAddress).has_value());
}

TEST_F(WaveRtPortTest, BadNotificationCountNeverReachesMiniport) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 3, &buffer).status, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 0xFFFFFFFFu, &buffer).status, STATUS_INVALID_PARAMETER);
  EXPECT_TRUE(driver_->log().calls_starting_with("Allocate").empty());
  // And the pin can still get its buffer.
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 1, &buffer).status, STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, SmallerBufferThanRequestedIsOnlyAWarning) {
  RecordingConfig config;
  config.actual_size = 4800;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  KSRTAUDIO_BUFFER buffer{};
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  EXPECT_EQ(buffer.ActualBufferSize, 4800u);
  EXPECT_TRUE(record.empty());
}

// ---- Referee: buffer ----

class WaveRtRefereeTest : public WaveRtPortTest {
 protected:
  // Requests a notification buffer from a miniport configured by `config`; expects one
  // PortContract report, a failed request, and the buffer given back as it was allocated.
  void expect_buffer_caught(const RecordingConfig& config, ULONG notification_count = 2) {
    load(config);
    ks::Handle pin = create_pin();
    host::RecordViolations record;
    KSRTAUDIO_BUFFER buffer{};
    EXPECT_EQ(get_buffer(pin, kBufferBytes, notification_count, &buffer).status, STATUS_UNSUCCESSFUL);
    EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
    EXPECT_EQ(driver_->log().calls_starting_with("Free").size(), 1u);
    EXPECT_EQ(driver_->shared().free_mismatches.load(), 0);
  }
};

TEST_F(WaveRtRefereeTest, ActualSizeThatIsNotWholeFramesIsCaught) {
  RecordingConfig config;
  config.actual_size = kBufferBytes + 1;
  expect_buffer_caught(config);
}

TEST_F(WaveRtRefereeTest, ActualSizeBelowOneFrameIsCaught) {
  RecordingConfig config;
  config.actual_size = 0;
  config.mdl_bytes = PAGE_SIZE;
  expect_buffer_caught(config);
}

TEST_F(WaveRtRefereeTest, ActualSizeBeyondTheMdlIsCaught) {
  RecordingConfig config;
  config.offset_from_first_page = 128;
  config.mdl_bytes = 3 * PAGE_SIZE;  // 12288 bytes; 128 + 12288 do not fit
  config.actual_size = 3 * PAGE_SIZE;
  expect_buffer_caught(config);
}

TEST_F(WaveRtRefereeTest, InvalidCacheTypeIsCaught) {
  RecordingConfig config;
  config.cache_type = 7;
  expect_buffer_caught(config);
}

TEST_F(WaveRtRefereeTest, NonWholeFramesCaughtOnPlainBufferToo) {
  RecordingConfig config;
  config.actual_size = 9602;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  KSRTAUDIO_BUFFER buffer{};
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 0, &buffer).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  EXPECT_THAT(driver_->log().calls_starting_with("Free"), ElementsAre("FreeAudioBuffer(9602)"));
}

// ---- Registers ----

TEST_F(WaveRtPortTest, PositionRegisterIsMappedOncePerPin) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_HWREGISTER reg{};
  const ks::IoResult r = get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes_returned, sizeof(KSRTAUDIO_HWREGISTER));
  EXPECT_EQ(reg.Width, 32u);
  EXPECT_EQ(reg.Accuracy, kFrameBytes);
  const auto view = host::mapping_info(reg.Register);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->mode, UserMode);
  // The client sees what the hardware writes.
  driver_->last_stream()->set_position_register(1234);
  EXPECT_EQ(*static_cast<volatile ULONG*>(reg.Register), 1234u);
  driver_->last_stream()->set_position_register(4321);
  EXPECT_EQ(*static_cast<volatile ULONG*>(reg.Register), 4321u);
  // Once per pin lifetime.
  KSRTAUDIO_HWREGISTER again{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &again).status, STATUS_DEVICE_BUSY);
  EXPECT_EQ(driver_->log().calls_starting_with("GetPositionRegister").size(), 1u);
  // A second pin maps its own.
  ks::Handle other = create_pin();
  EXPECT_EQ(get_register(other, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &again).status, STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, ClockRegisterIsMappedOncePerPinWithItsFrequency) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_HWREGISTER reg{};
  ASSERT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &reg).status, STATUS_SUCCESS);
  EXPECT_EQ(reg.Numerator, 24000000u);
  EXPECT_EQ(reg.Denominator, 1u);
  EXPECT_TRUE(host::mapping_info(reg.Register).has_value());
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &reg).status, STATUS_DEVICE_BUSY);
  EXPECT_EQ(driver_->log().calls_starting_with("GetClockRegister").size(), 1u);
}

TEST_F(WaveRtPortTest, RegisterNotSupportedIsPassedOnForFallback) {
  RecordingConfig config;
  config.position_register_status = STATUS_NOT_SUPPORTED;
  config.clock_register_status = STATUS_NOT_SUPPORTED;
  load(config);
  ks::Handle pin = create_pin();
  KSRTAUDIO_HWREGISTER reg{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &reg).status, STATUS_NOT_SUPPORTED);
  // The fallback works.
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  driver_->last_stream()->set_position(400, 800);
  KSAUDIO_POSITION position{};
  EXPECT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_SUCCESS);
  EXPECT_EQ(position.PlayOffset, 400u);
  EXPECT_EQ(position.WriteOffset, 800u);
}

TEST_F(WaveRtRefereeTest, RegisterWidth16IsCaught) {
  RecordingConfig config;
  config.register_width_bits = 16;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  KSRTAUDIO_HWREGISTER reg{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
}

TEST_F(WaveRtRefereeTest, ClockWithZeroDenominatorIsCaught) {
  RecordingConfig config;
  config.clock_denominator = 0;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  KSRTAUDIO_HWREGISTER reg{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &reg).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  // The position register has no frequency: fine.
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_SUCCESS);
}

TEST_F(WaveRtRefereeTest, RegisterWithoutPhysicalPageIsCaught) {
  RecordingConfig config;
  config.register_in_pool = true;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  KSRTAUDIO_HWREGISTER reg{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
}

// ---- Position ----

TEST_F(WaveRtRefereeTest, PositionPastTheBufferIsCaught) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  driver_->last_stream()->set_position(kBufferBytes - kFrameBytes, 0);
  KSAUDIO_POSITION position{};
  EXPECT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_SUCCESS);
  host::RecordViolations record;
  driver_->last_stream()->set_position(kBufferBytes, 0);
  EXPECT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  KSAUDIO_POSITIONEX ex{};
  EXPECT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITIONEX, &ex).status, STATUS_UNSUCCESSFUL);
  EXPECT_EQ(record.count(host::Rule::PortContract), 2u);
}

TEST_F(WaveRtPortTest, PositionExWrapsGetPositionWithQpcStamps) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  driver_->last_stream()->set_position(64, 128);
  host::run_for(std::chrono::milliseconds(5));
  KSAUDIO_POSITIONEX ex{};
  const std::uint64_t before = host::qpc_now();
  ASSERT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITIONEX, &ex).status, STATUS_SUCCESS);
  EXPECT_EQ(ex.TimerFrequency.QuadPart, 10'000'000);
  EXPECT_GE(static_cast<std::uint64_t>(ex.TimeStamp1.QuadPart), before);
  EXPECT_LE(ex.TimeStamp1.QuadPart, ex.TimeStamp2.QuadPart);
  EXPECT_LE(static_cast<std::uint64_t>(ex.TimeStamp2.QuadPart), host::qpc_now());
  EXPECT_EQ(ex.Position.PlayOffset, 64u);
  EXPECT_EQ(ex.Position.WriteOffset, 128u);
}

// ---- Notification events ----

TEST_F(WaveRtPortTest, RegisteredEventWakesTheClientInRun) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  ASSERT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  EXPECT_EQ(driver_->last_stream()->registered_event_count(), 1u);
  ASSERT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  host::RecordViolations record;
  EXPECT_EQ(host::wait_user_event(event, 0), STATUS_TIMEOUT);
  driver_->last_stream()->fire_notification();
  EXPECT_EQ(host::wait_user_event(event, 0), STATUS_SUCCESS);
  EXPECT_TRUE(record.empty());
  ASSERT_EQ(set_state(pin, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  EXPECT_EQ(driver_->last_stream()->registered_event_count(), 0u);
  EXPECT_EQ(host::referenced_event_count(), 0u);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
}

TEST_F(WaveRtRefereeTest, EventSignalledInPauseIsCaught) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  ASSERT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  ASSERT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  ASSERT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  host::RecordViolations record;
  driver_->last_stream()->fire_notification();
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  ASSERT_EQ(set_state(pin, KSSTATE_STOP), STATUS_SUCCESS);
  driver_->last_stream()->fire_notification();
  EXPECT_EQ(record.count(host::Rule::PortContract), 2u);
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, EventsBeforeANotificationBufferAreRefused) {
  load();
  ks::Handle pin = create_pin();
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status,
            STATUS_INVALID_DEVICE_STATE);
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 0, &buffer).status, STATUS_SUCCESS);  // not a notification buffer
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status,
            STATUS_INVALID_DEVICE_STATE);
  EXPECT_TRUE(driver_->log().calls_starting_with("RegisterNotificationEvent").empty());
  EXPECT_EQ(host::referenced_event_count(), 0u);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, BadEventHandlesAndDuplicatesAreRefused) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, reinterpret_cast<HANDLE>(0x1234)).status,
            STATUS_INVALID_HANDLE);
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, event).status, STATUS_NOT_FOUND);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status,
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(driver_->log().calls_starting_with("RegisterNotificationEvent").size(), 1u);
  // GET is accepted as well as SET (§1.4).
  EXPECT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, event, KSPROPERTY_TYPE_GET).status,
            STATUS_SUCCESS);
  EXPECT_EQ(host::referenced_event_count(), 0u);
  // The client may close its handle while registered: the port's reference keeps the event alive.
  ASSERT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
  EXPECT_EQ(host::referenced_event_count(), 1u);
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_EQ(host::referenced_event_count(), 0u);
}

}  // namespace
}  // namespace wavert::testing

namespace wavert::testing {
namespace {

// The recording miniport's clock-driven hardware model, as the client tests use it: events at
// every packet in RUN only, position from the simulated clock, register written by the DPC.
TEST_F(WaveRtPortTest, ClockDrivenMiniportStreamsInSimulatedTime) {
  RecordingConfig config;
  config.clock_driven = true;
  load(config);
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);  // 50 ms, 25 ms packets
  KSRTAUDIO_HWREGISTER reg{};
  ASSERT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_SUCCESS);
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  ASSERT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  host::RecordViolations record;  // any signal outside RUN would be recorded here
  ASSERT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  const std::uint64_t start = host::now_100ns();
  // Two packets, each 25 ms after the previous one.
  for (int packet = 1; packet <= 2; ++packet) {
    ASSERT_EQ(host::wait_user_event(event, 1'000'000), STATUS_SUCCESS);
    EXPECT_EQ(host::now_100ns() - start, static_cast<std::uint64_t>(packet) * 250'000u);
  }
  EXPECT_EQ(*static_cast<volatile ULONG*>(reg.Register), 0u);  // 50 ms = one whole buffer
  host::run_for(std::chrono::milliseconds(5));                 // 240 frames further
  KSAUDIO_POSITION position{};
  ASSERT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_SUCCESS);
  EXPECT_EQ(position.PlayOffset, 240u * kFrameBytes);
  ASSERT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  EXPECT_EQ(host::wait_user_event(event, 1'000'000), STATUS_TIMEOUT);  // no packets in PAUSE
  ASSERT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_SUCCESS);
  EXPECT_EQ(position.PlayOffset, 240u * kFrameBytes);  // held while paused
  EXPECT_TRUE(record.empty());
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
}

}  // namespace
}  // namespace wavert::testing
