// The topology miniports through the KS boundary, on the real driver: the filters' shape
// (pins, categories, nodes, connections, physical connections) and the node properties --
// volume, mute, peak meter -- which reach the codec stage and through it the samples.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <ks.h>
#include <ksmedia.h>

#include "device/filters.h"
#include "driver_fixture.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/ks.hpp"

namespace {

namespace ks = wavert::host::ks;
namespace filters = wavert::filters;
using driver_test::Ok;

constexpr ULONG kChannels = 8;
// LONG is 32 bits (the Windows ABI); <climits>' kLongMin/MAX are the host's 64-bit long.
constexpr LONG kLongMin = INT32_MIN;
constexpr LONG kLongMax = INT32_MAX;
constexpr LONG kVolumeMinimum = -96 * 65536;
constexpr LONG kVolumeStep = 65536 / 2;

KSNODEPROPERTY_AUDIO_CHANNEL channel_request(ULONG id, ULONG verb, ULONG node, LONG channel) {
  KSNODEPROPERTY_AUDIO_CHANNEL r{};
  r.NodeProperty.Property.Set = KSPROPSETID_Audio;
  r.NodeProperty.Property.Id = id;
  r.NodeProperty.Property.Flags = verb | KSPROPERTY_TYPE_TOPOLOGY;
  r.NodeProperty.NodeId = node;
  r.Channel = channel;
  return r;
}

template <class Request>
ks::IoResult request(ks::Handle h, const Request& r, void* value, std::size_t value_bytes) {
  return ks::device_io_control(h, IOCTL_KS_PROPERTY, std::as_bytes(std::span(&r, 1)),
                               std::span(static_cast<std::byte*>(value), value_bytes));
}

// Opens the subdevice registered as `name` under `category`.
ks::Handle open_subdevice(const GUID& category, const std::string& name) {
  for (const ks::DeviceInterface& i : ks::enumerate_interfaces(category)) {
    if (i.subdevice_name == name) {
      ks::Handle h;
      EXPECT_EQ(ks::open_filter(i.symbolic_link, &h), STATUS_SUCCESS);
      return h;
    }
  }
  ADD_FAILURE() << "no subdevice " << name;
  return {};
}

class TopologyProperties : public driver_test::DriverTest {
 protected:
  void SetUp() override {
    DriverTest::SetUp();
    speaker_ = open_subdevice(KSCATEGORY_TOPOLOGY, "TopologySpeaker");
    microphone_ = open_subdevice(KSCATEGORY_TOPOLOGY, "TopologyMicrophone");
    ASSERT_TRUE(speaker_);
    ASSERT_TRUE(microphone_);
  }
  void TearDown() override {
    if (speaker_) {
      EXPECT_EQ(ks::close(speaker_), STATUS_SUCCESS);
    }
    if (microphone_) {
      EXPECT_EQ(ks::close(microphone_), STATUS_SUCCESS);
    }
    DriverTest::TearDown();
  }

  LONG get(ks::Handle filter, ULONG id, ULONG node, LONG channel, NTSTATUS* status = nullptr) {
    LONG value = 0x7EADBEEF;
    ks::IoResult r = request(filter, channel_request(id, KSPROPERTY_TYPE_GET, node, channel), &value, sizeof value);
    if (status != nullptr) {
      *status = r.status;
    } else {
      EXPECT_EQ(r.status, STATUS_SUCCESS);
    }
    if (NT_SUCCESS(r.status)) {
      EXPECT_EQ(r.bytes_returned, sizeof(LONG));
    }
    return value;
  }
  NTSTATUS set(ks::Handle filter, ULONG id, ULONG node, LONG channel, LONG value) {
    return request(filter, channel_request(id, KSPROPERTY_TYPE_SET, node, channel), &value, sizeof value).status;
  }
  LONG volume(ks::Handle f, LONG channel) { return get(f, KSPROPERTY_AUDIO_VOLUMELEVEL, filters::kVolumeNode, channel); }
  NTSTATUS set_volume(ks::Handle f, LONG channel, LONG level) {
    return set(f, KSPROPERTY_AUDIO_VOLUMELEVEL, filters::kVolumeNode, channel, level);
  }

  // KSPROPSETID_Pin / KSPROPSETID_Topology GET with a KSP_PIN or KSPROPERTY header, answer as bytes.
  std::vector<std::byte> get_bytes(ks::Handle filter, const GUID& set, ULONG id, const ULONG* pin) {
    KSP_PIN r{};
    r.Property.Set = set;
    r.Property.Id = id;
    r.Property.Flags = KSPROPERTY_TYPE_GET;
    if (pin != nullptr) r.PinId = *pin;
    const std::size_t in_bytes = pin != nullptr ? sizeof(KSP_PIN) : sizeof(KSPROPERTY);
    std::vector<std::byte> out(4096);
    ks::IoResult res = ks::device_io_control(filter, IOCTL_KS_PROPERTY,
                                             std::span(reinterpret_cast<const std::byte*>(&r), in_bytes), out);
    EXPECT_EQ(res.status, STATUS_SUCCESS);
    out.resize(NT_SUCCESS(res.status) ? res.bytes_returned : 0);
    return out;
  }

  ks::Handle speaker_;
  ks::Handle microphone_;
};

// ---- Shape -----------------------------------------------------------------------------------------

TEST_F(TopologyProperties, BothTopologyFiltersHaveThreeNodesInOrder) {
  for (ks::Handle f : {speaker_, microphone_}) {
    std::vector<std::byte> nodes = get_bytes(f, KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_NODES, nullptr);
    ASSERT_EQ(nodes.size(), sizeof(KSMULTIPLE_ITEM) + 3 * sizeof(GUID));
    const auto* guids = reinterpret_cast<const GUID*>(nodes.data() + sizeof(KSMULTIPLE_ITEM));
    EXPECT_TRUE(IsEqualGUID(guids[filters::kVolumeNode], KSNODETYPE_VOLUME));
    EXPECT_TRUE(IsEqualGUID(guids[filters::kMuteNode], KSNODETYPE_MUTE));
    EXPECT_TRUE(IsEqualGUID(guids[filters::kPeakMeterNode], KSNODETYPE_PEAKMETER));

    std::vector<std::byte> connections = get_bytes(f, KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_CONNECTIONS, nullptr);
    ASSERT_EQ(connections.size(), sizeof(KSMULTIPLE_ITEM) + 4 * sizeof(KSTOPOLOGY_CONNECTION));
    const auto* c = reinterpret_cast<const KSTOPOLOGY_CONNECTION*>(connections.data() + sizeof(KSMULTIPLE_ITEM));
    // bridge in -> volume -> mute -> peak -> bridge out
    EXPECT_EQ(c[0].FromNode, KSFILTER_NODE);
    EXPECT_EQ(c[0].FromNodePin, filters::kTopologyBridgeInPin);
    EXPECT_EQ(c[0].ToNode, filters::kVolumeNode);
    EXPECT_EQ(c[1].FromNode, filters::kVolumeNode);
    EXPECT_EQ(c[1].ToNode, filters::kMuteNode);
    EXPECT_EQ(c[2].FromNode, filters::kMuteNode);
    EXPECT_EQ(c[2].ToNode, filters::kPeakMeterNode);
    EXPECT_EQ(c[3].FromNode, filters::kPeakMeterNode);
    EXPECT_EQ(c[3].ToNode, KSFILTER_NODE);
    EXPECT_EQ(c[3].ToNodePin, filters::kTopologyBridgeOutPin);
  }
}

TEST_F(TopologyProperties, OuterBridgePinsNameTheEndpointFormFactor) {
  const ULONG out_pin = filters::kTopologyBridgeOutPin;
  const ULONG in_pin = filters::kTopologyBridgeInPin;
  auto category = [&](ks::Handle f, ULONG pin) {
    std::vector<std::byte> b = get_bytes(f, KSPROPSETID_Pin, KSPROPERTY_PIN_CATEGORY, &pin);
    GUID g{};
    if (b.size() == sizeof(GUID)) std::memcpy(&g, b.data(), sizeof g);
    return g;
  };
  EXPECT_TRUE(IsEqualGUID(category(speaker_, out_pin), KSNODETYPE_SPEAKER));
  EXPECT_TRUE(IsEqualGUID(category(speaker_, in_pin), KSCATEGORY_AUDIO));
  EXPECT_TRUE(IsEqualGUID(category(microphone_, in_pin), KSNODETYPE_MICROPHONE));
  EXPECT_TRUE(IsEqualGUID(category(microphone_, out_pin), KSCATEGORY_AUDIO));
}

TEST_F(TopologyProperties, BridgePinsAreNeverInstantiated) {
  const ULONG pin = filters::kTopologyBridgeInPin;
  std::vector<std::byte> b = get_bytes(speaker_, KSPROPSETID_Pin, KSPROPERTY_PIN_CINSTANCES, &pin);
  ASSERT_EQ(b.size(), sizeof(KSPIN_CINSTANCES));
  KSPIN_CINSTANCES counts{};
  std::memcpy(&counts, b.data(), sizeof counts);
  EXPECT_EQ(counts.PossibleCount, 0u);
}

TEST_F(TopologyProperties, OuterBridgePinsDescribeAConnectedJack) {
  auto jack = [&](ks::Handle f, ULONG pin, KSJACK_DESCRIPTION* out) {
    KSP_PIN r{};
    r.Property.Set = KSPROPSETID_Jack;
    r.Property.Id = KSPROPERTY_JACK_DESCRIPTION;
    r.Property.Flags = KSPROPERTY_TYPE_GET;
    r.PinId = pin;
    struct {
      KSMULTIPLE_ITEM header;
      KSJACK_DESCRIPTION jack;
    } reply{};
    ks::IoResult res = request(f, r, &reply, sizeof reply);
    if (NT_SUCCESS(res.status)) {
      EXPECT_EQ(res.bytes_returned, sizeof reply);
      EXPECT_EQ(reply.header.Count, 1u);
      EXPECT_EQ(reply.header.Size, sizeof reply);
      *out = reply.jack;
    }
    return res.status;
  };
  KSJACK_DESCRIPTION d{};
  ASSERT_EQ(jack(speaker_, filters::kTopologyBridgeOutPin, &d), STATUS_SUCCESS);
  EXPECT_TRUE(d.IsConnected);
  EXPECT_EQ(d.ChannelMapping, static_cast<DWORD>(KSAUDIO_SPEAKER_7POINT1_SURROUND));
  EXPECT_EQ(d.PortConnection, ePortConnJack);
  ASSERT_EQ(jack(microphone_, filters::kTopologyBridgeInPin, &d), STATUS_SUCCESS);
  EXPECT_TRUE(d.IsConnected);
  EXPECT_NE(d.Color, 0u);
  // The pins facing the wave filters are not jacks.
  EXPECT_FALSE(NT_SUCCESS(jack(speaker_, filters::kTopologyBridgeInPin, &d)));
  EXPECT_FALSE(NT_SUCCESS(jack(microphone_, filters::kTopologyBridgeOutPin, &d)));
}

// ---- Volume ----------------------------------------------------------------------------------------

TEST_F(TopologyProperties, VolumeStartsAtZeroDecibelsOnEveryChannel) {
  for (LONG c = 0; c < static_cast<LONG>(kChannels); ++c) {
    EXPECT_EQ(volume(speaker_, c), 0) << c;
    EXPECT_EQ(volume(microphone_, c), 0) << c;
  }
}

TEST_F(TopologyProperties, VolumeReadsBackRoundedToHalfDecibelSteps) {
  ASSERT_EQ(set_volume(speaker_, 0, -10 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 0), -10 * 65536);
  // -3.3 dB lies between -3.5 and -3.0 dB, nearer -3.5.
  ASSERT_EQ(set_volume(speaker_, 0, -(33 * 65536) / 10), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 0), -(7 * 65536) / 2);
  // -0.1 dB rounds to 0 dB.
  ASSERT_EQ(set_volume(speaker_, 0, -6554), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 0), 0);
}

TEST_F(TopologyProperties, VolumeIsClampedToMinus96To0Decibels) {
  ASSERT_EQ(set_volume(speaker_, 1, -200 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 1), kVolumeMinimum);
  ASSERT_EQ(set_volume(speaker_, 1, 12 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 1), 0);
  ASSERT_EQ(set_volume(speaker_, 1, kLongMin), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 1), kVolumeMinimum);
}

TEST_F(TopologyProperties, VolumeIsPerChannelAndPerEndpoint) {
  ASSERT_EQ(set_volume(speaker_, 1, -20 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(volume(speaker_, 1), -20 * 65536);
  EXPECT_EQ(volume(speaker_, 0), 0);
  EXPECT_EQ(volume(speaker_, 2), 0);
  EXPECT_EQ(volume(microphone_, 1), 0) << "the microphone has its own controls";
}

TEST_F(TopologyProperties, MasterChannelSetsEveryChannel) {
  ASSERT_EQ(set_volume(speaker_, -1, -6 * 65536), STATUS_SUCCESS);
  for (LONG c = 0; c < static_cast<LONG>(kChannels); ++c) EXPECT_EQ(volume(speaker_, c), -6 * 65536) << c;
  EXPECT_EQ(volume(speaker_, -1), -6 * 65536);
}

TEST_F(TopologyProperties, ChannelOutsideTheNodeIsInvalidParameter) {
  NTSTATUS s;
  get(speaker_, KSPROPERTY_AUDIO_VOLUMELEVEL, filters::kVolumeNode, static_cast<LONG>(kChannels), &s);
  EXPECT_EQ(s, STATUS_INVALID_PARAMETER);
  get(speaker_, KSPROPERTY_AUDIO_VOLUMELEVEL, filters::kVolumeNode, -2, &s);
  EXPECT_EQ(s, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(set_volume(speaker_, static_cast<LONG>(kChannels), 0), STATUS_INVALID_PARAMETER);
}

TEST_F(TopologyProperties, VolumeGetWithoutRoomReportsTheSize) {
  auto r = channel_request(KSPROPERTY_AUDIO_VOLUMELEVEL, KSPROPERTY_TYPE_GET, filters::kVolumeNode, 0);
  std::uint16_t small = 0;
  ks::IoResult res = request(speaker_, r, &small, sizeof small);
  EXPECT_EQ(res.status, STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(res.bytes_returned, sizeof(LONG));
}

TEST_F(TopologyProperties, VolumeBasicSupportIsASteppedRangePerChannel) {
  auto r = channel_request(KSPROPERTY_AUDIO_VOLUMELEVEL, KSPROPERTY_TYPE_BASICSUPPORT, filters::kVolumeNode, -1);
  ULONG access = 0;
  ASSERT_EQ(request(speaker_, r, &access, sizeof access).status, STATUS_SUCCESS);
  EXPECT_EQ(access, static_cast<ULONG>(KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT));

  struct Reply {
    KSPROPERTY_DESCRIPTION description;
    KSPROPERTY_MEMBERSHEADER members;
    KSPROPERTY_STEPPING_LONG ranges[kChannels];
  } reply{};
  ks::IoResult head = request(speaker_, r, &reply.description, sizeof reply.description);
  ASSERT_EQ(head.status, STATUS_SUCCESS);
  EXPECT_EQ(reply.description.DescriptionSize, sizeof(Reply));
  ks::IoResult full = request(speaker_, r, &reply, sizeof reply);
  ASSERT_EQ(full.status, STATUS_SUCCESS);
  EXPECT_EQ(full.bytes_returned, sizeof(Reply));
  EXPECT_TRUE(IsEqualGUID(reply.description.PropTypeSet.Set, KSPROPTYPESETID_General));
  EXPECT_EQ(reply.description.MembersListCount, 1u);
  EXPECT_EQ(reply.members.MembersFlags, static_cast<ULONG>(KSPROPERTY_MEMBER_STEPPEDRANGES));
  EXPECT_EQ(reply.members.MembersCount, kChannels);
  EXPECT_EQ(reply.members.Flags, static_cast<ULONG>(KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL));
  for (const auto& range : reply.ranges) {
    EXPECT_EQ(range.Bounds.SignedMinimum, kVolumeMinimum);
    EXPECT_EQ(range.Bounds.SignedMaximum, 0);
    EXPECT_EQ(range.SteppingDelta, static_cast<ULONG>(kVolumeStep));
  }
}

// ---- Mute ------------------------------------------------------------------------------------------

TEST_F(TopologyProperties, MuteRoundTripsPerChannel) {
  EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0), FALSE);
  ASSERT_EQ(set(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0, 7), STATUS_SUCCESS);
  EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0), TRUE) << "any non-zero mutes";
  EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 1), FALSE);
  EXPECT_EQ(get(speaker_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0), FALSE);
  ASSERT_EQ(set(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, -1, TRUE), STATUS_SUCCESS);
  for (LONG c = 0; c < static_cast<LONG>(kChannels); ++c) {
    EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, c), TRUE) << c;
  }
  ASSERT_EQ(set(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0, FALSE), STATUS_SUCCESS);
  EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, 0), FALSE);
}

TEST_F(TopologyProperties, PropertiesOnlyOnTheirOwnNode) {
  NTSTATUS s;
  get(speaker_, KSPROPERTY_AUDIO_VOLUMELEVEL, filters::kMuteNode, 0, &s);
  EXPECT_FALSE(NT_SUCCESS(s));
  get(speaker_, KSPROPERTY_AUDIO_MUTE, filters::kVolumeNode, 0, &s);
  EXPECT_FALSE(NT_SUCCESS(s));
  get(speaker_, KSPROPERTY_AUDIO_MUTE, 3, 0, &s);  // no such node
  EXPECT_FALSE(NT_SUCCESS(s));
}

// ---- Peak meter ------------------------------------------------------------------------------------

TEST_F(TopologyProperties, PeakMeterIsReadOnlyWithTheFullLongRange) {
  EXPECT_FALSE(NT_SUCCESS(set(speaker_, KSPROPERTY_AUDIO_PEAKMETER2, filters::kPeakMeterNode, 0, 1)));
  auto r = channel_request(KSPROPERTY_AUDIO_PEAKMETER2, KSPROPERTY_TYPE_BASICSUPPORT, filters::kPeakMeterNode, 0);
  ULONG access = 0;
  ASSERT_EQ(request(speaker_, r, &access, sizeof access).status, STATUS_SUCCESS);
  EXPECT_EQ(access, static_cast<ULONG>(KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_BASICSUPPORT));
  struct Reply {
    KSPROPERTY_DESCRIPTION description;
    KSPROPERTY_MEMBERSHEADER members;
    KSPROPERTY_STEPPING_LONG ranges[kChannels];
  } reply{};
  ASSERT_EQ(request(speaker_, r, &reply, sizeof reply).status, STATUS_SUCCESS);
  EXPECT_EQ(reply.ranges[0].Bounds.SignedMinimum, kLongMin);
  EXPECT_EQ(reply.ranges[0].Bounds.SignedMaximum, kLongMax);
}

TEST_F(TopologyProperties, PeakMeterOfASilentDeviceIsZero) {
  EXPECT_EQ(get(speaker_, KSPROPERTY_AUDIO_PEAKMETER2, filters::kPeakMeterNode, 0), 0);
  EXPECT_EQ(get(microphone_, KSPROPERTY_AUDIO_PEAKMETER2, filters::kPeakMeterNode, 1), 0);
  EXPECT_EQ(get(speaker_, KSPROPERTY_AUDIO_PEAKMETER, filters::kPeakMeterNode, 0), 0);
}

// Plays `seconds` of a constant 16-bit stereo level `sample` on the speaker and stops.
void play_constant(std::int16_t sample, double seconds) {
  namespace client = wavert::client;
  client::Endpoint speaker;
  ASSERT_TRUE(Ok(client::find_endpoint(client::Direction::Render, &speaker)));
  client::RenderStream stream;
  ASSERT_TRUE(Ok(stream.open(speaker, {client::Format::pcm16(48'000, 2)})));
  std::vector<std::int16_t> samples(static_cast<std::size_t>(48'000 * seconds) * 2, sample);
  ASSERT_TRUE(Ok(stream.write_all(std::span<const std::int16_t>(samples))));
  ASSERT_TRUE(Ok(stream.drain()));
}

TEST_F(TopologyProperties, PeakMeterMeasuresTheSpeakerOutputAfterVolumeAndResetsWhenRead) {
  auto peak = [&](LONG channel) { return get(speaker_, KSPROPERTY_AUDIO_PEAKMETER2, filters::kPeakMeterNode, channel); };
  play_constant(16384, 0.1);  // half of full scale on both channels
  EXPECT_NEAR(static_cast<double>(peak(0)), kLongMax / 2.0, kLongMax * 0.001);
  EXPECT_EQ(peak(0), 0) << "a read resets the channel it read";
  EXPECT_NEAR(static_cast<double>(peak(1)), kLongMax / 2.0, kLongMax * 0.001) << "and only that one";
  EXPECT_EQ(peak(-1), 0) << "the master reads (and resets) every channel";

  // -6 dB scales the samples by 10^(-6/20) before the meter.
  ASSERT_EQ(set_volume(speaker_, -1, -6 * 65536), STATUS_SUCCESS);
  play_constant(16384, 0.1);
  EXPECT_NEAR(static_cast<double>(peak(-1)), kLongMax / 2.0 * std::pow(10.0, -6.0 / 20.0), kLongMax * 0.002);

  // Muted: nothing reaches the meter.
  ASSERT_EQ(set(speaker_, KSPROPERTY_AUDIO_MUTE, filters::kMuteNode, -1, TRUE), STATUS_SUCCESS);
  play_constant(16384, 0.1);
  EXPECT_EQ(peak(-1), 0);
}

}  // namespace
