// KSPROPSETID_Pin and KSPROPSETID_Topology on a filter handle, answered from the miniport's
// PCFILTER_DESCRIPTOR (with driver-chosen strides), data intersection, and property routing to
// the miniport's automation tables, all through the raw KS entry point.
#include <gtest/gtest.h>

#include "framework_harness.hpp"
#include "port.hpp"
#include "wavert/host/ks.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/host/verifier.hpp"

using namespace harness;
using namespace wavert::host;
namespace ks = wavert::host::ks;

namespace {

class FilterProperties : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_world();
    ASSERT_EQ(h_.load(config()), STATUS_SUCCESS);
    ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &wave_).empty());
    ASSERT_FALSE(open_first(KSCATEGORY_TOPOLOGY, &topology_).empty());
  }
  void TearDown() override {
    EXPECT_EQ(ks::close(wave_), STATUS_SUCCESS);
    EXPECT_EQ(ks::close(topology_), STATUS_SUCCESS);
  }
  virtual DriverConfig config() {
    DriverConfig c;
    c.friendly_names = {{"Wave", "Test Speakers"}};
    return c;
  }

  LoadedHarness h_;
  ks::Handle wave_, topology_;
};

// ---- Device interfaces -------------------------------------------------------------------------------

TEST_F(FilterProperties, SubdevicesAppearUnderEveryCategoryTheirFilterImplies) {
  auto names = [](const GUID& category) {
    std::vector<std::string> out;
    for (const auto& i : ks::enumerate_interfaces(category)) out.push_back(i.subdevice_name);
    return out;
  };
  EXPECT_EQ(names(KSCATEGORY_AUDIO), (std::vector<std::string>{"Wave", "Topology"}));
  EXPECT_EQ(names(KSCATEGORY_RENDER), (std::vector<std::string>{"Wave"}));
  EXPECT_EQ(names(KSCATEGORY_CAPTURE), (std::vector<std::string>{"Wave"}));
  EXPECT_EQ(names(KSCATEGORY_REALTIME), (std::vector<std::string>{"Wave"}));
  EXPECT_EQ(names(KSCATEGORY_TOPOLOGY), (std::vector<std::string>{"Topology"}));
  auto render = ks::enumerate_interfaces(KSCATEGORY_RENDER).front();
  EXPECT_EQ(render.symbolic_link, "\\\\?\\ROOT#MEDIA#0000#{65e8773e-8f56-11d0-a3b9-00a0c9223196}\\wave");
  EXPECT_EQ(render.friendly_name, "Test Speakers");
  EXPECT_EQ(ks::enumerate_interfaces(KSCATEGORY_TOPOLOGY).front().friendly_name, "Topology");
}

TEST_F(FilterProperties, OpeningAnUnknownSymbolicLinkIsNameNotFound) {
  ks::Handle h;
  EXPECT_EQ(ks::open_filter("\\\\?\\ROOT#MEDIA#9999#{x}\\wave", &h), STATUS_OBJECT_NAME_NOT_FOUND);
  EXPECT_FALSE(h);
}

TEST_F(FilterProperties, UnregisterSubdeviceWithdrawsItsInterfacesButOpenFiltersKeepWorking) {
  PUNREGISTERSUBDEVICE unregister = nullptr;
  ASSERT_EQ(world().wave_port->QueryInterface(IID_IUnregisterSubdevice, reinterpret_cast<PVOID*>(&unregister)),
            STATUS_SUCCESS);
  EXPECT_EQ(unregister->UnregisterSubdevice(world().fdo, world().wave_port), STATUS_SUCCESS);
  EXPECT_EQ(unregister->UnregisterSubdevice(world().fdo, world().wave_port), STATUS_NOT_FOUND);
  unregister->Release();
  EXPECT_TRUE(ks::enumerate_interfaces(KSCATEGORY_RENDER).empty());
  EXPECT_EQ(ks::enumerate_interfaces(KSCATEGORY_AUDIO).size(), 1u);
  // The open filter holds its port: still answers.
  Reply r = get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET), 4);
  EXPECT_EQ(r.status, STATUS_SUCCESS);
}

// ---- KSPROPSETID_Pin ---------------------------------------------------------------------------------

TEST_F(FilterProperties, CTypesCountsPinFactoriesWalkedWithTheDriversPinSizeStride) {
  Reply r = get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes, 4u);
  EXPECT_EQ(as<ULONG>(r), kWavePinCount);
  // Pin 2 is only reachable with the right stride (PinSize 128, not 112).
  Reply flow = get(wave_, ks_pin_property(KSPROPERTY_PIN_COMMUNICATION, kBridgePin), 4);
  ASSERT_EQ(flow.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(flow), ULONG(KSPIN_COMMUNICATION_BRIDGE));
}

TEST_F(FilterProperties, DataFlowAndCommunicationComeFromEachPinsDescriptor) {
  EXPECT_EQ(as<ULONG>(get(wave_, ks_pin_property(KSPROPERTY_PIN_DATAFLOW, kRenderPin), 4)), ULONG(KSPIN_DATAFLOW_IN));
  EXPECT_EQ(as<ULONG>(get(wave_, ks_pin_property(KSPROPERTY_PIN_DATAFLOW, kCapturePin), 4)), ULONG(KSPIN_DATAFLOW_OUT));
  EXPECT_EQ(as<ULONG>(get(wave_, ks_pin_property(KSPROPERTY_PIN_COMMUNICATION, kRenderPin), 4)),
            ULONG(KSPIN_COMMUNICATION_SINK));
}

TEST_F(FilterProperties, CategoryIsThePinsCategoryGuid) {
  Reply r = get(wave_, ks_pin_property(KSPROPERTY_PIN_CATEGORY, kCapturePin), sizeof(GUID));
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_TRUE(IsEqualGUID(as<GUID>(r), KSNODETYPE_MICROPHONE));
}

TEST_F(FilterProperties, NameComesFromMediaCategoriesInTheRegistryThenFromTheCategory) {
  // The render pin's Name GUID has no MediaCategories entry yet.
  EXPECT_EQ(get(wave_, ks_pin_property(KSPROPERTY_PIN_NAME, kRenderPin), 256).status, STATUS_NOT_FOUND);
  registry::set_string("HKLM\\SYSTEM\\CurrentControlSet\\Control\\MediaCategories\\{6F5E4D3C-2B1A-4098-8776-655443322110}",
                       "Name", "Test Render");
  Reply size = get(wave_, ks_pin_property(KSPROPERTY_PIN_NAME, kRenderPin), 0);
  EXPECT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(size.bytes, 12u * 2);  // "Test Render" + terminator, UTF-16
  Reply name = get(wave_, ks_pin_property(KSPROPERTY_PIN_NAME, kRenderPin), size.bytes);
  ASSERT_EQ(name.status, STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(name.data.data())), u"Test Render");
  // No Name GUID: the category's name (KSNODETYPE_SPEAKER on the bridge pin).
  Reply bridge = get(wave_, ks_pin_property(KSPROPERTY_PIN_NAME, kBridgePin), 64);
  ASSERT_EQ(bridge.status, STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(bridge.data.data())), u"Speakers");
}

TEST_F(FilterProperties, DataRangesAreSerializedEightByteAlignedWithoutAttributesForUnawareClients) {
  Reply size = get(wave_, ks_pin_property(KSPROPERTY_PIN_DATARANGES, kRenderPin), 0);
  ASSERT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(size.bytes, 8u + 88 + 88);
  Reply r = get(wave_, ks_pin_property(KSPROPERTY_PIN_DATARANGES, kRenderPin), size.bytes);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  auto header = as<KSMULTIPLE_ITEM>(r);
  EXPECT_EQ(header.Size, size.bytes);
  EXPECT_EQ(header.Count, 2u);
  auto pcm = as<KSDATARANGE_AUDIO>(r, 8);
  EXPECT_TRUE(IsEqualGUID(pcm.DataRange.SubFormat, KSDATAFORMAT_SUBTYPE_PCM));
  EXPECT_EQ(pcm.DataRange.Flags & KSDATARANGE_ATTRIBUTES, 0u);
  EXPECT_EQ(pcm.MaximumBitsPerSample, 24u);
  auto flt = as<KSDATARANGE_AUDIO>(r, 8 + 88);
  EXPECT_TRUE(IsEqualGUID(flt.DataRange.SubFormat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT));
}

TEST_F(FilterProperties, DataRangesCarryTheAttributeListAfterItsRangeForRangeAwareClients) {
  auto request = ks_pin_property(KSPROPERTY_PIN_DATARANGES, kRenderPin, KSPROPERTY_TYPE_GET,
                                 KSPROPERTY_PIN_FLAGS_ATTRIBUTE_RANGE_AWARE);
  Reply size = get(wave_, request, 0);
  ASSERT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  // header, PCM range (88), attribute list (8 + 24), float range (88)
  EXPECT_EQ(size.bytes, 8u + 88 + 32 + 88);
  Reply r = get(wave_, request, size.bytes);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(r).Count, 3u);
  EXPECT_NE(as<KSDATARANGE>(r, 8).Flags & KSDATARANGE_ATTRIBUTES, 0u);
  auto list = as<KSMULTIPLE_ITEM>(r, 8 + 88);
  EXPECT_EQ(list.Size, 32u);
  EXPECT_EQ(list.Count, 1u);
  EXPECT_EQ(as<KSATTRIBUTE>(r, 8 + 88 + 8).Size, sizeof(KSATTRIBUTE));
}

TEST_F(FilterProperties, InstanceCountsReportLimitsAndOpenPins) {
  Reply c = get(wave_, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
  ASSERT_EQ(c.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSPIN_CINSTANCES>(c).PossibleCount, 2u);
  EXPECT_EQ(as<KSPIN_CINSTANCES>(c).CurrentCount, 0u);
  ks::Handle pin;
  ASSERT_EQ(ks::create_pin(wave_, connect_bytes(kRenderPin, {}), &pin), STATUS_SUCCESS);
  c = get(wave_, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
  EXPECT_EQ(as<KSPIN_CINSTANCES>(c).CurrentCount, 1u);
  Reply g = get(wave_, ks_pin_property(KSPROPERTY_PIN_GLOBALCINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
  ASSERT_EQ(g.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSPIN_CINSTANCES>(g).PossibleCount, 3u);
  EXPECT_EQ(as<KSPIN_CINSTANCES>(g).CurrentCount, 1u);
  Reply n = get(wave_, ks_pin_property(KSPROPERTY_PIN_NECESSARYINSTANCES, kRenderPin), 4);
  ASSERT_EQ(n.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(n), 0u);
  EXPECT_EQ(ks::close(pin), STATUS_SUCCESS);
  c = get(wave_, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), sizeof(KSPIN_CINSTANCES));
  EXPECT_EQ(as<KSPIN_CINSTANCES>(c).CurrentCount, 0u);
}

TEST_F(FilterProperties, InterfacesDefaultToThePortsAndMediumsToTheStandardDevio) {
  Reply i = get(wave_, ks_pin_property(KSPROPERTY_PIN_INTERFACES, kRenderPin), 64);
  ASSERT_EQ(i.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(i).Count, 1u);
  auto looped = as<KSPIN_INTERFACE>(i, 8);
  EXPECT_TRUE(IsEqualGUID(looped.Set, KSINTERFACESETID_Standard));
  EXPECT_EQ(looped.Id, ULONG(KSINTERFACE_STANDARD_LOOPED_STREAMING));
  Reply m = get(wave_, ks_pin_property(KSPROPERTY_PIN_MEDIUMS, kRenderPin), 64);
  ASSERT_EQ(m.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(m).Size, 8u + sizeof(KSPIN_MEDIUM));
  EXPECT_TRUE(IsEqualGUID(as<KSPIN_MEDIUM>(m, 8).Set, KSMEDIUMSETID_Standard));
}

TEST_F(FilterProperties, PhysicalConnectionNamesTheOtherFiltersLinkAndPinInBothDirections) {
  Reply w = get(wave_, ks_pin_property(KSPROPERTY_PIN_PHYSICALCONNECTION, kBridgePin), 512);
  ASSERT_EQ(w.status, STATUS_SUCCESS);
  auto header = as<KSPIN_PHYSICALCONNECTION>(w);
  EXPECT_EQ(header.Pin, 0u);
  EXPECT_EQ(header.Size, w.bytes);
  std::u16string link(reinterpret_cast<const char16_t*>(w.data.data() + offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName)));
  EXPECT_EQ(link, u"\\\\?\\ROOT#MEDIA#0000#{6994ad04-93ef-11d0-a3cc-00a0c9223196}\\topology");
  Reply t = get(topology_, ks_pin_property(KSPROPERTY_PIN_PHYSICALCONNECTION, 0), 512);
  ASSERT_EQ(t.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSPIN_PHYSICALCONNECTION>(t).Pin, ULONG(kBridgePin));
  EXPECT_EQ(get(wave_, ks_pin_property(KSPROPERTY_PIN_PHYSICALCONNECTION, kRenderPin), 512).status, STATUS_NOT_FOUND);
}

TEST_F(FilterProperties, BadPinIdIsInvalidParameter) {
  EXPECT_EQ(get(wave_, ks_pin_property(KSPROPERTY_PIN_DATAFLOW, kWavePinCount), 4).status, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(get(wave_, ks_pin_property(KSPROPERTY_PIN_DATAFLOW, 0xFFFFFFFF), 4).status, STATUS_INVALID_PARAMETER);
  // Unknown KSP_PIN flag bits too.
  EXPECT_EQ(get(wave_, ks_pin_property(KSPROPERTY_PIN_DATAFLOW, 0, KSPROPERTY_TYPE_GET, 0x80), 4).status,
            STATUS_INVALID_PARAMETER);
  // A KSPROPERTY where a KSP_PIN is needed.
  EXPECT_EQ(get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_DATAFLOW, KSPROPERTY_TYPE_GET), 4).status,
            STATUS_BUFFER_TOO_SMALL);
}

// ---- Size rules, verbs, unknown sets and ids ------------------------------------------------------------

TEST_F(FilterProperties, ZeroLengthGetIsASizeQueryAndShortBufferIsTooSmallBothWithTheSizeNeeded) {
  Reply zero = get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET), 0);
  EXPECT_EQ(zero.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(zero.bytes, 4u);
  Reply shortish = get(wave_, ks_pin_property(KSPROPERTY_PIN_CINSTANCES, kRenderPin), 4);
  EXPECT_EQ(shortish.status, STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(shortish.bytes, sizeof(KSPIN_CINSTANCES));
  EXPECT_EQ(as<ULONG>(shortish), 0xCDCDCDCDu);  // nothing written
}

TEST_F(FilterProperties, UnknownSetIsPropsetNotFoundUnknownIdAndMissingVerbAreNotFound) {
  const GUID unknown = {0x12345678, 0x1234, 0x1234, {1, 2, 3, 4, 5, 6, 7, 8}};
  EXPECT_EQ(get(wave_, ks_property(unknown, 0, KSPROPERTY_TYPE_GET), 4).status, NTSTATUS(0xC0000230));
  EXPECT_EQ(get(wave_, ks_property(KSPROPSETID_Pin, 77, KSPROPERTY_TYPE_GET), 4).status, STATUS_NOT_FOUND);
  // Pin properties are get-only.
  EXPECT_EQ(set(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_SET),
                std::vector<std::byte>(4)).status,
            STATUS_NOT_FOUND);
}

TEST_F(FilterProperties, FlagsWithoutExactlyOneVerbAreInvalidAndShortInputIsInvalidBufferSize) {
  EXPECT_EQ(get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, 0), 4).status, STATUS_INVALID_PARAMETER);
  EXPECT_EQ(get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET), 4)
                .status,
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(get(wave_, ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_RELATIONS), 4).status,
            STATUS_NOT_SUPPORTED);
  auto truncated = ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET);
  truncated.resize(20);
  EXPECT_EQ(get(wave_, truncated, 4).status, STATUS_INVALID_BUFFER_SIZE);
  EXPECT_EQ(get(wave_, {}, 4).status, STATUS_INVALID_BUFFER_SIZE);
}

TEST_F(FilterProperties, BasicSupportAnswersAccessFlagsOrADescription) {
  auto request = ks_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_BASICSUPPORT);
  Reply flags = get(wave_, request, 4);
  ASSERT_EQ(flags.status, STATUS_SUCCESS);
  EXPECT_EQ(as<ULONG>(flags), ULONG(KSPROPERTY_TYPE_GET));
  Reply description = get(wave_, request, sizeof(KSPROPERTY_DESCRIPTION));
  ASSERT_EQ(description.status, STATUS_SUCCESS);
  EXPECT_EQ(description.bytes, sizeof(KSPROPERTY_DESCRIPTION));
  EXPECT_EQ(as<KSPROPERTY_DESCRIPTION>(description).DescriptionSize, sizeof(KSPROPERTY_DESCRIPTION));
  EXPECT_EQ(get(wave_, request, 8).status, STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(get(wave_, request, 0).status, STATUS_BUFFER_TOO_SMALL);
}

TEST_F(FilterProperties, MethodsAndEventsAreNotSupportedAndOtherIoctlsInvalid) {
  auto in = ks_property(KSPROPSETID_Pin, 0, KSPROPERTY_TYPE_GET);
  EXPECT_EQ(ks::device_io_control(wave_, IOCTL_KS_METHOD, in, {}).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(ks::device_io_control(wave_, IOCTL_KS_ENABLE_EVENT, in, {}).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(ks::device_io_control(wave_, IOCTL_KS_DISABLE_EVENT, in, {}).status, STATUS_NOT_SUPPORTED);
  EXPECT_EQ(ks::device_io_control(wave_, 0x12345, in, {}).status, STATUS_INVALID_DEVICE_REQUEST);
}

// ---- KSPROPSETID_Topology ---------------------------------------------------------------------------------

TEST_F(FilterProperties, TopologyListsNodesConnectionsCategoriesAndNames) {
  Reply nodes = get(wave_, ks_property(KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_NODES, KSPROPERTY_TYPE_GET), 64);
  ASSERT_EQ(nodes.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(nodes).Count, 2u);
  EXPECT_TRUE(IsEqualGUID(as<GUID>(nodes, 8), KSNODETYPE_VOLUME));
  EXPECT_TRUE(IsEqualGUID(as<GUID>(nodes, 24), KSNODETYPE_MUTE));  // NodeSize stride 40
  Reply connections =
      get(wave_, ks_property(KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_CONNECTIONS, KSPROPERTY_TYPE_GET), 64);
  ASSERT_EQ(connections.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(connections).Count, 3u);
  auto last = as<KSTOPOLOGY_CONNECTION>(connections, 8 + 2 * sizeof(KSTOPOLOGY_CONNECTION));
  EXPECT_EQ(last.ToNode, ULONG(PCFILTER_NODE));
  EXPECT_EQ(last.ToNodePin, ULONG(kBridgePin));
  Reply categories =
      get(topology_, ks_property(KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_CATEGORIES, KSPROPERTY_TYPE_GET), 64);
  ASSERT_EQ(categories.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSMULTIPLE_ITEM>(categories).Count, 2u);
  EXPECT_TRUE(IsEqualGUID(as<GUID>(categories, 24), KSCATEGORY_TOPOLOGY));
  // NAME takes a KSP_NODE; the node's Name GUID wins over its type.
  Reply name = get(wave_, ks_node_property(KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_NAME, kVolumeNode,
                                           KSPROPERTY_TYPE_GET), 128);
  ASSERT_EQ(name.status, STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(name.data.data())), u"Wave Volume");
  EXPECT_EQ(get(wave_, ks_node_property(KSPROPSETID_Topology, KSPROPERTY_TOPOLOGY_NAME, 9, KSPROPERTY_TYPE_GET), 128)
                .status,
            STATUS_INVALID_PARAMETER);
}

// ---- Routing to the miniport --------------------------------------------------------------------------------

TEST_F(FilterProperties, NodeRequestsReachTheNodesHandlerWithMiniportNullStreamNodeIdAndInstance) {
  LONG channel = 1;
  std::vector<std::byte> instance(sizeof(channel));
  std::memcpy(instance.data(), &channel, sizeof(channel));
  Reply r = get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, kVolumeNode,
                                        KSPROPERTY_TYPE_GET, instance),
                4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(as<LONG>(r), 0x1234);
  ASSERT_EQ(world().seen.size(), 1u);
  const SeenRequest& seen = world().seen[0];
  EXPECT_EQ(seen.major, world().wave_miniport);
  EXPECT_EQ(seen.minor, nullptr);
  EXPECT_EQ(seen.node, ULONG(kVolumeNode));
  EXPECT_EQ(seen.verb, ULONG(KSPROPERTY_TYPE_GET));
  EXPECT_EQ(seen.instance, instance);
  EXPECT_TRUE(seen.device_lock_held);
}

TEST_F(FilterProperties, MiniportSizeQueryPassesThroughWithTheSizeItNames) {
  Reply r = get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, kVolumeNode,
                                        KSPROPERTY_TYPE_GET), 0);
  EXPECT_EQ(r.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(r.bytes, sizeof(LONG));
}

TEST_F(FilterProperties, NodeRequestsForMissingNodesOrNodesWithoutTablesFail) {
  EXPECT_EQ(get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, 7, KSPROPERTY_TYPE_GET), 4)
                .status,
            STATUS_INVALID_DEVICE_REQUEST);
  EXPECT_EQ(get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_MUTE, kMuteNode, KSPROPERTY_TYPE_GET), 4)
                .status,
            STATUS_NOT_FOUND);
  // A set the node's table does not know.
  EXPECT_EQ(get(wave_, ks_node_property(kTestPropSet, 0, kVolumeNode, KSPROPERTY_TYPE_GET), 4).status,
            NTSTATUS(0xC0000230));
  EXPECT_EQ(get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_MUTE, kVolumeNode, KSPROPERTY_TYPE_GET), 4)
                .status,
            STATUS_NOT_FOUND);
  auto short_node = ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, 0, KSPROPERTY_TYPE_GET);
  short_node.resize(sizeof(KSPROPERTY) + 2);
  EXPECT_EQ(get(wave_, short_node, 4).status, STATUS_INVALID_BUFFER_SIZE);
}

TEST_F(FilterProperties, BasicSupportGoesToAHandlerThatAnswersIt) {
  Reply r = get(wave_, ks_node_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL, kVolumeNode,
                                        KSPROPERTY_TYPE_BASICSUPPORT), 4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  ASSERT_EQ(world().seen.size(), 1u);
  EXPECT_EQ(world().seen[0].verb, ULONG(KSPROPERTY_TYPE_BASICSUPPORT));
}

TEST_F(FilterProperties, FilterLevelMiniportPropertiesGetNodeMinusOne) {
  Reply r = get(wave_, ks_property(kTestPropSet, 1, KSPROPERTY_TYPE_GET), 4);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  ASSERT_EQ(world().seen.size(), 1u);
  EXPECT_EQ(world().seen[0].node, ULONG(-1));
  EXPECT_EQ(world().seen[0].minor, nullptr);
  EXPECT_TRUE(world().seen[0].instance.empty());
  // The test set is known to the filter table, id 0 is a pin-table item only.
  EXPECT_EQ(get(wave_, ks_property(kTestPropSet, 0, KSPROPERTY_TYPE_GET), 4).status, STATUS_NOT_FOUND);
}

// ---- Data intersection --------------------------------------------------------------------------------------

std::vector<std::byte> intersection_request(ULONG pin, const KSDATARANGE_AUDIO& range) {
  auto v = ks_pin_property(KSPROPERTY_PIN_DATAINTERSECTION, pin);
  KSMULTIPLE_ITEM header{static_cast<ULONG>(sizeof(KSMULTIPLE_ITEM) + sizeof(range)), 1};
  const auto* h = reinterpret_cast<const std::byte*>(&header);
  const auto* r = reinterpret_cast<const std::byte*>(&range);
  v.insert(v.end(), h, h + sizeof(header));
  v.insert(v.end(), r, r + sizeof(range));
  return v;
}

KSDATARANGE_AUDIO client_range(GUID subformat, ULONG channels, ULONG min_bits, ULONG max_bits, ULONG min_rate,
                               ULONG max_rate) {
  KSDATARANGE_AUDIO r{};
  r.DataRange.FormatSize = sizeof(r);
  r.DataRange.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  r.DataRange.SubFormat = subformat;
  r.DataRange.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  r.MaximumChannels = channels;
  r.MinimumBitsPerSample = min_bits;
  r.MaximumBitsPerSample = max_bits;
  r.MinimumSampleFrequency = min_rate;
  r.MaximumSampleFrequency = max_rate;
  return r;
}

TEST_F(FilterProperties, IntersectionAsksTheMiniportFirstAndFallsBackToTheDefaultOnNotImplemented) {
  auto request = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 8, 8, 32, 8000, 192000));
  Reply size = get(wave_, request, 0);
  EXPECT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(size.bytes, sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE));  // 2ch 24-bit needs EXTENSIBLE
  Reply r = get(wave_, request, size.bytes);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(std::count(world().calls.begin(), world().calls.end(), "DataRangeIntersection"), 2);
  auto f = as<KSDATAFORMAT_WAVEFORMATEXTENSIBLE>(r);
  EXPECT_EQ(f.DataFormat.FormatSize, sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE));
  EXPECT_EQ(f.WaveFormatExt.Format.wFormatTag, WAVE_FORMAT_EXTENSIBLE);
  EXPECT_EQ(f.WaveFormatExt.Format.nChannels, 2);
  EXPECT_EQ(f.WaveFormatExt.Format.wBitsPerSample, 24);
  EXPECT_EQ(f.WaveFormatExt.Format.nSamplesPerSec, 48000u);
  EXPECT_EQ(f.WaveFormatExt.Format.nBlockAlign, 6);
  EXPECT_EQ(f.WaveFormatExt.Format.nAvgBytesPerSec, 288000u);
  EXPECT_EQ(f.WaveFormatExt.dwChannelMask, 0x3u);
  EXPECT_TRUE(IsEqualGUID(f.WaveFormatExt.SubFormat, KSDATAFORMAT_SUBTYPE_PCM));
}

TEST_F(FilterProperties, DefaultIntersectionPicksTheBestFormatBothRangesAllow) {
  auto request = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 1, 16, 16, 8000, 44100));
  Reply r = get(wave_, request, 256);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes, sizeof(KSDATAFORMAT_WAVEFORMATEX));
  auto f = as<KSDATAFORMAT_WAVEFORMATEX>(r);
  EXPECT_EQ(f.WaveFormatEx.wFormatTag, WAVE_FORMAT_PCM);
  EXPECT_EQ(f.WaveFormatEx.nChannels, 1);
  EXPECT_EQ(f.WaveFormatEx.nSamplesPerSec, 44100u);
  EXPECT_EQ(f.WaveFormatEx.wBitsPerSample, 16);
  // Disjoint rates: no match on either PCM or float range.
  auto disjoint = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 8000, 22050));
  EXPECT_EQ(get(wave_, disjoint, 256).status, STATUS_NO_MATCH);
}

TEST_F(FilterProperties, TheMiniportsOwnIntersectionWinsWhenItImplementsOne) {
  world().intersection = IntersectionMode::Fixed;
  auto request = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 8000, 48000));
  Reply size = get(wave_, request, 0);
  EXPECT_EQ(size.status, STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(size.bytes, sizeof(KSDATAFORMAT_WAVEFORMATEX));
  Reply r = get(wave_, request, 200);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSDATAFORMAT_WAVEFORMATEX>(r).WaveFormatEx.nSamplesPerSec, 44100u);
  world().intersection = IntersectionMode::NoMatch;
  EXPECT_EQ(get(wave_, request, 200).status, STATUS_NO_MATCH);
}

TEST_F(FilterProperties, MiniportClaimingMoreBytesThanTheBufferIsCaughtByTheReferee) {
  world().intersection = IntersectionMode::Overrun;
  RecordViolations record;
  auto request = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 8000, 48000));
  EXPECT_EQ(get(wave_, request, 100).status, STATUS_INTERNAL_ERROR);
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
}

TEST_F(FilterProperties, MalformedIntersectionRequestsAreRejected) {
  auto request = intersection_request(kRenderPin, client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 8000, 48000));
  auto lying = request;
  KSMULTIPLE_ITEM header{4000, 1};  // Size beyond the buffer
  std::memcpy(lying.data() + sizeof(KSP_PIN), &header, sizeof(header));
  EXPECT_EQ(get(wave_, lying, 200).status, STATUS_INVALID_PARAMETER);
  auto tiny_range = request;
  ULONG format_size = 8;  // below sizeof(KSDATARANGE)
  std::memcpy(tiny_range.data() + sizeof(KSP_PIN) + sizeof(KSMULTIPLE_ITEM), &format_size, sizeof(format_size));
  EXPECT_EQ(get(wave_, tiny_range, 200).status, STATUS_INVALID_PARAMETER);
  auto truncated = request;
  truncated.resize(sizeof(KSP_PIN) + 4);
  EXPECT_EQ(get(wave_, truncated, 200).status, STATUS_BUFFER_TOO_SMALL);
}

}  // namespace
