// portcls.h interfaces: every method sits in the vtable slot the WDK gives it, with the WDK's
// parameter types, and a caller that knows only slot numbers (a port built elsewhere) reaches the
// right method of a miniport object.
//
// Slot numbers are read from the Itanium C++ ABI representation of a pointer to a virtual member
// function, which the host's compilers use: its first word is 1 + the byte offset of the method's
// vtable entry. That is the layout a foreign caller indexes, so these checks fail on any reordering,
// insertion or removal, which calling methods by name never would.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include <portcls.h>
#include <stdunk.h>

#include "test_driver.h"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"

namespace {

// The vtable slot of a virtual member function, or -1 if it is not virtual.
template <typename Class, typename Method>
std::ptrdiff_t VtableSlot(Method Class::*method) {
  struct ItaniumMemberFunctionPointer {
    std::ptrdiff_t ptr;  // virtual: 1 + vtable offset in bytes; otherwise the function address
    std::ptrdiff_t adj;  // this-adjustment
  } rep;
  static_assert(sizeof(method) == sizeof(rep), "Itanium ABI member function pointers are two words");
  std::memcpy(&rep, &method, sizeof(rep));
  if ((rep.ptr & 1) == 0) return -1;
  return (rep.ptr - 1) / static_cast<std::ptrdiff_t>(sizeof(void*));
}

#define EXPECT_SLOT(Iface, Method, slot) EXPECT_EQ(VtableSlot(&Iface::Method), slot) << #Iface "::" #Method

// Interfaces are pure vtables: one pointer, no data, so a port may hold them as raw pointers.
static_assert(sizeof(IPortWaveRT) == sizeof(void*) && sizeof(IMiniportWaveRT) == sizeof(void*) &&
              sizeof(IMiniportWaveRTStreamNotification) == sizeof(void*) &&
              sizeof(IPortWaveRTStream) == sizeof(void*) && sizeof(IResourceList) == sizeof(void*));

// Inheritance as the WDK declares it: a QueryInterface result may be used as its base.
static_assert(std::is_base_of_v<IPort, IPortWaveRT> && std::is_base_of_v<IPort, IPortTopology>);
static_assert(std::is_base_of_v<IMiniport, IMiniportWaveRT> && std::is_base_of_v<IMiniport, IMiniportTopology>);
static_assert(std::is_base_of_v<IMiniportWaveRTStream, IMiniportWaveRTStreamNotification>);
static_assert(!std::is_base_of_v<IMiniportWaveRTStream, IMiniportWaveRTOutputStream> &&
              !std::is_base_of_v<IMiniportWaveRTStream, IMiniportWaveRTInputStream>,
              "the packet-mode interfaces derive from IUnknown only");

// Exact signatures of the WaveRT contract (waveRT-contract.md §0). A changed parameter type is an
// ABI change a slot check cannot see.
static_assert(std::is_same_v<decltype(&IUnknown::QueryInterface), NTSTATUS (IUnknown::*)(REFIID, PVOID*)>);
static_assert(std::is_same_v<decltype(&IPort::Init),
                             NTSTATUS (IPort::*)(PDEVICE_OBJECT, PIRP, PUNKNOWN, PUNKNOWN, PRESOURCELIST)>);
static_assert(std::is_same_v<decltype(&IMiniport::GetDescription), NTSTATUS (IMiniport::*)(PPCFILTER_DESCRIPTOR*)>);
static_assert(std::is_same_v<decltype(&IMiniport::DataRangeIntersection),
                             NTSTATUS (IMiniport::*)(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID, PULONG)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRT::Init),
                             NTSTATUS (IMiniportWaveRT::*)(PUNKNOWN, PRESOURCELIST, PPORTWAVERT)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRT::NewStream),
                             NTSTATUS (IMiniportWaveRT::*)(PMINIPORTWAVERTSTREAM*, PPORTWAVERTSTREAM, ULONG, BOOLEAN,
                                                           PKSDATAFORMAT)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRT::GetDeviceDescription),
                             NTSTATUS (IMiniportWaveRT::*)(PDEVICE_DESCRIPTION)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::SetState), NTSTATUS (IMiniportWaveRTStream::*)(KSSTATE)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::GetPosition),
                             NTSTATUS (IMiniportWaveRTStream::*)(PKSAUDIO_POSITION)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::AllocateAudioBuffer),
                             NTSTATUS (IMiniportWaveRTStream::*)(ULONG, PMDL*, ULONG*, ULONG*, MEMORY_CACHING_TYPE*)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::FreeAudioBuffer), void (IMiniportWaveRTStream::*)(PMDL, ULONG)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::GetHWLatency),
                             void (IMiniportWaveRTStream::*)(KSRTAUDIO_HWLATENCY*)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStream::GetPositionRegister),
                             NTSTATUS (IMiniportWaveRTStream::*)(KSRTAUDIO_HWREGISTER*)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStreamNotification::AllocateBufferWithNotification),
                             NTSTATUS (IMiniportWaveRTStreamNotification::*)(ULONG, ULONG, PMDL*, ULONG*, ULONG*,
                                                                             MEMORY_CACHING_TYPE*)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTStreamNotification::RegisterNotificationEvent),
                             NTSTATUS (IMiniportWaveRTStreamNotification::*)(PKEVENT)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTInputStream::GetReadPacket),
                             NTSTATUS (IMiniportWaveRTInputStream::*)(ULONG*, DWORD*, ULONG64*, BOOL*)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTOutputStream::SetWritePacket),
                             NTSTATUS (IMiniportWaveRTOutputStream::*)(ULONG, DWORD, ULONG)>);
static_assert(std::is_same_v<decltype(&IMiniportWaveRTOutputStream::GetOutputStreamPresentationPosition),
                             NTSTATUS (IMiniportWaveRTOutputStream::*)(KSAUDIO_PRESENTATION_POSITION*)>);
static_assert(std::is_same_v<decltype(&IPortWaveRTStream::AllocatePagesForMdl),
                             PMDL (IPortWaveRTStream::*)(PHYSICAL_ADDRESS, SIZE_T)>);
static_assert(std::is_same_v<decltype(&IPortWaveRTStream::GetPhysicalPageAddress),
                             PHYSICAL_ADDRESS (IPortWaveRTStream::*)(PMDL, ULONG)>,
              "keeps the WDK's by-value return (see the comment in portcls.h)");
static_assert(std::is_same_v<decltype(&IAdapterPowerManagement::PowerChangeState),
                             void (IAdapterPowerManagement::*)(POWER_STATE)>);
static_assert(std::is_same_v<PCPFNSTARTDEVICE, NTSTATUS (*)(PDEVICE_OBJECT, PIRP, PRESOURCELIST)>);
static_assert(std::is_same_v<decltype(&PcInitializeAdapterDriver),
                             NTSTATUS (*)(PDRIVER_OBJECT, PUNICODE_STRING, PDRIVER_ADD_DEVICE)>);
static_assert(std::is_same_v<decltype(&PcAddAdapterDevice),
                             NTSTATUS (*)(PDRIVER_OBJECT, PDEVICE_OBJECT, PCPFNSTARTDEVICE, ULONG, ULONG)>);
static_assert(std::is_same_v<decltype(&PcNewPort), NTSTATUS (*)(PPORT*, REFCLSID)>);
static_assert(std::is_same_v<decltype(&PcRegisterSubdevice), NTSTATUS (*)(PDEVICE_OBJECT, PWSTR, PUNKNOWN)>);
static_assert(std::is_same_v<decltype(&PcRegisterPhysicalConnection),
                             NTSTATUS (*)(PDEVICE_OBJECT, PUNKNOWN, ULONG, PUNKNOWN, ULONG)>);
static_assert(std::is_same_v<decltype(&PcRegisterAdapterPowerManagement), NTSTATUS (*)(PUNKNOWN, PVOID)>);
static_assert(std::is_same_v<decltype(&PcGetTimeInterval), ULONGLONG (*)(ULONGLONG)>);

TEST(PortClsVtable, IUnknownComesFirstWithNtstatusQueryInterface) {
  EXPECT_SLOT(IUnknown, QueryInterface, 0);
  EXPECT_SLOT(IUnknown, AddRef, 1);
  EXPECT_SLOT(IUnknown, Release, 2);
  // Every interface redeclares the three at the top, in place.
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, QueryInterface, 0);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, Release, 2);
  EXPECT_SLOT(IPortWaveRTStream, AddRef, 1);
  EXPECT_SLOT(IMiniportWaveRTOutputStream, Release, 2);
}

TEST(PortClsVtable, PortInterfacesFollowIPort) {
  EXPECT_SLOT(IPort, Init, 3);
  EXPECT_SLOT(IPort, GetDeviceProperty, 4);
  EXPECT_SLOT(IPort, NewRegistryKey, 5);
  EXPECT_SLOT(IPortWaveRT, Init, 3);
  EXPECT_SLOT(IPortWaveRT, GetDeviceProperty, 4);
  EXPECT_SLOT(IPortWaveRT, NewRegistryKey, 5);
  EXPECT_SLOT(IPortTopology, Init, 3);
  EXPECT_SLOT(IPortTopology, NewRegistryKey, 5);
}

TEST(PortClsVtable, MiniportInterfacesFollowIMiniport) {
  EXPECT_SLOT(IMiniport, GetDescription, 3);
  EXPECT_SLOT(IMiniport, DataRangeIntersection, 4);
  EXPECT_SLOT(IMiniportWaveRT, GetDescription, 3);
  EXPECT_SLOT(IMiniportWaveRT, DataRangeIntersection, 4);
  EXPECT_SLOT(IMiniportWaveRT, Init, 5);
  EXPECT_SLOT(IMiniportWaveRT, NewStream, 6);
  EXPECT_SLOT(IMiniportWaveRT, GetDeviceDescription, 7);
  EXPECT_SLOT(IMiniportTopology, DataRangeIntersection, 4);
  EXPECT_SLOT(IMiniportTopology, Init, 5);
}

TEST(PortClsVtable, WaveRTStreamSlotsMatchTheContract) {
  EXPECT_SLOT(IMiniportWaveRTStream, SetFormat, 3);
  EXPECT_SLOT(IMiniportWaveRTStream, SetState, 4);
  EXPECT_SLOT(IMiniportWaveRTStream, GetPosition, 5);
  EXPECT_SLOT(IMiniportWaveRTStream, AllocateAudioBuffer, 6);
  EXPECT_SLOT(IMiniportWaveRTStream, FreeAudioBuffer, 7);
  EXPECT_SLOT(IMiniportWaveRTStream, GetHWLatency, 8);
  EXPECT_SLOT(IMiniportWaveRTStream, GetPositionRegister, 9);
  EXPECT_SLOT(IMiniportWaveRTStream, GetClockRegister, 10);

  // The notification interface repeats the eleven stream slots and appends four.
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, SetFormat, 3);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, GetPosition, 5);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, GetClockRegister, 10);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, AllocateBufferWithNotification, 11);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, FreeBufferWithNotification, 12);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, RegisterNotificationEvent, 13);
  EXPECT_SLOT(IMiniportWaveRTStreamNotification, UnregisterNotificationEvent, 14);

  EXPECT_SLOT(IMiniportWaveRTInputStream, GetReadPacket, 3);
  EXPECT_SLOT(IMiniportWaveRTOutputStream, SetWritePacket, 3);
  EXPECT_SLOT(IMiniportWaveRTOutputStream, GetOutputStreamPresentationPosition, 4);
  EXPECT_SLOT(IMiniportWaveRTOutputStream, GetPacketCount, 5);
}

TEST(PortClsVtable, PortWaveRTStreamHelperSlots) {
  EXPECT_SLOT(IPortWaveRTStream, AllocatePagesForMdl, 3);
  EXPECT_SLOT(IPortWaveRTStream, AllocateContiguousPagesForMdl, 4);
  EXPECT_SLOT(IPortWaveRTStream, MapAllocatedPages, 5);
  EXPECT_SLOT(IPortWaveRTStream, UnmapAllocatedPages, 6);
  EXPECT_SLOT(IPortWaveRTStream, FreePagesFromMdl, 7);
  EXPECT_SLOT(IPortWaveRTStream, GetPhysicalPagesCount, 8);
  EXPECT_SLOT(IPortWaveRTStream, GetPhysicalPageAddress, 9);
}

TEST(PortClsVtable, HelperInterfaceSlots) {
  EXPECT_SLOT(IResourceList, NumberOfEntries, 3);
  EXPECT_SLOT(IResourceList, NumberOfEntriesOfType, 4);
  EXPECT_SLOT(IResourceList, FindTranslatedEntry, 5);
  EXPECT_SLOT(IResourceList, FindUntranslatedEntry, 6);
  EXPECT_SLOT(IResourceList, AddEntry, 7);
  EXPECT_SLOT(IResourceList, AddEntryFromParent, 8);
  EXPECT_SLOT(IResourceList, TranslatedList, 9);
  EXPECT_SLOT(IResourceList, UntranslatedList, 10);

  EXPECT_SLOT(IAdapterPowerManagement, PowerChangeState, 3);
  EXPECT_SLOT(IAdapterPowerManagement, QueryPowerChangeState, 4);
  EXPECT_SLOT(IAdapterPowerManagement, QueryDeviceCapabilities, 5);
  EXPECT_SLOT(IPowerNotify, PowerChangeNotify, 3);
  EXPECT_SLOT(IPinCount, PinCount, 3);
  EXPECT_SLOT(IPortEvents, AddEventToEventList, 3);
  EXPECT_SLOT(IPortEvents, GenerateEventList, 4);
  EXPECT_SLOT(IPortClsVersion, GetVersion, 3);
  EXPECT_SLOT(IUnregisterSubdevice, UnregisterSubdevice, 3);
  EXPECT_SLOT(IUnregisterPhysicalConnection, UnregisterPhysicalConnection, 3);
  EXPECT_SLOT(IUnregisterPhysicalConnection, UnregisterPhysicalConnectionToExternal, 4);
  EXPECT_SLOT(IUnregisterPhysicalConnection, UnregisterPhysicalConnectionFromExternal, 5);
}

// Calls slot `slot` of `iface`'s vtable the way code that knows only the slot number does: load
// the function pointer and pass the interface pointer as `this`.
template <typename Result, typename... Args>
#if defined(__clang__)
__attribute__((no_sanitize("function")))  // deliberately calls a member function through a plain pointer
#endif
Result CallSlot(void* iface, std::size_t slot, Args... args) {
  using Function = Result (*)(void*, Args...);
  void** vtable = *static_cast<void***>(iface);
  return reinterpret_cast<Function>(vtable[slot])(iface, args...);
}

constexpr ULONG kStreamTag = 0x74537450;  // 'PtSt' in memory

TEST(PortClsVtable, SlotNumbersReachTheMiniportStreamsMethods) {
  wavert::host::KernelSession session;
  PMINIPORTWAVERTSTREAM stream = nullptr;
  ASSERT_EQ(portcls_test::CreateTestStream(&stream, NonPagedPoolNx, kStreamTag), STATUS_SUCCESS);
  PMINIPORTWAVERTSTREAMNOTIFICATION notification = nullptr;
  ASSERT_EQ(stream->QueryInterface(IID_IMiniportWaveRTStreamNotification, reinterpret_cast<PVOID*>(&notification)),
            STATUS_SUCCESS);
  PMINIPORTWAVERTOUTPUTSTREAM output = nullptr;
  ASSERT_EQ(stream->QueryInterface(IID_IMiniportWaveRTOutputStream, reinterpret_cast<PVOID*>(&output)),
            STATUS_SUCCESS);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kNoCall);

  KSDATAFORMAT format{};
  KSAUDIO_POSITION position{};
  KSRTAUDIO_HWLATENCY latency{};
  KSRTAUDIO_HWREGISTER reg{};
  PMDL mdl = nullptr;
  ULONG actual = 0, offset = 0;
  MEMORY_CACHING_TYPE cache = MmNonCached;
  KEVENT event{};
  KSAUDIO_PRESENTATION_POSITION presentation{};
  ULONG packets = 0;

  // Through the stream's IMiniportWaveRTStream face, and through the notification face, which must
  // reach the same methods at the same slots.
  for (void* face : {static_cast<void*>(stream), static_cast<void*>(notification)}) {
    CallSlot<NTSTATUS>(face, 3, &format);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kSetFormat);
    CallSlot<NTSTATUS>(face, 4, KSSTATE_ACQUIRE);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kSetState);
    CallSlot<NTSTATUS>(face, 5, &position);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetPosition);
    CallSlot<NTSTATUS>(face, 6, ULONG{4096}, &mdl, &actual, &offset, &cache);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kAllocateAudioBuffer);
    CallSlot<void>(face, 7, PMDL{nullptr}, ULONG{0});
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kFreeAudioBuffer);
    CallSlot<void>(face, 8, &latency);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetHWLatency);
    CallSlot<NTSTATUS>(face, 9, &reg);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetPositionRegister);
    CallSlot<NTSTATUS>(face, 10, &reg);
    EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetClockRegister);
  }
  CallSlot<NTSTATUS>(notification, 11, ULONG{2}, ULONG{4096}, &mdl, &actual, &offset, &cache);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kAllocateBufferWithNotification);
  CallSlot<void>(notification, 12, PMDL{nullptr}, ULONG{0});
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kFreeBufferWithNotification);
  CallSlot<NTSTATUS>(notification, 13, &event);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kRegisterNotificationEvent);
  CallSlot<NTSTATUS>(notification, 14, &event);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kUnregisterNotificationEvent);

  CallSlot<NTSTATUS>(output, 3, ULONG{1}, DWORD{0}, ULONG{0});
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kSetWritePacket);
  CallSlot<NTSTATUS>(output, 4, &presentation);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetOutputStreamPresentationPosition);
  CallSlot<NTSTATUS>(output, 5, &packets);
  EXPECT_EQ(portcls_test::LastStreamCall(stream), portcls_test::kGetPacketCount);

  // IUnknown slots of every face count on the one object: 3 references now, 0 after 3 Releases.
  const ULONG destroyed_before = portcls_test::DestroyedStreamCount();
  EXPECT_EQ(CallSlot<ULONG>(output, 1), 4u);   // AddRef
  EXPECT_EQ(CallSlot<ULONG>(output, 2), 3u);   // Release
  EXPECT_EQ(CallSlot<ULONG>(output, 2), 2u);
  EXPECT_EQ(CallSlot<ULONG>(notification, 2), 1u);
  EXPECT_EQ(wavert::host::pool_tag_usage(kStreamTag).outstanding_count, 1u);
  EXPECT_EQ(CallSlot<ULONG>(stream, 2), 0u);
  EXPECT_EQ(portcls_test::DestroyedStreamCount(), destroyed_before + 1);
  EXPECT_EQ(wavert::host::pool_tag_usage(kStreamTag).outstanding_count, 0u);
}

}  // namespace
