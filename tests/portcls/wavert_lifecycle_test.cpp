// WaveRT port: port init, pin creation, the state machine, close unwinding (waveRT-contract.md
// §1.1, §1.3, §1.5, §1.6), driven through raw KS requests.
#include "wavert_fixture.hpp"

namespace wavert::testing {
namespace {

using ::testing::ElementsAre;

TEST_F(WaveRtPortTest, InitQueriesMiniportThenDescribesDevice) {
  load();
  // §1.1: Init, GetDescription (framework), then GetDeviceDescription once.
  EXPECT_THAT(calls(), ElementsAre("Init", "GetDescription", "GetDeviceDescription"));
}

TEST_F(WaveRtPortTest, RegistersRealtimeRenderAndCaptureInterfaces) {
  load();
  for (const GUID* category : {&KSCATEGORY_AUDIO, &KSCATEGORY_REALTIME, &KSCATEGORY_RENDER, &KSCATEGORY_CAPTURE}) {
    const auto interfaces = ks::enumerate_interfaces(*category);
    EXPECT_EQ(std::count_if(interfaces.begin(), interfaces.end(), [](const auto& i) { return i.subdevice_name == "Wave"; }),
              1);
  }
}

TEST_F(WaveRtPortTest, MiniportWithoutWaveRtInterfaceFailsInit) {
  RecordingConfig config;
  config.expose_miniport_wavert = false;
  std::unique_ptr<RecordingDriver> driver;
  EXPECT_EQ(RecordingDriver::load(config, {}, &driver), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(driver, nullptr);
}

TEST_F(WaveRtPortTest, DeviceDescriptionFailureIsNotFatal) {
  RecordingConfig config;
  config.device_description_status = STATUS_NOT_SUPPORTED;
  load(config);
  EXPECT_THAT(calls(), ElementsAre("Init", "GetDescription", "GetDeviceDescription"));
  ks::Handle pin = create_pin();
  EXPECT_TRUE(pin);
}

TEST_F(WaveRtPortTest, RenderPinCreatesStreamAndQueriesRenderInterfaces) {
  load();
  const std::size_t before = calls().size();
  create_pin(kRenderPin);
  EXPECT_THAT(calls_since(before), ElementsAre("NewStream(0,0)", "QI(Notification)", "QI(Output)"));
  ASSERT_NE(driver_->last_stream(), nullptr);
  EXPECT_EQ(driver_->last_stream()->state(), KSSTATE_STOP);
}

TEST_F(WaveRtPortTest, CapturePinCreatesStreamAndQueriesCaptureInterfaces) {
  load();
  const std::size_t before = calls().size();
  ks::Handle pin = create_pin(kCapturePin);
  EXPECT_THAT(calls_since(before), ElementsAre("NewStream(2,1)", "QI(Notification)", "QI(Input)"));
  EXPECT_EQ(get_state(pin), KSSTATE_STOP);
}

TEST_F(WaveRtPortTest, TimerDrivenMiniportWithoutNotificationStillOpens) {
  RecordingConfig config;
  config.notification_interface = false;
  load(config);
  ks::Handle pin = create_pin();
  BOOL supported = TRUE;
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_QUERY_NOTIFICATION_SUPPORT, &supported).status,
            STATUS_SUCCESS);
  EXPECT_EQ(supported, FALSE);
  KSRTAUDIO_BUFFER buffer{};
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 0, &buffer).status, STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, FailedNewStreamFailsPinCreateAndReturnsTheInstance) {
  RecordingConfig config;
  config.new_stream_status = STATUS_INSUFFICIENT_RESOURCES;
  load(config);
  ks::Handle pin;
  EXPECT_EQ(try_create_pin(kRenderPin, &pin), STATUS_INSUFFICIENT_RESOURCES);
  driver_->config().new_stream_status = STATUS_SUCCESS;
  // The failed create gave its instance back: both of the pin's two instances can open.
  ks::Handle a, b;
  EXPECT_EQ(try_create_pin(kRenderPin, &a), STATUS_SUCCESS);
  EXPECT_EQ(try_create_pin(kRenderPin, &b), STATUS_SUCCESS);
}

// ---- State machine (§1.5) ----

TEST_F(WaveRtPortTest, JumpFromStopToRunIsSteppedThroughAcquireAndPause) {
  load();
  ks::Handle pin = create_pin();
  EXPECT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  EXPECT_THAT(set_state_calls(), ElementsAre("SetState(ACQUIRE)", "SetState(PAUSE)", "SetState(RUN)"));
  EXPECT_EQ(get_state(pin), KSSTATE_RUN);
  EXPECT_EQ(driver_->last_stream()->state(), KSSTATE_RUN);
}

TEST_F(WaveRtPortTest, JumpFromRunToStopIsSteppedInReverse) {
  load();
  ks::Handle pin = create_pin();
  ASSERT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  driver_->log().clear();
  EXPECT_EQ(set_state(pin, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_THAT(set_state_calls(), ElementsAre("SetState(PAUSE)", "SetState(ACQUIRE)", "SetState(STOP)"));
  EXPECT_EQ(get_state(pin), KSSTATE_STOP);
}

TEST_F(WaveRtPortTest, RepeatedStateNeverReachesMiniport) {
  load();
  ks::Handle pin = create_pin();
  EXPECT_EQ(set_state(pin, KSSTATE_STOP), STATUS_SUCCESS);
  EXPECT_TRUE(set_state_calls().empty());
  ASSERT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  driver_->log().clear();
  EXPECT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  EXPECT_TRUE(set_state_calls().empty());
  EXPECT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  EXPECT_THAT(set_state_calls(), ElementsAre("SetState(RUN)"));
}

TEST_F(WaveRtPortTest, OutOfRangeStateIsRejectedAndChangesNothing) {
  load();
  ks::Handle pin = create_pin();
  ASSERT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  driver_->log().clear();
  EXPECT_EQ(set_state(pin, 4), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(set_state(pin, 0xFFFFFFFFu), STATUS_INVALID_PARAMETER);
  EXPECT_TRUE(set_state_calls().empty());
  EXPECT_EQ(get_state(pin), KSSTATE_PAUSE);
}

TEST_F(WaveRtPortTest, FailedStepKeepsTheLastStateTheMiniportAccepted) {
  RecordingConfig config;
  config.fail_set_state_to = KSSTATE_PAUSE;
  config.set_state_status = STATUS_DEVICE_NOT_READY;
  load(config);
  ks::Handle pin = create_pin();
  EXPECT_EQ(set_state(pin, KSSTATE_RUN), STATUS_DEVICE_NOT_READY);
  EXPECT_THAT(set_state_calls(), ElementsAre("SetState(ACQUIRE)", "SetState(PAUSE)"));
  EXPECT_EQ(get_state(pin), KSSTATE_ACQUIRE);
}

// ---- Close (§1.6) ----

TEST_F(WaveRtPortTest, CloseInRunUnwindsEverythingWithoutLeaks) {
  load();
  const std::uint64_t pages_before = host::physical_pages_allocated();
  const std::uint64_t mdls_before = host::pool_tag_usage(host::kMdlPoolTag).outstanding_count;
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  HANDLE event = nullptr;
  ASSERT_EQ(host::create_user_event(false, false, &event), STATUS_SUCCESS);
  ASSERT_EQ(event_request(pin, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, event).status, STATUS_SUCCESS);
  KSRTAUDIO_HWREGISTER reg{};
  ASSERT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_SUCCESS);
  ASSERT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_CLOCKREGISTER, &reg).status, STATUS_SUCCESS);
  ASSERT_EQ(set_state(pin, KSSTATE_RUN), STATUS_SUCCESS);
  EXPECT_TRUE(host::mapping_info(buffer.BufferAddress).has_value());
  driver_->log().clear();

  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_THAT(calls(), ElementsAre("SetState(PAUSE)", "SetState(ACQUIRE)", "SetState(STOP)",
                                   "FreeBufferWithNotification(9600)", "UnregisterNotificationEvent"));
  EXPECT_EQ(driver_->shared().streams_destroyed.load(), 1);
  EXPECT_EQ(driver_->shared().free_mismatches.load(), 0);
  EXPECT_FALSE(host::mapping_info(buffer.BufferAddress).has_value());  // the client's view is gone
  EXPECT_EQ(host::referenced_event_count(), 0u);
  EXPECT_EQ(host::physical_pages_allocated(), pages_before);
  EXPECT_EQ(host::pool_tag_usage(host::kMdlPoolTag).outstanding_count, mdls_before);
  EXPECT_EQ(host::close_user_event(event), STATUS_SUCCESS);
  // The instance is back.
  ks::Handle again;
  EXPECT_EQ(try_create_pin(kRenderPin, &again), STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, CloseFreesAPlainBufferWithFreeAudioBuffer) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 0, &buffer).status, STATUS_SUCCESS);
  ASSERT_EQ(set_state(pin, KSSTATE_PAUSE), STATUS_SUCCESS);
  driver_->log().clear();
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_THAT(calls(), ElementsAre("SetState(ACQUIRE)", "SetState(STOP)", "FreeAudioBuffer(9600)"));
  EXPECT_EQ(driver_->shared().free_mismatches.load(), 0);
}

TEST_F(WaveRtPortTest, CloseInStopCallsNoSetState) {
  load();
  ks::Handle pin = create_pin();
  driver_->log().clear();
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_TRUE(calls().empty());
  EXPECT_EQ(driver_->shared().streams_destroyed.load(), 1);
}

TEST_F(WaveRtPortTest, StreamReferenceLeftByMiniportIsReportedAtClose) {
  RecordingConfig config;
  config.keep_extra_stream_reference = true;
  load(config);
  ks::Handle pin = create_pin();
  host::RecordViolations record;
  EXPECT_EQ(close(pin), STATUS_SUCCESS);
  EXPECT_EQ(record.count(host::Rule::PortContract), 1u);
  EXPECT_EQ(driver_->shared().streams_destroyed.load(), 0);
  // Give the test stream its last reference back so the session ends clean.
  driver_->last_stream()->unknown()->Release();
}

TEST_F(WaveRtPortTest, UsePositionLockLetsPositionBypassABusyDeviceLock) {
  RecordingConfig config;
  host::DriverConfig driver_config;
  driver_config.use_position_lock = true;
  load(config, driver_config);
  ks::Handle pin = create_pin();
  // SetState(ACQUIRE) blocks inside the miniport, DeviceLock held, until the position request ran.
  KEVENT position_done;
  KeInitializeEvent(&position_done, NotificationEvent, FALSE);
  bool blocked = false;
  driver_->config().on_set_state = [&](KSSTATE) {
    blocked = true;
    (void)KeWaitForSingleObject(&position_done, Executive, KernelMode, FALSE, nullptr);
  };
  NTSTATUS state_status = STATUS_PENDING;
  host::HostThread mover("set-state", [&] { state_status = set_state(pin, KSSTATE_ACQUIRE); });
  ASSERT_TRUE(host::run_until([&] { return blocked; }, std::chrono::seconds(1)));
  KSAUDIO_POSITION position{};
  EXPECT_EQ(get(pin, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &position).status, STATUS_SUCCESS);
  (void)KeSetEvent(&position_done, IO_NO_INCREMENT, FALSE);
  mover.join();
  EXPECT_EQ(state_status, STATUS_SUCCESS);
  driver_->config().on_set_state = nullptr;
}

}  // namespace
}  // namespace wavert::testing
