// Pin creation through the raw KsCreatePin analog: KSPIN_CONNECT and KSDATAFORMAT validation with
// every malformed format the issue lists, instance limits, pin-level property routing, locks, and
// handle lifetime rules.
#include <gtest/gtest.h>

#include "framework_harness.hpp"
#include "port.hpp"
#include "wavert/host/ks.hpp"
#include "wavert/host/verifier.hpp"

using namespace harness;
using namespace wavert::host;
namespace ks = wavert::host::ks;

namespace {

constexpr NTSTATUS kInvalidParameter1 = NTSTATUS(0xC00000EF);
constexpr NTSTATUS kInvalidParameter2 = NTSTATUS(0xC00000F0);
constexpr NTSTATUS kInvalidParameter3 = NTSTATUS(0xC00000F1);
constexpr NTSTATUS kInvalidParameter4 = NTSTATUS(0xC00000F2);
constexpr NTSTATUS kInvalidParameter5 = NTSTATUS(0xC00000F3);
constexpr NTSTATUS kInvalidParameter6 = NTSTATUS(0xC00000F4);

class Pins : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_world();
    prepare();
    ASSERT_EQ(h_.load(config_), STATUS_SUCCESS);
    ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &filter_).empty());
  }
  void TearDown() override { (void)ks::close(filter_); }  // some tests close it themselves
  virtual void prepare() {}

  NTSTATUS create(std::vector<std::byte> bytes, ks::Handle* pin = nullptr) {
    ks::Handle local;
    NTSTATUS s = ks::create_pin(filter_, bytes, pin != nullptr ? pin : &local);
    if (pin == nullptr && NT_SUCCESS(s)) EXPECT_EQ(ks::close(local), STATUS_SUCCESS);
    return s;
  }
  NTSTATUS create_with(const WaveSpec& spec) { return create(connect_bytes(kRenderPin, spec)); }

  LoadedHarness h_;
  DriverConfig config_;
  ks::Handle filter_;
};

// ---- Formats ------------------------------------------------------------------------------------------------

TEST_F(Pins, AWellFormedFormatInsideARangeCreatesAPinThatLivesUntilClosed) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  EXPECT_TRUE(pin);
  EXPECT_EQ(world().live_streams, 1);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
  EXPECT_EQ(world().live_streams, 0);
  WaveSpec extensible;
  extensible.tag = WAVE_FORMAT_EXTENSIBLE;
  extensible.bits = 24;
  EXPECT_EQ(create_with(extensible), STATUS_SUCCESS);
  WaveSpec flt;
  flt.tag = WAVE_FORMAT_IEEE_FLOAT;
  flt.bits = 32;
  EXPECT_EQ(create_with(flt), STATUS_SUCCESS);
}

TEST_F(Pins, ZeroChannelsIsInvalidParameter) {
  WaveSpec s;
  s.channels = 0;
  s.block_align = 4;
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, BlockAlignOtherThanChannelsTimesContainerBytesIsInvalidParameter) {
  WaveSpec s;
  s.block_align = 3;
  s.avg_bytes = 48000 * 3;
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, AverageBytesPerSecondOtherThanRateTimesBlockAlignIsInvalidParameter) {
  WaveSpec s;
  s.avg_bytes = 192001;
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, ExtensibleWithCbSizeBelow22IsInvalidParameter) {
  WaveSpec s;
  s.tag = WAVE_FORMAT_EXTENSIBLE;
  s.cb_size = 21;
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, ExtensibleWithMoreValidBitsThanContainerOrMaskBitsThanChannelsIsInvalidParameter) {
  WaveSpec s;
  s.tag = WAVE_FORMAT_EXTENSIBLE;
  s.valid_bits = 20;  // container 16
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
  WaveSpec m;
  m.tag = WAVE_FORMAT_EXTENSIBLE;
  m.channel_mask = 0x7;  // 3 speakers, 2 channels
  EXPECT_EQ(create_with(m), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, UnknownSubformatIsNoMatchNotACrash) {
  WaveSpec s;
  s.tag = WAVE_FORMAT_EXTENSIBLE;
  s.subformat = {0xDEADBEEF, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
  s.keep_ks_subformat = true;
  s.ks_subformat = s.subformat;
  EXPECT_EQ(create_with(s), STATUS_NO_MATCH);
}

TEST_F(Pins, KsSubformatDisagreeingWithTheWaveFormatIsInvalidParameter) {
  WaveSpec s;
  s.keep_ks_subformat = true;
  s.ks_subformat = KSDATAFORMAT_SUBTYPE_IEEE_FLOAT;  // the WAVEFORMATEX says PCM
  EXPECT_EQ(create_with(s), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, FormatOutsideEveryRangeIsNoMatch) {
  WaveSpec rate;
  rate.rate = 96000;
  EXPECT_EQ(create_with(rate), STATUS_NO_MATCH);
  WaveSpec channels;
  channels.channels = 6;
  EXPECT_EQ(create_with(channels), STATUS_NO_MATCH);
  WaveSpec bits;
  bits.bits = 8;
  EXPECT_EQ(create_with(bits), STATUS_NO_MATCH);
}

TEST_F(Pins, TruncatedOrLyingSizesAreInvalidBufferSize) {
  auto bytes = connect_bytes(kRenderPin, {});
  auto short_connect = bytes;
  short_connect.resize(sizeof(KSPIN_CONNECT) + 10);
  EXPECT_EQ(create(short_connect), STATUS_INVALID_BUFFER_SIZE);
  EXPECT_EQ(create({}), STATUS_INVALID_BUFFER_SIZE);
  // FormatSize beyond the buffer.
  auto lying = bytes;
  ULONG big = 4096;
  std::memcpy(lying.data() + sizeof(KSPIN_CONNECT), &big, sizeof(big));
  EXPECT_EQ(create(lying), STATUS_INVALID_BUFFER_SIZE);
  // FormatSize too small for the WAVEFORMATEX the specifier promises.
  auto small = bytes;
  ULONG header_only = sizeof(KSDATAFORMAT) + 4;
  std::memcpy(small.data() + sizeof(KSPIN_CONNECT), &header_only, sizeof(header_only));
  small.resize(sizeof(KSPIN_CONNECT) + header_only);
  EXPECT_EQ(create(small), STATUS_INVALID_BUFFER_SIZE);
  // cbSize promising bytes the format does not have.
  WaveSpec cb;
  cb.cb_size = 40;
  EXPECT_EQ(create_with(cb), STATUS_INVALID_BUFFER_SIZE);
  // Bytes after the format that no attribute flag accounts for.
  auto trailing = bytes;
  trailing.resize(trailing.size() + 8);
  EXPECT_EQ(create(trailing), STATUS_INVALID_PARAMETER);
}

TEST_F(Pins, ReservedFieldsAndWildcardsInAFormatAreInvalidParameter6) {
  auto bytes = connect_bytes(kRenderPin, {});
  auto reserved = bytes;
  ULONG one = 1;
  std::memcpy(reserved.data() + sizeof(KSPIN_CONNECT) + offsetof(KSDATAFORMAT, Reserved), &one, sizeof(one));
  EXPECT_EQ(create(reserved), kInvalidParameter6);
  auto wildcard = bytes;
  std::memset(wildcard.data() + sizeof(KSPIN_CONNECT) + offsetof(KSDATAFORMAT, MajorFormat), 0, sizeof(GUID));
  EXPECT_EQ(create(wildcard), kInvalidParameter6);
}

TEST_F(Pins, AttributeListAfterTheFormatMustBeWellFormed) {
  auto bytes = connect_bytes(kRenderPin, {});
  // Set KSDATAFORMAT_ATTRIBUTES and append an 8-aligned list with one attribute of the range.
  ULONG flags = KSDATAFORMAT_ATTRIBUTES;
  std::memcpy(bytes.data() + sizeof(KSPIN_CONNECT) + offsetof(KSDATAFORMAT, Flags), &flags, sizeof(flags));
  bytes.resize(sizeof(KSPIN_CONNECT) + 88);  // 82-byte format padded to 8
  KSMULTIPLE_ITEM header{sizeof(KSMULTIPLE_ITEM) + sizeof(KSATTRIBUTE), 1};
  KSATTRIBUTE attribute{sizeof(KSATTRIBUTE), 0, {0x0A1B2C3D, 0x4E5F, 0x4061, {0x82, 0x73, 0x84, 0x95, 0xA6, 0xB7, 0xC8, 0xD9}}};
  auto append = [&](const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes.insert(bytes.end(), b, b + n);
  };
  append(&header, sizeof(header));
  append(&attribute, sizeof(attribute));
  EXPECT_EQ(create(bytes), STATUS_SUCCESS);  // the PCM range lists that attribute
  auto unknown_attribute = bytes;
  unknown_attribute[bytes.size() - 1] = std::byte{0x77};
  EXPECT_EQ(create(unknown_attribute), STATUS_NO_MATCH);
  auto bad_size = bytes;
  ULONG wrong = 4;
  std::memcpy(bad_size.data() + sizeof(KSPIN_CONNECT) + 88, &wrong, sizeof(wrong));
  EXPECT_EQ(create(bad_size), STATUS_INVALID_PARAMETER);
  auto missing = bytes;
  missing.resize(sizeof(KSPIN_CONNECT) + 88 + 4);
  EXPECT_EQ(create(missing), STATUS_INVALID_PARAMETER);
}

// ---- KSPIN_CONNECT ----------------------------------------------------------------------------------------------

TEST_F(Pins, ConnectFieldsAreCheckedAsKsValidateConnectRequestDoes) {
  EXPECT_EQ(create(connect_bytes(kWavePinCount, {})), kInvalidParameter3);
  EXPECT_EQ(create(connect_bytes(0xFFFFFFFF, {})), kInvalidParameter3);
  // Plain streaming is not what a WaveRT pin offers.
  EXPECT_EQ(create(connect_bytes(kRenderPin, {}, KSINTERFACE_STANDARD_STREAMING)), STATUS_NO_MATCH);
  auto bytes = connect_bytes(kRenderPin, {});
  auto interface_flags = bytes;
  ULONG one = 1;
  std::memcpy(interface_flags.data() + offsetof(KSPIN_CONNECT, Interface) + offsetof(KSIDENTIFIER, Flags), &one, 4);
  EXPECT_EQ(create(interface_flags), kInvalidParameter1);
  auto medium_flags = bytes;
  std::memcpy(medium_flags.data() + offsetof(KSPIN_CONNECT, Medium) + offsetof(KSIDENTIFIER, Flags), &one, 4);
  EXPECT_EQ(create(medium_flags), kInvalidParameter2);
  auto medium = bytes;
  std::memcpy(medium.data() + offsetof(KSPIN_CONNECT, Medium) + offsetof(KSIDENTIFIER, Id), &one, 4);
  EXPECT_EQ(create(medium), STATUS_NO_MATCH);
  auto priority = bytes;
  std::memset(priority.data() + offsetof(KSPIN_CONNECT, Priority), 0, sizeof(KSPRIORITY));
  EXPECT_EQ(create(priority), kInvalidParameter5);
  auto pin_to = bytes;
  const HANDLE other = reinterpret_cast<HANDLE>(0x44);
  std::memcpy(pin_to.data() + offsetof(KSPIN_CONNECT, PinToHandle), &other, sizeof(other));
  EXPECT_EQ(create(pin_to), kInvalidParameter4);  // a SINK pin cannot connect to another pin
}

TEST_F(Pins, BridgePinsHaveNoInstances) {
  auto bytes = connect_bytes(kBridgePin, {});
  // The bridge range is KSDATAFORMAT_SPECIFIER_NONE: send exactly a KSDATAFORMAT.
  KSDATAFORMAT f{};
  f.FormatSize = sizeof(f);
  f.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.SubFormat = KSDATAFORMAT_SUBTYPE_NONE;
  f.Specifier = KSDATAFORMAT_SPECIFIER_NONE;
  bytes.resize(sizeof(KSPIN_CONNECT) + sizeof(f));
  std::memcpy(bytes.data() + sizeof(KSPIN_CONNECT), &f, sizeof(f));
  // Everything matches, but MaxFilterInstanceCount is 0: the pin cannot be instantiated.
  EXPECT_EQ(create(bytes, nullptr), STATUS_INSUFFICIENT_RESOURCES);
}

// ---- Instance limits ------------------------------------------------------------------------------------------

TEST_F(Pins, FilterAndGlobalInstanceLimitsHoldAndClosingGivesAnInstanceBack) {
  ks::Handle a, b, c;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &a), STATUS_SUCCESS);
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &b), STATUS_SUCCESS);
  EXPECT_EQ(create(connect_bytes(kRenderPin, {}), &c), STATUS_INSUFFICIENT_RESOURCES);  // MaxFilter 2
  // A second filter on the same subdevice: global limit 3 leaves one more.
  ks::Handle other_filter, d, e;
  ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &other_filter).empty());
  ASSERT_EQ(ks::create_pin(other_filter, connect_bytes(kRenderPin, {}), &d), STATUS_SUCCESS);
  EXPECT_EQ(ks::create_pin(other_filter, connect_bytes(kRenderPin, {}), &e), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(ks::close(a), STATUS_SUCCESS);
  EXPECT_EQ(ks::create_pin(other_filter, connect_bytes(kRenderPin, {}), &e), STATUS_SUCCESS);
  for (ks::Handle h : {b, d, e, other_filter}) EXPECT_EQ(ks::close(h), STATUS_SUCCESS);
}

class PinsWithPinCount : public Pins {
  void prepare() override { world().use_pin_count = true; }
};

TEST_F(PinsWithPinCount, IPinCountLetsTheMiniportTightenTheLimit) {
  Reply c = get(filter_, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
  EXPECT_EQ(as<KSPIN_CINSTANCES>(c).PossibleCount, 1u);
  ks::Handle a;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &a), STATUS_SUCCESS);
  EXPECT_EQ(create(connect_bytes(kRenderPin, {})), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(ks::close(a), STATUS_SUCCESS);
}

// ---- Handles -------------------------------------------------------------------------------------------------------

TEST_F(Pins, ClosedUnknownAndStaleHandlesAreInvalidHandle) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  auto request = ks_property(kPortPinSet, kPortPinValue, KSPROPERTY_TYPE_GET);
  EXPECT_EQ(get(pin, request, 4).status, STATUS_SUCCESS);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
  EXPECT_EQ(ks::close(pin), STATUS_INVALID_HANDLE);
  EXPECT_EQ(get(pin, request, 4).status, STATUS_INVALID_HANDLE);
  EXPECT_EQ(ks::close(ks::Handle{}), STATUS_INVALID_HANDLE);
  EXPECT_EQ(get(ks::Handle{0xFFFFFFFF00000007ull}, request, 4).status, STATUS_INVALID_HANDLE);
  // The slot is reused by the next object; the old value still names nothing.
  ks::Handle next;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &next), STATUS_SUCCESS);
  EXPECT_NE(next.value, pin.value);
  EXPECT_EQ((next.value & 0xFFFFFFFF), (pin.value & 0xFFFFFFFF));
  EXPECT_EQ(get(pin, request, 4).status, STATUS_INVALID_HANDLE);
  ks::Handle through_stale;
  EXPECT_EQ(ks::create_pin(pin, connect_bytes(kRenderPin, {}), &through_stale), STATUS_INVALID_HANDLE);
  EXPECT_FALSE(through_stale);
  // A pin handle is not a filter.
  ks::Handle nested;
  EXPECT_EQ(ks::create_pin(next, connect_bytes(kRenderPin, {}), &nested), STATUS_INVALID_HANDLE);
  EXPECT_EQ(ks::close(next), STATUS_SUCCESS);
}

TEST_F(Pins, ClosingTheFilterFirstLeavesItsPinsWorking) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  EXPECT_EQ(ks::close(filter_), STATUS_SUCCESS);
  EXPECT_EQ(get(filter_, ks_pin_property(KSPROPERTY_PIN_CTYPES, 0), 4).status, STATUS_INVALID_HANDLE);
  EXPECT_EQ(get(pin, ks_property(kPortPinSet, kPortPinValue, KSPROPERTY_TYPE_GET), 4).status, STATUS_SUCCESS);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
  EXPECT_EQ(ks::open_handle_count(), 0u);
  EXPECT_EQ(world().live_streams, 0);
}

// ---- Pin properties ---------------------------------------------------------------------------------------------

TEST_F(Pins, PortAnsweredPinPropertiesGetAndSetUnderTheDeviceLock) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  auto request = ks_property(kPortPinSet, kPortPinValue, KSPROPERTY_TYPE_SET);
  ULONG v = 77;
  std::vector<std::byte> value(4);
  std::memcpy(value.data(), &v, 4);
  EXPECT_EQ(set(pin, request, value).status, STATUS_SUCCESS);
  EXPECT_EQ(set(pin, request, std::vector<std::byte>(2)).status, STATUS_BUFFER_TOO_SMALL);
  Reply r = get(pin, ks_property(kPortPinSet, kPortPinValue, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(r), 77u);
  // Without UsePositionLock a Position item runs under the device lock.
  Reply locks = get(pin, ks_property(kPortPinSet, kPortPinPositionLocked, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(locks.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(locks), 1u);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
}

class PinsWithPositionLock : public Pins {
  void prepare() override { config_.use_position_lock = true; }
};

TEST_F(PinsWithPositionLock, PositionItemsBypassTheDeviceLockForTheStreamsPositionLock) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  Reply locks = get(pin, ks_property(kPortPinSet, kPortPinPositionLocked, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(locks.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(locks), 2u);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
}

TEST_F(Pins, PinAndNodeRequestsOnAPinHandleReachTheMiniportWithTheStreamAsMinorTarget) {
  ks::Handle pin;
  ASSERT_EQ(create(connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  Reply r = get(pin, ks_property(kTestPropSet, 0, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  Reply n = get(pin, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, kVolumeNode, KSPROPERTY_TYPE_GET),
                4);
  ASSERT_EQ(n.status, STATUS_SUCCESS);
  ASSERT_EQ(world().seen.size(), 2u);
  EXPECT_EQ(world().seen[0].major, world().wave_miniport);
  EXPECT_NE(world().seen[0].minor, nullptr);
  EXPECT_EQ(world().seen[0].node, ULONG(-1));
  EXPECT_EQ(world().seen[1].minor, world().seen[0].minor);
  EXPECT_EQ(world().seen[1].node, ULONG(kVolumeNode));
  // A property nobody on the pin knows.
  EXPECT_EQ(get(pin, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET), 4).status,
            NTSTATUS(0xC0000230));
  EXPECT_EQ(get(pin, ks_property(kPortPinSet, 9, KSPROPERTY_TYPE_GET), 4).status, STATUS_NOT_FOUND);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
}

TEST_F(Pins, RandomBytesThroughEveryEntryPointNeverCrashOrLeak) {
  // A cheap deterministic fuzz: mutate valid requests byte by byte.
  std::uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const auto base_connect = connect_bytes(kRenderPin, {});
  const auto base_property = ks_pin_property(KSPROPERTY_PIN_DATARANGES, kRenderPin);
  int created = 0, answered = 0, requests = 0;
  for (int i = 0; i < 2000; ++i) {
    auto connect = base_connect;
    // Mostly one mutated byte so that some requests stay valid and get deep into validation.
    const int mutations = static_cast<int>(next() % 3);
    for (int k = 0; k < mutations; ++k) connect[next() % connect.size()] = std::byte(next());
    if (next() % 4 == 0) connect.resize(next() % (connect.size() + 16));
    ks::Handle pin;
    if (NT_SUCCESS(ks::create_pin(filter_, connect, &pin))) {
      ++created;
      EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
    }
    auto property = base_property;
    for (int k = 0; k < mutations; ++k) property[next() % property.size()] = std::byte(next());
    std::vector<std::byte> out(next() % 300);
    ++requests;
    if (NT_SUCCESS(ks::device_io_control(filter_, IOCTL_KS_PROPERTY, property, out).status)) ++answered;
  }
  // The fuzz reached both the success paths and the failure paths.
  EXPECT_GT(created, 0);
  EXPECT_LT(created, 2000);
  EXPECT_GT(answered, 0);
  EXPECT_LT(answered, requests);
  EXPECT_EQ(ks::open_handle_count(), 1u);
  EXPECT_EQ(world().live_streams, 0);
}

}  // namespace
