// WaveRT port: packet mode routing (waveRT-contract.md §4.2), DATAFORMAT, HWLATENCY, and bad input
// for every RtAudio property through the raw KS entry point.
#include "wavert_fixture.hpp"

namespace wavert::testing {
namespace {

using ::testing::ElementsAre;

TEST_F(WaveRtPortTest, RenderPacketCallsGoToTheOutputStream) {
  load();
  ks::Handle pin = create_pin(kRenderPin);
  driver_->last_stream()->set_packet_count(5);
  driver_->log().clear();
  ULONG count = 0;
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, &count).status, STATUS_SUCCESS);
  EXPECT_EQ(count, 5u);
  KSAUDIO_PRESENTATION_POSITION presentation{};
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, &presentation).status,
            STATUS_SUCCESS);
  EXPECT_EQ(presentation.u64PositionInBlocks, 5u * 480u);
  EXPECT_EQ(presentation.u64QPCPosition, 2005u);
  KSRTAUDIO_SETWRITEPACKET_INFO info{6, KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM, 100};
  EXPECT_EQ(set(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, info).status, STATUS_SUCCESS);
  EXPECT_THAT(calls(), ElementsAre("GetPacketCount", "GetOutputStreamPresentationPosition", "SetWritePacket(6,0x200,100)"));
  // Capture-only call on a render pin.
  KSRTAUDIO_GETREADPACKET_INFO read{};
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &read).status, STATUS_NOT_SUPPORTED);
}

TEST_F(WaveRtPortTest, SetWritePacketStatusesComeFromTheMiniport) {
  load();
  ks::Handle pin = create_pin(kRenderPin);
  KSRTAUDIO_SETWRITEPACKET_INFO info{1, 0, 0};
  for (NTSTATUS status : {STATUS_DATA_LATE_ERROR, STATUS_DATA_OVERRUN, STATUS_INVALID_DEVICE_STATE}) {
    driver_->config().set_write_packet_status = status;
    EXPECT_EQ(set(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, info).status, status);
  }
  // SET only: a GET is not this item's verb.
  EXPECT_FALSE(NT_SUCCESS(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, &info).status));
  EXPECT_EQ(driver_->log().calls_starting_with("SetWritePacket").size(), 3u);
}

TEST_F(WaveRtPortTest, CaptureReadPacketGoesToTheInputStream) {
  load();
  ks::Handle pin = create_pin(kCapturePin);
  driver_->last_stream()->set_packet_count(3);
  KSRTAUDIO_GETREADPACKET_INFO read{};
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &read).status, STATUS_SUCCESS);
  EXPECT_EQ(read.PacketNumber, 3u);
  EXPECT_EQ(read.PerformanceCounterValue, 1003u);
  EXPECT_EQ(read.MoreData, FALSE);
  driver_->config().read_packet_status = STATUS_DEVICE_NOT_READY;
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &read).status, STATUS_DEVICE_NOT_READY);
  // Render-only calls on a capture pin.
  ULONG count = 0;
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, &count).status, STATUS_NOT_SUPPORTED);
  KSRTAUDIO_SETWRITEPACKET_INFO info{1, 0, 0};
  EXPECT_EQ(set(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, info).status, STATUS_NOT_SUPPORTED);
  EXPECT_TRUE(driver_->log().calls_starting_with("GetPacketCount").empty());
}

TEST_F(WaveRtPortTest, MissingPacketInterfacesAnswerNotSupported) {
  RecordingConfig config;
  config.output_interface = false;
  config.input_interface = false;
  load(config);
  ks::Handle render = create_pin(kRenderPin);
  ks::Handle capture = create_pin(kCapturePin);
  ULONG count = 0;
  KSAUDIO_PRESENTATION_POSITION presentation{};
  KSRTAUDIO_GETREADPACKET_INFO read{};
  EXPECT_EQ(get(render, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, &count).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(get(render, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, &presentation).status,
            STATUS_NOT_SUPPORTED);
  EXPECT_EQ(get(capture, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, &read).status, STATUS_NOT_SUPPORTED);
}

TEST_F(WaveRtPortTest, UndocumentedRtAudioPropertiesAreNotSupported) {
  load();
  ks::Handle pin = create_pin();
  std::byte out[64] = {};
  for (ULONG id : {ULONG{KSPROPERTY_RTAUDIO_GETPOSITIONFUNCTION}, ULONG{KSPROPERTY_RTAUDIO_PACKETVREGISTER}}) {
    KSRTAUDIO_PACKETVREGISTER_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_GET);
    EXPECT_EQ(request(pin, bytes_of(p), out).status, STATUS_NOT_SUPPORTED) << id;
  }
}

TEST_F(WaveRtPortTest, HwLatencyAsksTheMiniportEachTime) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_HWLATENCY latency{};
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, &latency).status, STATUS_SUCCESS);
  EXPECT_EQ(get(pin, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, &latency).status, STATUS_SUCCESS);
  EXPECT_EQ(latency.FifoSize, 256u);
  EXPECT_EQ(latency.CodecDelay, 10000u);
  EXPECT_EQ(driver_->log().calls_starting_with("GetHWLatency").size(), 2u);
}

TEST_F(WaveRtPortTest, DataFormatGetReturnsCurrentAndSetValidatesFirst) {
  load();
  ks::Handle pin = create_pin();
  const auto created = wave_format_bytes();
  std::vector<std::byte> out(created.size());
  const KSPROPERTY get_p = property(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_DATAFORMAT, KSPROPERTY_TYPE_GET);
  const ks::IoResult r = request(pin, bytes_of(get_p), out);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes_returned, created.size());
  EXPECT_EQ(out, created);

  const KSPROPERTY set_p = property(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_DATAFORMAT, KSPROPERTY_TYPE_SET);
  auto mono = wave_format_bytes(1);
  EXPECT_EQ(request(pin, bytes_of(set_p), mono).status, STATUS_SUCCESS);
  EXPECT_THAT(driver_->log().calls_starting_with("SetFormat"), ElementsAre("SetFormat"));
  std::vector<std::byte> now(mono.size());
  EXPECT_EQ(request(pin, bytes_of(get_p), now).status, STATUS_SUCCESS);
  EXPECT_EQ(now, mono);

  // Malformed (zero channels) and out of range (8 channels): rejected before SetFormat.
  auto zero = wave_format_bytes(2);
  reinterpret_cast<KSDATAFORMAT_WAVEFORMATEX*>(zero.data())->WaveFormatEx.nChannels = 0;
  EXPECT_EQ(request(pin, bytes_of(set_p), zero).status, STATUS_INVALID_PARAMETER);
  auto eight = wave_format_bytes(8);
  EXPECT_EQ(request(pin, bytes_of(set_p), eight).status, STATUS_NO_MATCH);
  EXPECT_EQ(driver_->log().calls_starting_with("SetFormat").size(), 1u);

  // The miniport may refuse (e.g. while running); the current format stays.
  driver_->config().set_format_status = STATUS_INVALID_PARAMETER;
  auto stereo = wave_format_bytes(2);
  EXPECT_EQ(request(pin, bytes_of(set_p), stereo).status, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(request(pin, bytes_of(get_p), now).status, STATUS_SUCCESS);
  EXPECT_EQ(now, mono);
}

// ---- Bad input: every RtAudio property, through the raw entry point ----

struct RtAudioItem {
  ULONG id;
  ULONG request_bytes;  // the full request structure
  ULONG value_bytes;    // the value a GET returns, or a SET sends
  ULONG verb;           // the item's verb
};

const RtAudioItem kItems[] = {
    {KSPROPERTY_RTAUDIO_BUFFER, sizeof(KSRTAUDIO_BUFFER_PROPERTY), sizeof(KSRTAUDIO_BUFFER), KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_HWLATENCY, sizeof(KSPROPERTY), sizeof(KSRTAUDIO_HWLATENCY), KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_POSITIONREGISTER, sizeof(KSRTAUDIO_HWREGISTER_PROPERTY), sizeof(KSRTAUDIO_HWREGISTER),
     KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_CLOCKREGISTER, sizeof(KSRTAUDIO_HWREGISTER_PROPERTY), sizeof(KSRTAUDIO_HWREGISTER),
     KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION, sizeof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION),
     sizeof(KSRTAUDIO_BUFFER), KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_QUERY_NOTIFICATION_SUPPORT, sizeof(KSPROPERTY), sizeof(BOOL), KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_PACKETCOUNT, sizeof(KSPROPERTY), sizeof(ULONG), KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, sizeof(KSPROPERTY), sizeof(KSAUDIO_PRESENTATION_POSITION),
     KSPROPERTY_TYPE_GET},
    {KSPROPERTY_RTAUDIO_SETWRITEPACKET, sizeof(KSPROPERTY), sizeof(KSRTAUDIO_SETWRITEPACKET_INFO), KSPROPERTY_TYPE_SET},
};

TEST_F(WaveRtPortTest, ShortRequestsWrongVerbsAndShortValuesChangeNothing) {
  load();
  ks::Handle pin = create_pin(kRenderPin);
  driver_->log().clear();
  for (const RtAudioItem& item : kItems) {
    SCOPED_TRACE(item.id);
    std::vector<std::byte> in(item.request_bytes);
    KSPROPERTY p = property(KSPROPSETID_RtAudio, item.id, item.verb);
    std::memcpy(in.data(), &p, sizeof p);
    std::vector<std::byte> out(item.value_bytes);
    // A request structure one byte short.
    if (item.request_bytes > sizeof(KSPROPERTY)) {
      EXPECT_EQ(request(pin, std::span(in).first(item.request_bytes - 1), out).status, STATUS_BUFFER_TOO_SMALL);
    }
    // The other verb.
    KSPROPERTY wrong = property(KSPROPSETID_RtAudio, item.id,
                                item.verb == KSPROPERTY_TYPE_GET ? KSPROPERTY_TYPE_SET : KSPROPERTY_TYPE_GET);
    std::vector<std::byte> wrong_in = in;
    std::memcpy(wrong_in.data(), &wrong, sizeof wrong);
    EXPECT_FALSE(NT_SUCCESS(request(pin, wrong_in, out).status));
    // A value one byte short.
    const ks::IoResult r = request(pin, in, std::span(out).first(item.value_bytes - 1));
    EXPECT_EQ(r.status, STATUS_BUFFER_TOO_SMALL);
    if (item.verb == KSPROPERTY_TYPE_GET) {
      EXPECT_EQ(r.bytes_returned, item.value_bytes);
    }
  }
  // None of it reached the miniport, and the pin is as it was.
  EXPECT_TRUE(calls().empty());
  EXPECT_EQ(get_state(pin), KSSTATE_STOP);
  KSRTAUDIO_BUFFER buffer{};
  EXPECT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  KSRTAUDIO_HWREGISTER reg{};
  EXPECT_EQ(get_register(pin, KSPROPERTY_RTAUDIO_POSITIONREGISTER, &reg).status, STATUS_SUCCESS);
}

TEST_F(WaveRtPortTest, ShortEventRequestsAreRefused) {
  load();
  ks::Handle pin = create_pin();
  KSRTAUDIO_BUFFER buffer{};
  ASSERT_EQ(get_buffer(pin, kBufferBytes, 2, &buffer).status, STATUS_SUCCESS);
  for (ULONG id : {ULONG{KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT},
                   ULONG{KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT}}) {
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_SET);
    EXPECT_EQ(request(pin, std::span(bytes_of(p)).first(sizeof p - 1), {}).status, STATUS_BUFFER_TOO_SMALL);
  }
  EXPECT_TRUE(driver_->log().calls_starting_with("RegisterNotificationEvent").empty());
}

TEST_F(WaveRtPortTest, BasicSupportReportsEachItemsVerbs) {
  load();
  ks::Handle pin = create_pin();
  driver_->log().clear();
  const struct {
    const GUID* set;
    ULONG id;
    ULONG access;
  } cases[] = {
      {&KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET},
      {&KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, KSPROPERTY_TYPE_GET},
      {&KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, KSPROPERTY_TYPE_SET},
      {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, KSPROPERTY_TYPE_GET},
  };
  for (const auto& c : cases) {
    const KSPROPERTY p = property(*c.set, c.id, KSPROPERTY_TYPE_BASICSUPPORT);
    ULONG access = 0;
    EXPECT_EQ(request(pin, bytes_of(p), writable_bytes_of(access)).status, STATUS_SUCCESS) << c.id;
    EXPECT_EQ(access, c.access) << c.id;
  }
  EXPECT_TRUE(calls().empty());  // answered by the port, not the miniport
}

TEST_F(WaveRtPortTest, RequestsOnAClosedPinAreInvalidHandle) {
  load();
  ks::Handle pin = create_pin();
  ASSERT_EQ(close(pin), STATUS_SUCCESS);
  KSSTATE state{};
  EXPECT_EQ(get(pin, KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, &state).status, STATUS_INVALID_HANDLE);
  EXPECT_EQ(close(pin), STATUS_INVALID_HANDLE);
}

}  // namespace
}  // namespace wavert::testing
