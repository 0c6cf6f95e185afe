// portcls.h identifiers and descriptor layouts: every IID/CLSID equals its published string form,
// descriptor structures have the Windows x64 layout, and tables written WDK-style (positional
// initializers, DEFINE_PCAUTOMATION_TABLE_*) put each value in the field the port reads.
#include <gtest/gtest.h>

#include <cstddef>

#include <portcls.h>

#include "test_driver.h"

namespace {

constexpr bool SameGuid(const GUID& a, const GUID& b) {
  if (a.Data1 != b.Data1 || a.Data2 != b.Data2 || a.Data3 != b.Data3) return false;
  for (int i = 0; i < 8; ++i) {
    if (a.Data4[i] != b.Data4[i]) return false;
  }
  return true;
}

using wavert::ks::GuidFromString;

// The registry forms as published (docs/abi-portcls.md names the source of each). The numbers in
// portcls.h were typed separately, so a transcription slip in either fails here at compile time.
static_assert(SameGuid(IID_IMiniport, GuidFromString("B4C90A24-5791-11D0-86F9-00A0C911B544")));
static_assert(SameGuid(IID_IPort, GuidFromString("B4C90A25-5791-11D0-86F9-00A0C911B544")));
static_assert(SameGuid(IID_IPortTopology, GuidFromString("B4C90A30-5791-11D0-86F9-00A0C911B544")));
static_assert(SameGuid(IID_IMiniportTopology, GuidFromString("B4C90A31-5791-11D0-86F9-00A0C911B544")));
static_assert(SameGuid(CLSID_PortTopology, GuidFromString("B4C90A32-5791-11D0-86F9-00A0C911B544")));
static_assert(SameGuid(IID_IResourceList, GuidFromString("22C6AC60-851B-11D0-9A7F-00AA0038ACFE")));
static_assert(SameGuid(IID_IRegistryKey, GuidFromString("E8DA4302-F304-11D0-958B-00C04FB925D3")));
static_assert(SameGuid(IID_IAdapterPowerManagement, GuidFromString("793417D0-35FE-11D1-AD08-00A0C90AB1B0")));
static_assert(SameGuid(IID_IPowerNotify, GuidFromString("3DD648B8-969F-11D1-95A9-00C04FB925D3")));
static_assert(SameGuid(IID_IPortEvents, GuidFromString("A80F29C4-5498-11D2-95D9-00C04FB925D3")));
static_assert(SameGuid(IID_IPortClsVersion, GuidFromString("7D89A7BB-869B-4567-8DBE-1E168CC853DE")));
static_assert(SameGuid(IID_IPinCount, GuidFromString("5DADB7DC-A2CB-4540-A4A8-425EE4AE9051")));
static_assert(SameGuid(IID_IUnregisterSubdevice, GuidFromString("16738177-E199-41F9-9A87-ABB2A5432F21")));
static_assert(SameGuid(IID_IUnregisterPhysicalConnection, GuidFromString("6C38E231-2A0D-428D-81F8-07CC428BB9A4")));
static_assert(SameGuid(CLSID_PortWaveRT, GuidFromString("CC9BE57A-EB9E-42B4-94FC-0CAD3DBCE7FA")));
static_assert(SameGuid(IID_IPortWaveRT, GuidFromString("339FF909-68A9-4310-B09B-274E96EE4CBD")));
static_assert(SameGuid(IID_IPortWaveRTStream, GuidFromString("1809CE5A-64BC-4E62-BD7D-95BCE43DE393")));
static_assert(SameGuid(IID_IMiniportWaveRT, GuidFromString("0F9FC4D6-6061-4F3C-B1FC-075E35F7960A")));
static_assert(SameGuid(IID_IMiniportWaveRTStream, GuidFromString("000AC9AB-FAAB-4F3D-9455-6FF8306A74A0")));
static_assert(SameGuid(IID_IMiniportWaveRTStreamNotification,
                       GuidFromString("23759128-96F1-423B-AB4D-81635BCF8CA1")));
static_assert(SameGuid(IID_IMiniportWaveRTInputStream, GuidFromString("CD8E756A-5FC7-4624-984B-2AF02925B91F")));
static_assert(SameGuid(IID_IMiniportWaveRTOutputStream, GuidFromString("831FC7BC-6347-44BC-B47B-C0C657B5BF73")));

// Sizes a driver's PinSize / NodeSize / *ItemSize must be multiples of 8 (PCFILTER_DESCRIPTOR,
// PCAUTOMATION_TABLE remarks); the WDK structures are, so sizeof() is always a valid stride.
static_assert(sizeof(PCPIN_DESCRIPTOR) % 8 == 0 && sizeof(PCNODE_DESCRIPTOR) % 8 == 0);
static_assert(sizeof(PCPROPERTY_ITEM) % 8 == 0 && sizeof(PCMETHOD_ITEM) % 8 == 0 && sizeof(PCEVENT_ITEM) % 8 == 0);

// Values the port compares against requests.
static_assert(PCFILTER_NODE == 0xFFFFFFFFu);
static_assert(PCPROPERTY_ITEM_FLAG_GET == 0x1 && PCPROPERTY_ITEM_FLAG_SET == 0x2 &&
              PCPROPERTY_ITEM_FLAG_BASICSUPPORT == 0x200 && PCPROPERTY_ITEM_FLAG_DEFAULTVALUES == 0x10000);
static_assert(PCPROPERTY_ITEM_FLAG_SERIALIZE == (0x2000 | 0x4000 | 0x8000));
static_assert(PCEVENT_ITEM_FLAG_ENABLE == 0x1 && PCEVENT_ITEM_FLAG_ONESHOT == 0x2 &&
              PCEVENT_ITEM_FLAG_BASICSUPPORT == 0x200);
static_assert(PCEVENT_VERB_ADD == 1 && PCEVENT_VERB_REMOVE == 2 && PCEVENT_VERB_SUPPORT == 4);
static_assert(PORT_CLASS_DEVICE_EXTENSION_SIZE == 512);
static_assert(DeviceRegistryKey == 1 && DeviceInterfaceRegistryKey == 4);

// wdm-level values PortCls signatures carry (wavert/portcls/wdm_gaps.h).
static_assert(PowerDeviceD0 == 1 && PowerDeviceD3 == 4 && PowerSystemWorking == 1 && PowerSystemShutdown == 6);
static_assert(DevicePropertyDeviceDescription == 0x1000 && DevicePropertyHardwareID == 0x4001 &&
              DevicePropertyBootConfiguration == 3 && DevicePropertyBusTypeGuid == 0x200C &&
              DevicePropertyAddress == 0x10 && DevicePropertyContainerID == 0x1016);
static_assert(PCIBus == 5 && Width32Bits == 2 && Width64Bits == 3 && MaximumDmaSpeed == 5);
static_assert(CmResourceTypeInterrupt == 2 && CmResourceTypeMemory == 3 && CmResourceTypeDevicePrivate == 129);

TEST(PortClsLayout, DescriptorSizesAreTheWindowsX64Ones) {
  // Repeated at run time so a report names the number; the header static_asserts the offsets.
  EXPECT_EQ(sizeof(KSPIN_DESCRIPTOR), 88u);
  EXPECT_EQ(sizeof(PCPIN_DESCRIPTOR), 112u);
  EXPECT_EQ(offsetof(PCPIN_DESCRIPTOR, KsPinDescriptor), 24u);
  EXPECT_EQ(sizeof(PCNODE_DESCRIPTOR), 32u);
  EXPECT_EQ(sizeof(PCCONNECTION_DESCRIPTOR), 16u);
  EXPECT_EQ(sizeof(PCFILTER_DESCRIPTOR), 80u);
  EXPECT_EQ(sizeof(PCAUTOMATION_TABLE), 56u);
  EXPECT_EQ(sizeof(PCPROPERTY_ITEM), 24u);
  EXPECT_EQ(sizeof(PCMETHOD_ITEM), 24u);
  EXPECT_EQ(sizeof(PCEVENT_ITEM), 24u);
  EXPECT_EQ(sizeof(PCPROPERTY_REQUEST), 72u);
  EXPECT_EQ(sizeof(PCMETHOD_REQUEST), 40u);
  EXPECT_EQ(sizeof(PCEVENT_REQUEST), 56u);
  EXPECT_EQ(sizeof(DEVICE_DESCRIPTION), 64u);
  EXPECT_EQ(sizeof(POWER_STATE), 4u);
}

TEST(PortClsLayout, PositionalFilterTablesLandInTheFieldsThePortReads) {
  const PCFILTER_DESCRIPTOR* filter = portcls_test::WaveFilterDescriptor();
  EXPECT_EQ(filter->Version, 0u);
  EXPECT_EQ(filter->AutomationTable, &portcls_test::g_FilterAutomation);
  EXPECT_EQ(filter->PinSize, sizeof(PCPIN_DESCRIPTOR));
  ASSERT_EQ(filter->PinCount, 2u);
  EXPECT_EQ(filter->NodeSize, sizeof(PCNODE_DESCRIPTOR));
  ASSERT_EQ(filter->NodeCount, 1u);
  ASSERT_EQ(filter->ConnectionCount, 2u);
  ASSERT_EQ(filter->CategoryCount, 3u);
  EXPECT_TRUE(SameGuid(filter->Categories[0], KSCATEGORY_AUDIO));
  EXPECT_TRUE(SameGuid(filter->Categories[1], KSCATEGORY_RENDER));
  EXPECT_TRUE(SameGuid(filter->Categories[2], KSCATEGORY_REALTIME));

  const PCPIN_DESCRIPTOR& sink = filter->Pins[0];
  EXPECT_EQ(sink.MaxGlobalInstanceCount, 4u);
  EXPECT_EQ(sink.MaxFilterInstanceCount, 4u);
  EXPECT_EQ(sink.MinFilterInstanceCount, 0u);
  EXPECT_EQ(sink.AutomationTable, nullptr);
  EXPECT_EQ(sink.KsPinDescriptor.InterfacesCount, 0u);
  EXPECT_EQ(sink.KsPinDescriptor.MediumsCount, 0u);
  ASSERT_EQ(sink.KsPinDescriptor.DataRangesCount, 1u);
  const KSDATARANGE* range = sink.KsPinDescriptor.DataRanges[0];
  EXPECT_EQ(range->FormatSize, sizeof(KSDATARANGE_AUDIO));
  EXPECT_TRUE(SameGuid(range->MajorFormat, KSDATAFORMAT_TYPE_AUDIO));
  EXPECT_TRUE(SameGuid(range->Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX));
  EXPECT_EQ(reinterpret_cast<const KSDATARANGE_AUDIO*>(range)->MaximumSampleFrequency, 48000u);
  EXPECT_EQ(sink.KsPinDescriptor.DataFlow, KSPIN_DATAFLOW_IN);
  EXPECT_EQ(sink.KsPinDescriptor.Communication, KSPIN_COMMUNICATION_SINK);
  EXPECT_EQ(sink.KsPinDescriptor.Category, &KSCATEGORY_AUDIO);
  EXPECT_EQ(sink.KsPinDescriptor.Name, nullptr);
  EXPECT_EQ(sink.KsPinDescriptor.Reserved, 0);  // the trailing `0` initialises the union's first member

  const PCPIN_DESCRIPTOR& bridge = filter->Pins[1];
  EXPECT_EQ(bridge.MaxGlobalInstanceCount, 0u);
  EXPECT_EQ(bridge.KsPinDescriptor.DataFlow, KSPIN_DATAFLOW_OUT);
  EXPECT_EQ(bridge.KsPinDescriptor.Communication, KSPIN_COMMUNICATION_NONE);
  EXPECT_EQ(bridge.KsPinDescriptor.Category, &KSNODETYPE_SPEAKER);

  const PCNODE_DESCRIPTOR& volume = filter->Nodes[0];
  EXPECT_EQ(volume.Flags, 0u);
  EXPECT_EQ(volume.AutomationTable, &portcls_test::g_VolumeAutomation);
  EXPECT_EQ(volume.Type, &KSNODETYPE_VOLUME);
  EXPECT_EQ(volume.Name, nullptr);

  EXPECT_EQ(filter->Connections[0].FromNode, PCFILTER_NODE);
  EXPECT_EQ(filter->Connections[0].FromNodePin, 0u);
  EXPECT_EQ(filter->Connections[0].ToNode, 0u);
  EXPECT_EQ(filter->Connections[0].ToNodePin, 1u);
  EXPECT_EQ(filter->Connections[1].ToNode, PCFILTER_NODE);
  EXPECT_EQ(filter->Connections[1].ToNodePin, 1u);
}

TEST(PortClsLayout, AutomationTableMacrosFillCountsStridesAndPointers) {
  const PCAUTOMATION_TABLE& props = portcls_test::g_VolumeAutomation;
  EXPECT_EQ(props.PropertyItemSize, sizeof(PCPROPERTY_ITEM));
  EXPECT_EQ(props.PropertyCount, 1u);
  EXPECT_EQ(props.Properties, portcls_test::g_VolumeProperties);
  EXPECT_EQ(props.MethodItemSize, 0u);
  EXPECT_EQ(props.MethodCount, 0u);
  EXPECT_EQ(props.Methods, nullptr);
  EXPECT_EQ(props.EventItemSize, 0u);
  EXPECT_EQ(props.EventCount, 0u);
  EXPECT_EQ(props.Events, nullptr);
  EXPECT_EQ(props.Reserved, 0u);

  const PCAUTOMATION_TABLE& both = portcls_test::g_FilterAutomation;
  EXPECT_EQ(both.PropertyCount, 1u);
  EXPECT_EQ(both.MethodCount, 0u);
  EXPECT_EQ(both.EventItemSize, sizeof(PCEVENT_ITEM));
  EXPECT_EQ(both.EventCount, 1u);
  EXPECT_EQ(both.Events, portcls_test::g_FilterEvents);

  const PCPROPERTY_ITEM& item = props.Properties[0];
  EXPECT_EQ(item.Set, &KSPROPSETID_Audio);
  EXPECT_EQ(item.Id, static_cast<ULONG>(KSPROPERTY_AUDIO_VOLUMELEVEL));
  EXPECT_EQ(item.Flags, ULONG{KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT});
  EXPECT_EQ(item.Handler, &portcls_test::VolumePropertyHandler);

  // A property request as the port builds one reaches the handler through the item.
  PCPROPERTY_REQUEST request{};
  request.PropertyItem = &item;
  request.Node = 0;
  request.Verb = KSPROPERTY_TYPE_GET;
  EXPECT_EQ(item.Handler(&request), STATUS_SUCCESS);
  request.Verb = KSPROPERTY_TYPE_SET;
  EXPECT_EQ(item.Handler(&request), STATUS_INVALID_DEVICE_REQUEST);

  PCEVENT_REQUEST event_request{};
  event_request.EventItem = &both.Events[0];
  event_request.Verb = PCEVENT_VERB_SUPPORT;
  EXPECT_EQ(both.Events[0].Handler(&event_request), STATUS_SUCCESS);
  event_request.Verb = PCEVENT_VERB_ADD;
  EXPECT_EQ(both.Events[0].Handler(&event_request), STATUS_NOT_SUPPORTED);
}

// The tables are constant-initialized: no global constructor runs for them (DESIGN.md: driver code
// has no global constructors). constinit refuses to compile otherwise.
constinit const PCPROPERTY_ITEM kConstProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_MUTE, PCPROPERTY_ITEM_FLAG_GET, nullptr},
};
DEFINE_PCAUTOMATION_TABLE_PROP(kConstAutomationBody, kConstProperties);
constinit const PCFILTER_DESCRIPTOR kConstFilter = {0, &kConstAutomationBody, sizeof(PCPIN_DESCRIPTOR), 0, nullptr,
                                                    sizeof(PCNODE_DESCRIPTOR), 0, nullptr, 0, nullptr, 0, nullptr};

TEST(PortClsLayout, TablesAreConstantInitialized) {
  EXPECT_EQ(kConstFilter.AutomationTable->PropertyCount, 1u);
  EXPECT_EQ(kConstFilter.AutomationTable->Properties[0].Id, static_cast<ULONG>(KSPROPERTY_AUDIO_MUTE));
}

}  // namespace
