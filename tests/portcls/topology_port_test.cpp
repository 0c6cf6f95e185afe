// The Topology port through the raw KS boundary: device interfaces, node and filter property
// routing to the miniport's automation tables (PCPROPERTY_REQUEST MajorTarget / MinorTarget / Node /
// Instance), and the mixer properties of topology_miniport.cpp.
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <ks.h>
#include <ksmedia.h>

#include "topology_miniport.h"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/ks.hpp"

namespace {

namespace ks = wavert::host::ks;
using topology_test::kChannels;

// KSNODEPROPERTY_AUDIO_CHANNEL for node `node`, channel `channel`.
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

class TopologyPort : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(wavert::host::LoadedDriver::load(topology_test::DriverEntry, {}, &driver_), STATUS_SUCCESS);
    auto interfaces = ks::enumerate_interfaces(KSCATEGORY_TOPOLOGY);
    ASSERT_EQ(interfaces.size(), 1u);
    ASSERT_EQ(ks::open_filter(interfaces[0].symbolic_link, &filter_), STATUS_SUCCESS);
  }
  void TearDown() override {
    if (filter_) {
      EXPECT_EQ(ks::close(filter_), STATUS_SUCCESS);
    }
    driver_.reset();
  }

  LONG get_channel(ULONG id, ULONG node, LONG channel, NTSTATUS* status) {
    LONG value = 0x7EADBEEF;
    ks::IoResult r = request(filter_, channel_request(id, KSPROPERTY_TYPE_GET, node, channel), &value, sizeof value);
    *status = r.status;
    if (NT_SUCCESS(r.status)) {
      EXPECT_EQ(r.bytes_returned, sizeof(LONG));
    }
    return value;
  }
  NTSTATUS set_channel(ULONG id, ULONG node, LONG channel, LONG value) {
    return request(filter_, channel_request(id, KSPROPERTY_TYPE_SET, node, channel), &value, sizeof value).status;
  }

  wavert::host::KernelSession session_;
  std::unique_ptr<wavert::host::LoadedDriver> driver_;
  ks::Handle filter_;
};

TEST_F(TopologyPort, RegistersUnderAudioAndTopologyOnly) {
  auto topology = ks::enumerate_interfaces(KSCATEGORY_TOPOLOGY);
  ASSERT_EQ(topology.size(), 1u);
  EXPECT_EQ(topology[0].subdevice_name, "Topology");
  auto audio = ks::enumerate_interfaces(KSCATEGORY_AUDIO);
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].subdevice_name, "Topology");
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_REALTIME).empty());
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_RENDER).empty());
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_CAPTURE).empty());
}

TEST_F(TopologyPort, VolumeNodeRequestReachesTheMiniportWithNodeAndChannel) {
  const LONG minus_10_db = -10 * 65536;
  ASSERT_EQ(set_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 1, minus_10_db), STATUS_SUCCESS);
  topology_test::LastRequest last = topology_test::LastPropertyRequest();
  EXPECT_EQ(last.major_target, topology_test::MiniportUnknown());
  EXPECT_EQ(last.minor_target, nullptr) << "a topology filter has no stream";
  EXPECT_EQ(last.node, topology_test::kVolumeNode);
  EXPECT_EQ(last.verb & KSPROPERTY_TYPE_SET, static_cast<ULONG>(KSPROPERTY_TYPE_SET));
  // Instance is what follows the KSP_NODE header: Channel and Reserved.
  EXPECT_EQ(last.instance_size, sizeof(KSNODEPROPERTY_AUDIO_CHANNEL) - sizeof(KSNODEPROPERTY));

  NTSTATUS s;
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 1, &s), minus_10_db);
  EXPECT_EQ(s, STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, &s), 0) << "channel 0 untouched";
  EXPECT_EQ(s, STATUS_SUCCESS);
}

TEST_F(TopologyPort, VolumeIsClampedToTheRangeAndSnappedToSteps) {
  NTSTATUS s;
  ASSERT_EQ(set_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, -200 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, &s), topology_test::kVolumeMinimum);
  ASSERT_EQ(set_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, 6 * 65536), STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, &s), topology_test::kVolumeMaximum);
  // -3.3 dB lies between the -3.5 and -3.0 dB steps, nearer -3.5.
  ASSERT_EQ(set_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, -(33 * 65536) / 10), STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, 0, &s), -(7 * 65536) / 2);
}

TEST_F(TopologyPort, VolumeOfAChannelTheNodeDoesNotHaveFails) {
  NTSTATUS s;
  get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kVolumeNode, kChannels, &s);
  EXPECT_EQ(s, STATUS_INVALID_PARAMETER);
}

TEST_F(TopologyPort, VolumeBasicSupportDescribesSteppedRangesPerChannel) {
  auto r = channel_request(KSPROPERTY_AUDIO_VOLUMELEVEL, KSPROPERTY_TYPE_BASICSUPPORT, topology_test::kVolumeNode, -1);
  ULONG access = 0;
  ks::IoResult flags = request(filter_, r, &access, sizeof access);
  ASSERT_EQ(flags.status, STATUS_SUCCESS);
  EXPECT_EQ(access, static_cast<ULONG>(KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT));

  struct Reply {
    KSPROPERTY_DESCRIPTION description;
    KSPROPERTY_MEMBERSHEADER members;
    KSPROPERTY_STEPPING_LONG ranges[kChannels];
  } reply{};
  // First the description alone, which says how much the whole answer takes.
  ks::IoResult head = request(filter_, r, &reply.description, sizeof reply.description);
  ASSERT_EQ(head.status, STATUS_SUCCESS);
  ASSERT_EQ(reply.description.DescriptionSize, sizeof(Reply));
  ks::IoResult full = request(filter_, r, &reply, sizeof reply);
  ASSERT_EQ(full.status, STATUS_SUCCESS);
  EXPECT_EQ(full.bytes_returned, sizeof(Reply));
  EXPECT_TRUE(IsEqualGUID(reply.description.PropTypeSet.Set, KSPROPTYPESETID_General));
  EXPECT_EQ(reply.description.MembersListCount, 1u);
  EXPECT_EQ(reply.members.MembersFlags, static_cast<ULONG>(KSPROPERTY_MEMBER_STEPPEDRANGES));
  EXPECT_EQ(reply.members.MembersSize, sizeof(KSPROPERTY_STEPPING_LONG));
  EXPECT_EQ(reply.members.MembersCount, static_cast<ULONG>(kChannels));
  EXPECT_EQ(reply.members.Flags, static_cast<ULONG>(KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL));
  for (const KSPROPERTY_STEPPING_LONG& range : reply.ranges) {
    EXPECT_EQ(range.Bounds.SignedMinimum, topology_test::kVolumeMinimum);
    EXPECT_EQ(range.Bounds.SignedMaximum, topology_test::kVolumeMaximum);
    EXPECT_EQ(range.SteppingDelta, topology_test::kVolumeStep);
  }
}

TEST_F(TopologyPort, MuteRoundTripsPerChannel) {
  NTSTATUS s;
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_MUTE, topology_test::kMuteNode, 0, &s), FALSE);
  ASSERT_EQ(s, STATUS_SUCCESS);
  ASSERT_EQ(set_channel(KSPROPERTY_AUDIO_MUTE, topology_test::kMuteNode, 0, TRUE), STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_MUTE, topology_test::kMuteNode, 0, &s), TRUE);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_MUTE, topology_test::kMuteNode, 1, &s), FALSE);
  EXPECT_EQ(topology_test::LastPropertyRequest().node, topology_test::kMuteNode);
}

TEST_F(TopologyPort, PeakMeterReportsTheHardwareAndCannotBeSet) {
  topology_test::SetPeak(0, 12'345);
  topology_test::SetPeak(1, -77);
  NTSTATUS s;
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_PEAKMETER2, topology_test::kPeakMeterNode, 0, &s), 12'345);
  EXPECT_EQ(s, STATUS_SUCCESS);
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_PEAKMETER2, topology_test::kPeakMeterNode, 1, &s), -77);
  EXPECT_FALSE(NT_SUCCESS(set_channel(KSPROPERTY_AUDIO_PEAKMETER2, topology_test::kPeakMeterNode, 0, 1)));
  EXPECT_EQ(get_channel(KSPROPERTY_AUDIO_PEAKMETER2, topology_test::kPeakMeterNode, 0, &s), 12'345);
}

TEST_F(TopologyPort, NodePropertyOnANodeWithoutItIsNotFound) {
  // The mute node's automation table has no VOLUMELEVEL: the request never reaches a handler.
  const ULONG calls = topology_test::LastPropertyRequest().handler_calls;
  NTSTATUS s;
  get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, topology_test::kMuteNode, 0, &s);
  EXPECT_FALSE(NT_SUCCESS(s));
  get_channel(KSPROPERTY_AUDIO_VOLUMELEVEL, 99, 0, &s);  // no such node
  EXPECT_FALSE(NT_SUCCESS(s));
  EXPECT_EQ(topology_test::LastPropertyRequest().handler_calls, calls);
}

TEST_F(TopologyPort, ChannelConfigIsAFilterPropertyWithNoNode) {
  KSPROPERTY get{};
  get.Set = KSPROPSETID_Audio;
  get.Id = KSPROPERTY_AUDIO_CHANNEL_CONFIG;
  get.Flags = KSPROPERTY_TYPE_GET;
  KSAUDIO_CHANNEL_CONFIG config{};
  ks::IoResult r = request(filter_, get, &config, sizeof config);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(config.ActiveSpeakerPositions, KSAUDIO_SPEAKER_STEREO);
  topology_test::LastRequest last = topology_test::LastPropertyRequest();
  EXPECT_EQ(last.node, static_cast<ULONG>(-1)) << "a filter request names no node";
  EXPECT_EQ(last.minor_target, nullptr);
  EXPECT_EQ(last.major_target, topology_test::MiniportUnknown());

  KSPROPERTY set = get;
  set.Flags = KSPROPERTY_TYPE_SET;
  KSAUDIO_CHANNEL_CONFIG quad{KSAUDIO_SPEAKER_QUAD};
  EXPECT_EQ(request(filter_, set, &quad, sizeof quad).status, STATUS_INVALID_PARAMETER) << "two-channel jack";
  KSAUDIO_CHANNEL_CONFIG mono{KSAUDIO_SPEAKER_MONO};
  EXPECT_EQ(request(filter_, set, &mono, sizeof mono).status, STATUS_SUCCESS);
  ASSERT_EQ(request(filter_, get, &config, sizeof config).status, STATUS_SUCCESS);
  EXPECT_EQ(config.ActiveSpeakerPositions, KSAUDIO_SPEAKER_MONO);
}

TEST_F(TopologyPort, JackDescriptionOfTheSpeakerPin) {
  KSP_PIN pin{};
  pin.Property.Set = KSPROPSETID_Jack;
  pin.Property.Id = KSPROPERTY_JACK_DESCRIPTION;
  pin.Property.Flags = KSPROPERTY_TYPE_GET;
  pin.PinId = topology_test::kSpeakerPin;
  ks::IoResult size = request(filter_, pin, nullptr, 0);
  EXPECT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  ASSERT_EQ(size.bytes_returned, sizeof(KSMULTIPLE_ITEM) + sizeof(KSJACK_DESCRIPTION));

  struct {
    KSMULTIPLE_ITEM header;
    KSJACK_DESCRIPTION jack;
  } reply{};
  ks::IoResult r = request(filter_, pin, &reply, size.bytes_returned);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(reply.header.Count, 1u);
  EXPECT_EQ(reply.header.Size, size.bytes_returned);
  EXPECT_EQ(reply.jack.ChannelMapping, static_cast<DWORD>(KSAUDIO_SPEAKER_STEREO));
  EXPECT_EQ(reply.jack.Color, topology_test::kJackColor);
  EXPECT_EQ(reply.jack.ConnectionType, eConnType3Point5mm);
  EXPECT_EQ(reply.jack.IsConnected, TRUE);
  EXPECT_EQ(topology_test::LastPropertyRequest().instance_size, sizeof(KSP_PIN) - sizeof(KSPROPERTY));

  pin.PinId = topology_test::kBridgeInPin;  // no jack on the wave side
  EXPECT_FALSE(NT_SUCCESS(request(filter_, pin, &reply, sizeof reply).status));
}

TEST_F(TopologyPort, BridgePinsCannotBeInstantiated) {
  struct {
    KSPIN_CONNECT connect;
    KSDATAFORMAT format;
  } create{};
  create.connect.Interface.Set = KSINTERFACESETID_Standard;
  create.connect.Medium.Set = KSMEDIUMSETID_Standard;
  create.connect.PinId = topology_test::kSpeakerPin;
  create.connect.Priority.PriorityClass = KSPRIORITY_NORMAL;
  create.format.FormatSize = sizeof(KSDATAFORMAT);
  create.format.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  create.format.SubFormat = KSDATAFORMAT_SUBTYPE_NONE;
  create.format.Specifier = KSDATAFORMAT_SPECIFIER_NONE;
  const std::size_t handles = ks::open_handle_count();
  ks::Handle pin;
  EXPECT_FALSE(NT_SUCCESS(ks::create_pin(filter_, std::as_bytes(std::span(&create, 1)), &pin)));
  EXPECT_FALSE(pin);
  EXPECT_EQ(ks::open_handle_count(), handles);
}

TEST_F(TopologyPort, PinSetIsAnsweredFromTheDescriptor) {
  KSPROPERTY ctypes{};
  ctypes.Set = KSPROPSETID_Pin;
  ctypes.Id = KSPROPERTY_PIN_CTYPES;
  ctypes.Flags = KSPROPERTY_TYPE_GET;
  ULONG count = 0;
  ASSERT_EQ(request(filter_, ctypes, &count, sizeof count).status, STATUS_SUCCESS);
  EXPECT_EQ(count, 2u);
  KSP_PIN communication{};
  communication.Property = ctypes;
  communication.Property.Id = KSPROPERTY_PIN_COMMUNICATION;
  communication.PinId = topology_test::kSpeakerPin;
  KSPIN_COMMUNICATION value{};
  ASSERT_EQ(request(filter_, communication, &value, sizeof value).status, STATUS_SUCCESS);
  EXPECT_EQ(value, KSPIN_COMMUNICATION_NONE);
}

}  // namespace
