// Pieces of the port framework on their own: descriptor validation, KS size-rule helpers, the
// route into miniport automation tables (pending completion, referee), resource lists, device
// properties, registration bookkeeping.
#include <gtest/gtest.h>

#include "filter_description.hpp"
#include "format.hpp"
#include "framework_harness.hpp"
#include "property.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"

using namespace harness;
using namespace wavert::host;
using namespace wavert::portcls;
namespace ks = wavert::host::ks;

namespace {

// ---- FilterDescription ----------------------------------------------------------------------------------

KSDATARANGE_AUDIO good_range() {
  KSDATARANGE_AUDIO r{};
  r.DataRange.FormatSize = sizeof(r);
  r.DataRange.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  r.DataRange.SubFormat = KSDATAFORMAT_SUBTYPE_PCM;
  r.DataRange.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  r.MaximumChannels = 2;
  r.MinimumBitsPerSample = r.MaximumBitsPerSample = 16;
  r.MinimumSampleFrequency = r.MaximumSampleFrequency = 48000;
  return r;
}

struct Descriptor {
  KSDATARANGE_AUDIO range = good_range();
  PKSDATARANGE ranges[2] = {&range.DataRange, nullptr};
  PCPIN_DESCRIPTOR pins[1] = {};
  PCNODE_DESCRIPTOR nodes[1] = {{0, nullptr, &KSNODETYPE_VOLUME, nullptr}};
  PCCONNECTION_DESCRIPTOR connections[1] = {{PCFILTER_NODE, 0, 0, 1}};
  PCFILTER_DESCRIPTOR filter{};
  Descriptor() {
    pins[0].MaxGlobalInstanceCount = pins[0].MaxFilterInstanceCount = 1;
    pins[0].KsPinDescriptor.DataRangesCount = 1;
    pins[0].KsPinDescriptor.DataRanges = ranges;
    pins[0].KsPinDescriptor.DataFlow = KSPIN_DATAFLOW_IN;
    pins[0].KsPinDescriptor.Communication = KSPIN_COMMUNICATION_SINK;
    filter.PinSize = sizeof(PCPIN_DESCRIPTOR);
    filter.PinCount = 1;
    filter.Pins = pins;
    filter.NodeSize = sizeof(PCNODE_DESCRIPTOR);
    filter.NodeCount = 1;
    filter.Nodes = nodes;
    filter.ConnectionCount = 1;
    filter.Connections = connections;
  }
};

TEST(FilterDescriptionCheck, AcceptsAWellFormedDescriptor) {
  KernelSession session;
  Descriptor d;
  FilterDescription out;
  ASSERT_EQ(FilterDescription::create(&d.filter, WAVERT_HERE, &out), STATUS_SUCCESS);
  EXPECT_EQ(out.pin_count(), 1u);
  EXPECT_EQ(out.pin(0)->ranges.size(), 1u);
  EXPECT_EQ(out.pin(1), nullptr);
  EXPECT_EQ(out.node_count(), 1u);
}

TEST(FilterDescriptionCheck, EachBrokenRuleIsOnePortDescriptorReportAndInvalidParameter) {
  KernelSession session;
  const std::vector<std::pair<const char*, std::function<void(Descriptor&)>>> cases = {
      {"version", [](Descriptor& d) { d.filter.Version = 1; }},
      {"pin stride not a multiple of 8", [](Descriptor& d) { d.filter.PinSize = sizeof(PCPIN_DESCRIPTOR) + 4; }},
      {"pin stride too small", [](Descriptor& d) { d.filter.PinSize = 64; }},
      {"null pins", [](Descriptor& d) { d.filter.Pins = nullptr; }},
      {"node stride", [](Descriptor& d) { d.filter.NodeSize = 12; }},
      {"node without type", [](Descriptor& d) { d.nodes[0].Type = nullptr; }},
      {"connection to a missing node", [](Descriptor& d) { d.connections[0].ToNode = 5; }},
      {"connection from a missing pin", [](Descriptor& d) { d.connections[0].FromNodePin = 3; }},
      {"null categories", [](Descriptor& d) { d.filter.CategoryCount = 2; }},
      {"tiny data range", [](Descriptor& d) { d.range.DataRange.FormatSize = 16; }},
      {"audio range below KSDATARANGE_AUDIO", [](Descriptor& d) { d.range.DataRange.FormatSize = sizeof(KSDATARANGE); }},
      {"range min above max", [](Descriptor& d) { d.range.MinimumSampleFrequency = 96000; }},
      {"attributes flag without a list", [](Descriptor& d) { d.range.DataRange.Flags = KSDATARANGE_ATTRIBUTES; }},
      {"null range pointer", [](Descriptor& d) { d.ranges[0] = nullptr; }},
      {"min instances above max", [](Descriptor& d) { d.pins[0].MinFilterInstanceCount = 2; }},
      {"min instances indeterminate", [](Descriptor& d) { d.pins[0].MinFilterInstanceCount = ULONG(-1); }},
      {"bad dataflow", [](Descriptor& d) { d.pins[0].KsPinDescriptor.DataFlow = KSPIN_DATAFLOW(7); }},
  };
  for (const auto& [name, breakit] : cases) {
    Descriptor d;
    breakit(d);
    RecordViolations record;
    FilterDescription out;
    EXPECT_EQ(FilterDescription::create(&d.filter, WAVERT_HERE, &out), STATUS_INVALID_PARAMETER) << name;
    EXPECT_EQ(record.count(Rule::PortDescriptor), 1u) << name;
  }
}

TEST(FilterDescriptionCheck, AutomationItemSizesAreChecked) {
  KernelSession session;
  Descriptor d;
  PCPROPERTY_ITEM item{&KSPROPSETID_Audio, 0, PCPROPERTY_ITEM_FLAG_GET, nullptr};
  PCAUTOMATION_TABLE table{20, 1, &item, 0, 0, nullptr, 0, 0, nullptr, 0};
  d.nodes[0].AutomationTable = &table;
  RecordViolations record;
  FilterDescription out;
  EXPECT_EQ(FilterDescription::create(&d.filter, WAVERT_HERE, &out), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::PortDescriptor), 1u);
}

// ---- PropertyRequest size rules ---------------------------------------------------------------------------

TEST(PropertyReply, FollowsTheKsSizeRules) {
  ULONG answer = 42;
  PropertyRequest query;
  EXPECT_EQ(query.reply_value(answer), STATUS_BUFFER_OVERFLOW);
  EXPECT_EQ(query.bytes_returned, 4u);
  std::byte small[2];
  PropertyRequest too_small;
  too_small.value = small;
  EXPECT_EQ(too_small.reply_value(answer), STATUS_BUFFER_TOO_SMALL);
  EXPECT_EQ(too_small.bytes_returned, 4u);
  std::byte room[8] = {};
  PropertyRequest fits;
  fits.value = room;
  EXPECT_EQ(fits.reply_value(answer), STATUS_SUCCESS);
  EXPECT_EQ(fits.bytes_returned, 4u);
  ULONG read;
  std::memcpy(&read, room, 4);
  EXPECT_EQ(read, 42u);
}

// ---- Route into miniport automation tables -------------------------------------------------------------------

PPCPROPERTY_REQUEST g_seen = nullptr;

NTSTATUS CompletesLater(PPCPROPERTY_REQUEST request) {
  g_seen = request;
  *static_cast<ULONG*>(request->Value) = 7;
  request->ValueSize = 4;
  // Completing from inside the handler is allowed; the port must still honour STATUS_PENDING.
  EXPECT_EQ(PcCompletePendingPropertyRequest(request, STATUS_SUCCESS), STATUS_SUCCESS);
  return STATUS_PENDING;
}

NTSTATUS ClaimsTooMuch(PPCPROPERTY_REQUEST request) {
  request->ValueSize = 1000;
  return STATUS_SUCCESS;
}

TEST(AutomationRoute, PendingHandlersAreWaitedForUntilCompleted) {
  KernelSession session;
  const PCPROPERTY_ITEM item{&kTestPropSet, 3, PCPROPERTY_ITEM_FLAG_GET, CompletesLater};
  const PCAUTOMATION_TABLE table{sizeof(item), 1, &item, 0, 0, nullptr, 0, 0, nullptr, 0};
  KernelMutex lock;
  std::byte out[4] = {};
  PropertyRequest r;
  r.set = kTestPropSet;
  r.id = 3;
  r.verb = KSPROPERTY_TYPE_GET;
  r.value = out;
  NTSTATUS status = STATUS_UNSUCCESSFUL;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::Handled);
  EXPECT_EQ(status, STATUS_SUCCESS);
  EXPECT_EQ(r.bytes_returned, 4u);
  // Completing it again is a contract violation.
  RecordViolations record;
  EXPECT_EQ(PcCompletePendingPropertyRequest(g_seen, STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
}

TEST(AutomationRoute, HandlerClaimingMoreThanTheBufferIsReported) {
  KernelSession session;
  const PCPROPERTY_ITEM item{&kTestPropSet, 3, PCPROPERTY_ITEM_FLAG_GET, ClaimsTooMuch};
  const PCAUTOMATION_TABLE table{sizeof(item), 1, &item, 0, 0, nullptr, 0, 0, nullptr, 0};
  KernelMutex lock;
  std::byte out[4] = {};
  PropertyRequest r;
  r.set = kTestPropSet;
  r.id = 3;
  r.verb = KSPROPERTY_TYPE_GET;
  r.value = out;
  RecordViolations record;
  NTSTATUS status = STATUS_SUCCESS;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::Handled);
  EXPECT_EQ(status, STATUS_INTERNAL_ERROR);
  EXPECT_EQ(r.bytes_returned, 0u);
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
}

TEST(AutomationRoute, ItemsWithoutTheVerbAreNotFoundAndUnknownIdsFallThrough) {
  KernelSession session;
  const PCPROPERTY_ITEM item{&kTestPropSet, 3, PCPROPERTY_ITEM_FLAG_GET, ClaimsTooMuch};
  const PCAUTOMATION_TABLE table{sizeof(item), 1, &item, 0, 0, nullptr, 0, 0, nullptr, 0};
  KernelMutex lock;
  std::byte out[4] = {};
  PropertyRequest r;
  r.set = kTestPropSet;
  r.id = 3;
  r.verb = KSPROPERTY_TYPE_SET;
  r.value = out;
  NTSTATUS status = STATUS_SUCCESS;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::Handled);
  EXPECT_EQ(status, STATUS_NOT_FOUND);
  r.id = 4;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::IdNotFound);
  r.set = KSPROPSETID_Pin;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::SetNotFound);
  // BASICSUPPORT on an item that does not answer it: the default from its flags.
  r.set = kTestPropSet;
  r.id = 3;
  r.verb = KSPROPERTY_TYPE_BASICSUPPORT;
  EXPECT_EQ(offer_to_automation_table(&table, r, nullptr, nullptr, PCFILTER_NODE, lock, &status), Offer::Handled);
  EXPECT_EQ(status, STATUS_SUCCESS);
  ULONG flags;
  std::memcpy(&flags, out, 4);
  EXPECT_EQ(flags, ULONG(KSPROPERTY_TYPE_GET));
}

// ---- Formats ----------------------------------------------------------------------------------------------------

TEST(Formats, DefaultChannelMasksAreWindowsSpeakerLayouts) {
  EXPECT_EQ(default_channel_mask(1), 0x4u);
  EXPECT_EQ(default_channel_mask(2), 0x3u);
  EXPECT_EQ(default_channel_mask(6), 0x3Fu);
  EXPECT_EQ(default_channel_mask(8), 0x63Fu);
  EXPECT_EQ(default_channel_mask(3), 0x7u);
}

TEST(Formats, FloatMustBe32Or64Bits) {
  auto bytes = connect_bytes(0, WaveSpec{WAVE_FORMAT_IEEE_FLOAT, 2, 48000, 24});
  std::span<const std::byte> format(bytes.data() + sizeof(KSPIN_CONNECT), bytes.size() - sizeof(KSPIN_CONNECT));
  std::vector<std::byte> aligned(format.begin(), format.end());
  EXPECT_EQ(validate_data_format(aligned), STATUS_INVALID_PARAMETER);
}

// ---- Registration, resources, device properties through a loaded driver -----------------------------------------

class Registrations : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_world();
    ASSERT_EQ(h_.load(), STATUS_SUCCESS);
  }
  LoadedHarness h_;
};

TEST_F(Registrations, SubdeviceNamesAreUniqueCaseInsensitively) {
  EXPECT_EQ(PcRegisterSubdevice(world().fdo, const_cast<PWSTR>(L"WAVE"), world().wave_port),
            STATUS_OBJECT_NAME_COLLISION);
  RecordViolations record;
  EXPECT_EQ(PcRegisterSubdevice(world().fdo, const_cast<PWSTR>(L"Other"), world().wave_miniport),
            STATUS_INVALID_PARAMETER);  // a miniport is not a port
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
}

TEST_F(Registrations, PhysicalConnectionsCanBeUnregisteredAndGoToExternalNames) {
  ks::Handle wave, topology;
  ASSERT_FALSE(open_first(KSCATEGORY_RENDER, &wave).empty());
  ASSERT_FALSE(open_first(KSCATEGORY_TOPOLOGY, &topology).empty());
  EXPECT_EQ(PcRegisterPhysicalConnection(world().fdo, world().wave_port, kBridgePin, world().topology_port, 0),
            STATUS_OBJECT_NAME_COLLISION);
  PUNREGISTERPHYSICALCONNECTION unregister = nullptr;
  ASSERT_EQ(world().wave_port->QueryInterface(IID_IUnregisterPhysicalConnection, reinterpret_cast<PVOID*>(&unregister)),
            STATUS_SUCCESS);
  EXPECT_EQ(unregister->UnregisterPhysicalConnection(world().fdo, world().wave_port, kBridgePin,
                                                     world().topology_port, 0),
            STATUS_SUCCESS);
  EXPECT_EQ(get(wave, ks_pin_property(KSPROPERTY_PIN_PHYSICALCONNECTION, kBridgePin), 512).status, STATUS_NOT_FOUND);

  UNICODE_STRING speaker;
  RtlInitUnicodeString(&speaker, L"\\\\?\\ROOT#JACK#0000#{00000000-0000-0000-0000-000000000000}\\out");
  EXPECT_EQ(PcRegisterPhysicalConnectionToExternal(world().fdo, world().topology_port, 1, &speaker, 3), STATUS_SUCCESS);
  Reply r = get(topology, ks_pin_property(KSPROPERTY_PIN_PHYSICALCONNECTION, 1), 512);
  ASSERT_EQ(r.status, STATUS_SUCCESS);
  EXPECT_EQ(as<KSPIN_PHYSICALCONNECTION>(r).Pin, 3u);
  EXPECT_EQ(std::u16string(reinterpret_cast<const char16_t*>(r.data.data() + 8)),
            u"\\\\?\\ROOT#JACK#0000#{00000000-0000-0000-0000-000000000000}\\out");
  EXPECT_EQ(unregister->UnregisterPhysicalConnectionToExternal(world().fdo, world().topology_port, 1, &speaker, 3),
            STATUS_SUCCESS);
  EXPECT_EQ(unregister->UnregisterPhysicalConnectionToExternal(world().fdo, world().topology_port, 1, &speaker, 3),
            STATUS_NOT_FOUND);
  unregister->Release();
  // A pin the port does not have.
  RecordViolations record;
  EXPECT_EQ(PcRegisterPhysicalConnection(world().fdo, world().wave_port, 9, world().topology_port, 0),
            STATUS_INVALID_PARAMETER);
  EXPECT_EQ(record.count(Rule::PortContract), 1u);
  EXPECT_EQ(ks::close(wave), STATUS_SUCCESS);
  EXPECT_EQ(ks::close(topology), STATUS_SUCCESS);
}

TEST_F(Registrations, PortGetDevicePropertyAnswersWithSizeRules) {
  PPORT port = nullptr;
  ASSERT_EQ(world().wave_port->QueryInterface(IID_IPort, reinterpret_cast<PVOID*>(&port)), STATUS_SUCCESS);
  ULONG needed = 0;
  EXPECT_EQ(port->GetDeviceProperty(DevicePropertyDriverKeyName, 0, nullptr, &needed), STATUS_BUFFER_TOO_SMALL);
  std::u16string expected = u"{4d36e96c-e325-11ce-bfc1-08002be10318}\\0000";
  EXPECT_EQ(needed, (expected.size() + 1) * 2);
  std::vector<char16_t> text(needed / 2);
  ASSERT_EQ(port->GetDeviceProperty(DevicePropertyDriverKeyName, needed, text.data(), &needed), STATUS_SUCCESS);
  EXPECT_EQ(std::u16string(text.data()), expected);
  EXPECT_EQ(port->GetDeviceProperty(DevicePropertyAddress, 64, text.data(), &needed), STATUS_INVALID_PARAMETER_2);
  PREGISTRYKEY key = nullptr;
  EXPECT_EQ(port->NewRegistryKey(&key, nullptr, DeviceRegistryKey, KEY_READ, nullptr, 0, nullptr),
            STATUS_NOT_IMPLEMENTED);
  port->Release();
}

TEST_F(Registrations, ResourceSublistsCopyEntriesFromTheirParentUpToTheirLimit) {
  // A parent with two memory ranges, built the way PnP hands them over.
  PRESOURCELIST empty = nullptr;
  ASSERT_EQ(PcNewResourceList(&empty, nullptr, NonPagedPoolNx, nullptr, nullptr), STATUS_SUCCESS);
  EXPECT_EQ(empty->NumberOfEntries(), 0u);
  EXPECT_EQ(empty->FindTranslatedMemory(0), nullptr);
  PRESOURCELIST sub = nullptr;
  ASSERT_EQ(PcNewResourceSublist(&sub, nullptr, NonPagedPoolNx, empty, 1), STATUS_SUCCESS);
  std::array<std::byte, 20> memory{};
  memory[0] = std::byte{CmResourceTypeMemory};
  auto* entry = reinterpret_cast<struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*>(memory.data());
  EXPECT_EQ(sub->AddEntry(entry, entry), STATUS_SUCCESS);
  EXPECT_EQ(sub->AddEntry(entry, entry), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(sub->NumberOfMemories(), 1u);
  EXPECT_EQ(sub->NumberOfInterrupts(), 0u);
  EXPECT_NE(sub->FindUntranslatedMemory(0), nullptr);
  EXPECT_EQ(sub->AddEntryFromParent(empty, CmResourceTypeMemory, 0), STATUS_INVALID_PARAMETER);
  sub->Release();
  empty->Release();
}

}  // namespace
