// portcls.h for the wavert host: the port class (PortCls) API that audio miniport drivers compile
// against, declared exactly as the WDK declares it, and implemented in user space by host/portcls.
//
// What a driver sees here is the WDK's contract, not the host's implementation:
//   * COM interfaces between port and miniport, in the WDK's vtable slot order (every method is
//     pinned by tests/portcls/vtable_test.cpp). IUnknown's QueryInterface returns NTSTATUS.
//   * The descriptor structures a miniport hands to the port (PCFILTER_DESCRIPTOR and what it points
//     to), with the Windows x64 layout, because drivers fill them with positional initializers.
//   * The Pc* functions an adapter driver calls (PcInitializeAdapterDriver, PcNewPort, ...).
//   * Pool-aware operator new (wavert/portcls/pool_new.h).
//
// Sources of every value and layout, and what could not be verified: docs/abi-portcls.md.
// waveRT-contract.md (the port <-> miniport contract) explains what the port does with each call.
//
// Types owned by other WDK headers that are not in the host's yet: wdm-level ones are declared in
// wavert/portcls/wdm_gaps.h, ks-level ones in wavert/portcls/ks_gaps.h; types only passed by
// pointer (DEVICE_CAPABILITIES, CM_RESOURCE_LIST, KSEVENT_ENTRY) are named through their WDK
// structure tags (struct _DEVICE_CAPABILITIES*), which are the very types the P-typedefs will name
// once their owners define them.
#pragma once

#include <wdm.h>
#include <ks.h>
#include <ksmedia.h>
#include <punknown.h>

#include "wavert/portcls/wdm_gaps.h"
#include "wavert/portcls/ks_gaps.h"
#include "wavert/portcls/pool_new.h"

// The port library's exports. On Windows this is __declspec(dllimport) from portcls.sys; on the
// host the same functions are ordinary extern "C" functions of the host's PortCls library.
#ifndef PORTCLASSAPI
#define PORTCLASSAPI EXTERN_C
#endif

// Pointer-only types from wdm.h and ks.h that the host headers do not define yet, named by their
// WDK structure tags; see the header comment.
struct _DEVICE_CAPABILITIES;
struct _CM_RESOURCE_LIST;
struct _CM_PARTIAL_RESOURCE_DESCRIPTOR;
struct _KSEVENT_ENTRY;

#define _100NS_UNITS_PER_SECOND 10000000L

// The default device-extension size PcAddAdapterDevice allocates; a DeviceExtensionSize between 1
// and this is illegal. The adapter owns everything past it and, inside it, ULONG_PTR elements 4..7
// (bytes 32..63 on 64-bit): PortCls must not keep state there (PcAddAdapterDevice remarks).
#define PORT_CLASS_DEVICE_EXTENSION_SIZE (64 * sizeof(ULONG_PTR))

// ==== Interface and class identifiers ============================================================
// Each value is checked in tests against its string form as published (docs/abi-portcls.md).

DEFINE_GUID(IID_IMiniport, 0xB4C90A24, 0x5791, 0x11D0, 0x86, 0xF9, 0x00, 0xA0, 0xC9, 0x11, 0xB5, 0x44);
DEFINE_GUID(IID_IPort, 0xB4C90A25, 0x5791, 0x11D0, 0x86, 0xF9, 0x00, 0xA0, 0xC9, 0x11, 0xB5, 0x44);
DEFINE_GUID(IID_IPortTopology, 0xB4C90A30, 0x5791, 0x11D0, 0x86, 0xF9, 0x00, 0xA0, 0xC9, 0x11, 0xB5, 0x44);
DEFINE_GUID(IID_IMiniportTopology, 0xB4C90A31, 0x5791, 0x11D0, 0x86, 0xF9, 0x00, 0xA0, 0xC9, 0x11, 0xB5, 0x44);
DEFINE_GUID(CLSID_PortTopology, 0xB4C90A32, 0x5791, 0x11D0, 0x86, 0xF9, 0x00, 0xA0, 0xC9, 0x11, 0xB5, 0x44);

DEFINE_GUID(IID_IResourceList, 0x22C6AC60, 0x851B, 0x11D0, 0x9A, 0x7F, 0x00, 0xAA, 0x00, 0x38, 0xAC, 0xFE);
DEFINE_GUID(IID_IRegistryKey, 0xE8DA4302, 0xF304, 0x11D0, 0x95, 0x8B, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3);

DEFINE_GUID(IID_IAdapterPowerManagement, 0x793417D0, 0x35FE, 0x11D1, 0xAD, 0x08, 0x00, 0xA0, 0xC9, 0x0A, 0xB1, 0xB0);
DEFINE_GUID(IID_IPowerNotify, 0x3DD648B8, 0x969F, 0x11D1, 0x95, 0xA9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3);
DEFINE_GUID(IID_IPortEvents, 0xA80F29C4, 0x5498, 0x11D2, 0x95, 0xD9, 0x00, 0xC0, 0x4F, 0xB9, 0x25, 0xD3);
DEFINE_GUID(IID_IPortClsVersion, 0x7D89A7BB, 0x869B, 0x4567, 0x8D, 0xBE, 0x1E, 0x16, 0x8C, 0xC8, 0x53, 0xDE);
DEFINE_GUID(IID_IPinCount, 0x5DADB7DC, 0xA2CB, 0x4540, 0xA4, 0xA8, 0x42, 0x5E, 0xE4, 0xAE, 0x90, 0x51);
DEFINE_GUID(IID_IUnregisterSubdevice, 0x16738177, 0xE199, 0x41F9, 0x9A, 0x87, 0xAB, 0xB2, 0xA5, 0x43, 0x2F, 0x21);
DEFINE_GUID(IID_IUnregisterPhysicalConnection, 0x6C38E231, 0x2A0D, 0x428D, 0x81, 0xF8, 0x07, 0xCC, 0x42, 0x8B, 0xB9,
            0xA4);

DEFINE_GUID(CLSID_PortWaveRT, 0xCC9BE57A, 0xEB9E, 0x42B4, 0x94, 0xFC, 0x0C, 0xAD, 0x3D, 0xBC, 0xE7, 0xFA);
DEFINE_GUID(IID_IPortWaveRT, 0x339FF909, 0x68A9, 0x4310, 0xB0, 0x9B, 0x27, 0x4E, 0x96, 0xEE, 0x4C, 0xBD);
DEFINE_GUID(IID_IPortWaveRTStream, 0x1809CE5A, 0x64BC, 0x4E62, 0xBD, 0x7D, 0x95, 0xBC, 0xE4, 0x3D, 0xE3, 0x93);
DEFINE_GUID(IID_IMiniportWaveRT, 0x0F9FC4D6, 0x6061, 0x4F3C, 0xB1, 0xFC, 0x07, 0x5E, 0x35, 0xF7, 0x96, 0x0A);
DEFINE_GUID(IID_IMiniportWaveRTStream, 0x000AC9AB, 0xFAAB, 0x4F3D, 0x94, 0x55, 0x6F, 0xF8, 0x30, 0x6A, 0x74, 0xA0);
DEFINE_GUID(IID_IMiniportWaveRTStreamNotification, 0x23759128, 0x96F1, 0x423B, 0xAB, 0x4D, 0x81, 0x63, 0x5B, 0xCF,
            0x8C, 0xA1);
// Windows 10 (NTDDI_THRESHOLD) packet-mode interfaces.
DEFINE_GUID(IID_IMiniportWaveRTInputStream, 0xCD8E756A, 0x5FC7, 0x4624, 0x98, 0x4B, 0x2A, 0xF0, 0x29, 0x25, 0xB9,
            0x1F);
DEFINE_GUID(IID_IMiniportWaveRTOutputStream, 0x831FC7BC, 0x6347, 0x44BC, 0xB4, 0x7B, 0xC0, 0xC6, 0x57, 0xB5, 0xBF,
            0x73);

// ==== Automation tables: properties, methods, events =============================================

typedef struct _PCPROPERTY_REQUEST PCPROPERTY_REQUEST, *PPCPROPERTY_REQUEST;
typedef struct _PCMETHOD_REQUEST PCMETHOD_REQUEST, *PPCMETHOD_REQUEST;
typedef struct _PCEVENT_REQUEST PCEVENT_REQUEST, *PPCEVENT_REQUEST;

// A handler may return STATUS_PENDING and complete later with PcCompletePendingPropertyRequest;
// for any other status the port frees the request when the handler returns (PCPROPERTY_ITEM).
typedef NTSTATUS (*PCPFNPROPERTY_HANDLER)(PPCPROPERTY_REQUEST PropertyRequest);
typedef NTSTATUS (*PCPFNMETHOD_HANDLER)(PPCMETHOD_REQUEST MethodRequest);
typedef NTSTATUS (*PCPFNEVENT_HANDLER)(PPCEVENT_REQUEST EventRequest);

// PCPROPERTY_ITEM.Flags: which request types the handler answers. They are the KSPROPERTY_TYPE_*
// bits, so the port can test a request's verb against them directly.
#define PCPROPERTY_ITEM_FLAG_GET KSPROPERTY_TYPE_GET
#define PCPROPERTY_ITEM_FLAG_SET KSPROPERTY_TYPE_SET
#define PCPROPERTY_ITEM_FLAG_BASICSUPPORT KSPROPERTY_TYPE_BASICSUPPORT
#define PCPROPERTY_ITEM_FLAG_SERIALIZERAW KSPROPERTY_TYPE_SERIALIZERAW
#define PCPROPERTY_ITEM_FLAG_UNSERIALIZERAW KSPROPERTY_TYPE_UNSERIALIZERAW
#define PCPROPERTY_ITEM_FLAG_SERIALIZESIZE KSPROPERTY_TYPE_SERIALIZESIZE
#define PCPROPERTY_ITEM_FLAG_SERIALIZE \
  (PCPROPERTY_ITEM_FLAG_SERIALIZERAW | PCPROPERTY_ITEM_FLAG_UNSERIALIZERAW | PCPROPERTY_ITEM_FLAG_SERIALIZESIZE)
#define PCPROPERTY_ITEM_FLAG_DEFAULTVALUES KSPROPERTY_TYPE_DEFAULTVALUES

typedef struct {
  const GUID* Set;
  ULONG Id;     // 0..N-1 within the set
  ULONG Flags;  // PCPROPERTY_ITEM_FLAG_*
  PCPFNPROPERTY_HANDLER Handler;
} PCPROPERTY_ITEM, *PPCPROPERTY_ITEM;

#define PCMETHOD_ITEM_FLAG_NONE KSMETHOD_TYPE_NONE
#define PCMETHOD_ITEM_FLAG_READ KSMETHOD_TYPE_READ
#define PCMETHOD_ITEM_FLAG_WRITE KSMETHOD_TYPE_WRITE
#define PCMETHOD_ITEM_FLAG_MODIFY KSMETHOD_TYPE_MODIFY
#define PCMETHOD_ITEM_FLAG_SOURCE KSMETHOD_TYPE_SOURCE
#define PCMETHOD_ITEM_FLAG_BASICSUPPORT KSMETHOD_TYPE_BASICSUPPORT

typedef struct {
  const GUID* Set;
  ULONG Id;
  ULONG Flags;  // PCMETHOD_ITEM_FLAG_*
  PCPFNMETHOD_HANDLER Handler;
} PCMETHOD_ITEM, *PPCMETHOD_ITEM;

// PCEVENT_ITEM.Flags. In WDM audio an event targets a pin or a node on a pin, never a filter.
#define PCEVENT_ITEM_FLAG_ENABLE KSEVENT_TYPE_ENABLE
#define PCEVENT_ITEM_FLAG_ONESHOT KSEVENT_TYPE_ONESHOT
#define PCEVENT_ITEM_FLAG_BASICSUPPORT KSEVENT_TYPE_BASICSUPPORT

typedef struct {
  const GUID* Set;
  ULONG Id;
  ULONG Flags;  // PCEVENT_ITEM_FLAG_*
  PCPFNEVENT_HANDLER Handler;
} PCEVENT_ITEM, *PPCEVENT_ITEM;

// What the port passes to a property handler (waveRT-contract.md §1.2):
//   MajorTarget  the miniport's IUnknown (for a node or filter request the miniport object);
//   MinorTarget  the stream object for a pin request, NULL for a filter request;
//   Node         the node id, or (ULONG)-1 when the request names no node;
//   Instance     the bytes after the KSPROPERTY / KSNODEPROPERTY header, InstanceSize of them;
//   Value        the property value buffer, ValueSize bytes;
//   Verb         the KSPROPERTY_TYPE_* flags of the request.
struct _PCPROPERTY_REQUEST {
  PUNKNOWN MajorTarget;
  PUNKNOWN MinorTarget;
  ULONG Node;
  const PCPROPERTY_ITEM* PropertyItem;
  ULONG Verb;
  ULONG InstanceSize;
  PVOID Instance;
  ULONG ValueSize;
  PVOID Value;
  PIRP Irp;
};

struct _PCMETHOD_REQUEST {
  PUNKNOWN MajorTarget;
  PUNKNOWN MinorTarget;
  ULONG Node;
  const PCMETHOD_ITEM* MethodItem;
  ULONG Verb;
};

// PCEVENT_REQUEST.Verb.
#define PCEVENT_VERB_NONE 0
#define PCEVENT_VERB_ADD 1
#define PCEVENT_VERB_REMOVE 2
#define PCEVENT_VERB_SUPPORT 4

struct _PCEVENT_REQUEST {
  PUNKNOWN MajorTarget;
  PUNKNOWN MinorTarget;
  ULONG Node;
  const PCEVENT_ITEM* EventItem;
  struct _KSEVENT_ENTRY* EventEntry;  // PKSEVENT_ENTRY (ks.h)
  ULONG Verb;                         // PCEVENT_VERB_*
  PIRP Irp;
};

// Any item pointer may be NULL with its count zero. Item sizes may exceed the PortCls item
// structures (private data follows each item) and must be multiples of 8.
typedef struct {
  ULONG PropertyItemSize;
  ULONG PropertyCount;
  const PCPROPERTY_ITEM* Properties;
  ULONG MethodItemSize;
  ULONG MethodCount;
  const PCMETHOD_ITEM* Methods;
  ULONG EventItemSize;
  ULONG EventCount;
  const PCEVENT_ITEM* Events;
  ULONG Reserved;
} PCAUTOMATION_TABLE, *PPCAUTOMATION_TABLE;

// Define a `const PCAUTOMATION_TABLE` named AutomationTable from static item arrays.
#define DEFINE_PCAUTOMATION_TABLE_PROP(AutomationTable, PropertyTable)                           \
  const PCAUTOMATION_TABLE AutomationTable = {                                                   \
      sizeof(PropertyTable[0]), SIZEOF_ARRAY(PropertyTable), (const PCPROPERTY_ITEM*)PropertyTable, \
      0, 0, NULL, 0, 0, NULL, 0}

#define DEFINE_PCAUTOMATION_TABLE_PROP_EVENT(AutomationTable, PropertyTable, EventTable)          \
  const PCAUTOMATION_TABLE AutomationTable = {                                                   \
      sizeof(PropertyTable[0]), SIZEOF_ARRAY(PropertyTable), (const PCPROPERTY_ITEM*)PropertyTable, \
      0, 0, NULL, sizeof(EventTable[0]), SIZEOF_ARRAY(EventTable), (const PCEVENT_ITEM*)EventTable, 0}

#define DEFINE_PCAUTOMATION_TABLE_EVENT(AutomationTable, EventTable) \
  const PCAUTOMATION_TABLE AutomationTable = {                      \
      0, 0, NULL, 0, 0, NULL, sizeof(EventTable[0]), SIZEOF_ARRAY(EventTable), (const PCEVENT_ITEM*)EventTable, 0}

// ==== Filter descriptor: what IMiniport::GetDescription returns ==================================

// Max*InstanceCount: 0 = the pin cannot be instantiated, (ULONG)-1 = any number. Min may not be
// (ULONG)-1. The KS descriptor's interface list is ignored; an empty medium list means the standard
// medium (KSMEDIUMSETID_Standard / DEVIO).
typedef struct {
  ULONG MaxGlobalInstanceCount;
  ULONG MaxFilterInstanceCount;
  ULONG MinFilterInstanceCount;
  const PCAUTOMATION_TABLE* AutomationTable;  // NULL: no pin properties
  KSPIN_DESCRIPTOR KsPinDescriptor;
} PCPIN_DESCRIPTOR, *PPCPIN_DESCRIPTOR;

typedef struct {
  ULONG Flags;
  const PCAUTOMATION_TABLE* AutomationTable;  // NULL: no node properties
  const GUID* Type;                           // KSNODETYPE_*
  const GUID* Name;                           // NULL: the name comes from Type
} PCNODE_DESCRIPTOR, *PPCNODE_DESCRIPTOR;

// A connection inside the filter; PCFILTER_NODE as FromNode/ToNode means "a filter pin", and the
// matching *NodePin is then the pin id.
typedef KSTOPOLOGY_CONNECTION PCCONNECTION_DESCRIPTOR, *PPCCONNECTION_DESCRIPTOR;
#define PCFILTER_NODE KSFILTER_NODE

// Version is reserved and must be 0 (PCFILTER_DESCRIPTOR). PinSize and NodeSize are the strides of
// the Pins and Nodes arrays: multiples of 8, at least sizeof(PCPIN_DESCRIPTOR) /
// sizeof(PCNODE_DESCRIPTOR); larger values let a driver append private data to each descriptor.
typedef struct {
  ULONG Version;
  const PCAUTOMATION_TABLE* AutomationTable;
  ULONG PinSize;
  ULONG PinCount;
  const PCPIN_DESCRIPTOR* Pins;
  ULONG NodeSize;
  ULONG NodeCount;
  const PCNODE_DESCRIPTOR* Nodes;
  ULONG ConnectionCount;
  const PCCONNECTION_DESCRIPTOR* Connections;
  ULONG CategoryCount;
  const GUID* Categories;
} PCFILTER_DESCRIPTOR, *PPCFILTER_DESCRIPTOR;

// ==== Interfaces ==================================================================================
// Slot order is ABI: it is the WDK's, method for method, and tests pin every slot. Derived
// interfaces redeclare their bases' methods (DEFINE_ABSTRACT_*), as the WDK writes them; a
// redeclared pure virtual keeps its base slot.

// ---- IResourceList -------------------------------------------------------------------------------

#undef INTERFACE
#define INTERFACE IResourceList
DECLARE_INTERFACE_(IResourceList, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(ULONG, NumberOfEntries)(THIS) PURE;
  STDMETHOD_(ULONG, NumberOfEntriesOfType)(THIS_ _In_ CM_RESOURCE_TYPE Type) PURE;
  STDMETHOD_(struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*, FindTranslatedEntry)(THIS_ _In_ CM_RESOURCE_TYPE Type,
                                                                           _In_ ULONG Index) PURE;
  STDMETHOD_(struct _CM_PARTIAL_RESOURCE_DESCRIPTOR*, FindUntranslatedEntry)(THIS_ _In_ CM_RESOURCE_TYPE Type,
                                                                             _In_ ULONG Index) PURE;
  STDMETHOD_(NTSTATUS, AddEntry)(THIS_ _In_ struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* Translated,
                                 _In_ struct _CM_PARTIAL_RESOURCE_DESCRIPTOR* Untranslated) PURE;
  STDMETHOD_(NTSTATUS, AddEntryFromParent)(THIS_ _In_ struct IResourceList* Parent, _In_ CM_RESOURCE_TYPE Type,
                                           _In_ ULONG Index) PURE;
  STDMETHOD_(struct _CM_RESOURCE_LIST*, TranslatedList)(THIS) PURE;
  STDMETHOD_(struct _CM_RESOURCE_LIST*, UntranslatedList)(THIS) PURE;
};
#undef INTERFACE
typedef IResourceList* PRESOURCELIST;

// Per-type shorthands drivers call on an IResourceList (ResourceList->NumberOfInterrupts()).
#define NumberOfPorts() NumberOfEntriesOfType(CmResourceTypePort)
#define FindTranslatedPort(n) FindTranslatedEntry(CmResourceTypePort, (n))
#define FindUntranslatedPort(n) FindUntranslatedEntry(CmResourceTypePort, (n))
#define AddPortFromParent(p, n) AddEntryFromParent((p), CmResourceTypePort, (n))
#define NumberOfInterrupts() NumberOfEntriesOfType(CmResourceTypeInterrupt)
#define FindTranslatedInterrupt(n) FindTranslatedEntry(CmResourceTypeInterrupt, (n))
#define FindUntranslatedInterrupt(n) FindUntranslatedEntry(CmResourceTypeInterrupt, (n))
#define AddInterruptFromParent(p, n) AddEntryFromParent((p), CmResourceTypeInterrupt, (n))
#define NumberOfMemories() NumberOfEntriesOfType(CmResourceTypeMemory)
#define FindTranslatedMemory(n) FindTranslatedEntry(CmResourceTypeMemory, (n))
#define FindUntranslatedMemory(n) FindUntranslatedEntry(CmResourceTypeMemory, (n))
#define AddMemoryFromParent(p, n) AddEntryFromParent((p), CmResourceTypeMemory, (n))
#define NumberOfDmas() NumberOfEntriesOfType(CmResourceTypeDma)
#define FindTranslatedDma(n) FindTranslatedEntry(CmResourceTypeDma, (n))
#define FindUntranslatedDma(n) FindUntranslatedEntry(CmResourceTypeDma, (n))
#define AddDmaFromParent(p, n) AddEntryFromParent((p), CmResourceTypeDma, (n))
#define NumberOfDeviceSpecifics() NumberOfEntriesOfType(CmResourceTypeDeviceSpecific)
#define FindTranslatedDeviceSpecific(n) FindTranslatedEntry(CmResourceTypeDeviceSpecific, (n))
#define FindUntranslatedDeviceSpecific(n) FindUntranslatedEntry(CmResourceTypeDeviceSpecific, (n))
#define AddDeviceSpecificFromParent(p, n) AddEntryFromParent((p), CmResourceTypeDeviceSpecific, (n))
#define NumberOfBusNumbers() NumberOfEntriesOfType(CmResourceTypeBusNumber)
#define FindTranslatedBusNumber(n) FindTranslatedEntry(CmResourceTypeBusNumber, (n))
#define FindUntranslatedBusNumber(n) FindUntranslatedEntry(CmResourceTypeBusNumber, (n))
#define AddBusNumberFromParent(p, n) AddEntryFromParent((p), CmResourceTypeBusNumber, (n))
#define NumberOfDevicePrivates() NumberOfEntriesOfType(CmResourceTypeDevicePrivate)
#define FindTranslatedDevicePrivate(n) FindTranslatedEntry(CmResourceTypeDevicePrivate, (n))
#define FindUntranslatedDevicePrivate(n) FindUntranslatedEntry(CmResourceTypeDevicePrivate, (n))
#define AddDevicePrivateFromParent(p, n) AddEntryFromParent((p), CmResourceTypeDevicePrivate, (n))

// ---- IRegistryKey (declared only) ----------------------------------------------------------------

// IPort::NewRegistryKey hands one out. Its methods take KEY_INFORMATION_CLASS by value, which the
// host's io.h does not declare yet, so the interface body is not declared here (docs/abi-portcls.md).
interface IRegistryKey;
typedef IRegistryKey* PREGISTRYKEY;

// RegistryKeyType for IPort::NewRegistryKey and PcNewRegistryKey.
enum {
  GeneralRegistryKey,         // ObjectAttributes and CreateOptions required
  DeviceRegistryKey,          // device object required
  DriverRegistryKey,          // device object required
  HwProfileRegistryKey,       // device object required
  DeviceInterfaceRegistryKey  // device object and subdevice required
};

// ---- IPort, IPortTopology, IPortWaveRT -----------------------------------------------------------

#define DEFINE_ABSTRACT_PORT()                                                                            \
  STDMETHOD_(NTSTATUS, Init)(THIS_ _In_ PDEVICE_OBJECT DeviceObject, _In_opt_ PIRP Irp,   \
                             _In_ PUNKNOWN UnknownMiniport, _In_opt_ PUNKNOWN UnknownAdapter,              \
                             _In_ PRESOURCELIST ResourceList) PURE;                                        \
  STDMETHOD_(NTSTATUS, GetDeviceProperty)(THIS_ _In_ DEVICE_REGISTRY_PROPERTY DeviceProperty,              \
                                          _In_ ULONG BufferLength, _Out_ PVOID PropertyBuffer,             \
                                          _Out_ PULONG ResultLength) PURE;                                 \
  STDMETHOD_(NTSTATUS, NewRegistryKey)(THIS_ _Out_ PREGISTRYKEY * OutRegistryKey,                          \
                                       _In_opt_ PUNKNOWN OuterUnknown, _In_ ULONG RegistryKeyType,         \
                                       _In_ ACCESS_MASK DesiredAccess,                                     \
                                       _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,              \
                                       _In_opt_ ULONG CreateOptions, _Out_opt_ PULONG Disposition) PURE;

#undef INTERFACE
#define INTERFACE IPort
DECLARE_INTERFACE_(IPort, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_PORT()
};
#undef INTERFACE
typedef IPort* PPORT;

#define INTERFACE IPortTopology
DECLARE_INTERFACE_(IPortTopology, IPort) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_PORT()
};
#undef INTERFACE
typedef IPortTopology* PPORTTOPOLOGY;

// The WaveRT port adds nothing to IPort; a miniport reaches the per-stream helpers through the
// IPortWaveRTStream that NewStream receives.
#define INTERFACE IPortWaveRT
DECLARE_INTERFACE_(IPortWaveRT, IPort) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_PORT()
};
#undef INTERFACE
typedef IPortWaveRT* PPORTWAVERT;

// ---- IPortWaveRTStream ---------------------------------------------------------------------------

// Per-stream memory helpers. The miniport must allocate the cyclic buffer with AllocatePagesForMdl
// or AllocateContiguousPagesForMdl; all methods run at PASSIVE_LEVEL (waveRT-contract.md §3).
#define INTERFACE IPortWaveRTStream
DECLARE_INTERFACE_(IPortWaveRTStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  // Locked, unmapped pages below HighAddress, not necessarily contiguous. May describe fewer bytes
  // than asked when memory is short: check MmGetMdlByteCount. NULL on failure.
  STDMETHOD_(PMDL, AllocatePagesForMdl)(THIS_ _In_ PHYSICAL_ADDRESS HighAddress, _In_ SIZE_T TotalBytes) PURE;
  STDMETHOD_(PMDL, AllocateContiguousPagesForMdl)(THIS_ _In_ PHYSICAL_ADDRESS LowAddress,
                                                   _In_ PHYSICAL_ADDRESS HighAddress, _In_ SIZE_T TotalBytes) PURE;
  STDMETHOD_(PVOID, MapAllocatedPages)(THIS_ _In_ PMDL MemoryDescriptorList, _In_ MEMORY_CACHING_TYPE CacheType) PURE;
  STDMETHOD_(VOID, UnmapAllocatedPages)(THIS_ _In_ PVOID BaseAddress, _In_ PMDL MemoryDescriptorList) PURE;
  STDMETHOD_(VOID, FreePagesFromMdl)(THIS_ _In_ PMDL MemoryDescriptorList) PURE;
  STDMETHOD_(ULONG, GetPhysicalPagesCount)(THIS_ _In_ PMDL MemoryDescriptorList) PURE;
  // The WDK signature, kept so the slot and its callers match. PHYSICAL_ADDRESS is a union returned
  // by value from a member function: MSVC returns it through a hidden pointer, GCC/Clang in RAX, so
  // a miniport and a port built by different compilers disagree on this call (DESIGN.md, "Rules the
  // driver code lives by"). wavert's driver reads page frames with MmGetMdlPfnArray instead.
  STDMETHOD_(PHYSICAL_ADDRESS, GetPhysicalPageAddress)(THIS_ _In_ PMDL MemoryDescriptorList, _In_ ULONG Index) PURE;
};
#undef INTERFACE
typedef IPortWaveRTStream* PPORTWAVERTSTREAM;

// ---- IMiniport, IMiniportTopology ----------------------------------------------------------------

// DataRangeIntersection: STATUS_NOT_IMPLEMENTED asks the port to use its default handler;
// OutputBufferLength 0 is a size query answered with STATUS_BUFFER_OVERFLOW and the size in
// *ResultantFormatLength (waveRT-contract.md §1.2).
#define DEFINE_ABSTRACT_MINIPORT()                                                                   \
  STDMETHOD_(NTSTATUS, GetDescription)(THIS_ _Out_ PPCFILTER_DESCRIPTOR * Description) PURE;         \
  STDMETHOD_(NTSTATUS, DataRangeIntersection)(THIS_ _In_ ULONG PinId, _In_ PKSDATARANGE DataRange,    \
                                              _In_ PKSDATARANGE MatchingDataRange,                   \
                                              _In_ ULONG OutputBufferLength,                         \
                                              _Out_opt_ PVOID ResultantFormat,                       \
                                              _Out_ PULONG ResultantFormatLength) PURE;

#define INTERFACE IMiniport
DECLARE_INTERFACE_(IMiniport, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_MINIPORT()
};
#undef INTERFACE
typedef IMiniport* PMINIPORT;

#define IMP_IMiniport                                                                                  \
  STDMETHODIMP_(NTSTATUS) GetDescription(_Out_ PPCFILTER_DESCRIPTOR * Description);                    \
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(_In_ ULONG PinId, _In_ PKSDATARANGE DataRange,          \
                                                _In_ PKSDATARANGE MatchingDataRange,                   \
                                                _In_ ULONG OutputBufferLength, _Out_opt_ PVOID ResultantFormat, \
                                                _Out_ PULONG ResultantFormatLength)

#define INTERFACE IMiniportTopology
DECLARE_INTERFACE_(IMiniportTopology, IMiniport) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_MINIPORT()
  STDMETHOD_(NTSTATUS, Init)(THIS_ _In_ PUNKNOWN UnknownAdapter, _In_ PRESOURCELIST ResourceList,
                             _In_ PPORTTOPOLOGY Port) PURE;
};
#undef INTERFACE
typedef IMiniportTopology* PMINIPORTTOPOLOGY;

#define IMP_IMiniportTopology \
  IMP_IMiniport;              \
  STDMETHODIMP_(NTSTATUS) Init(_In_ PUNKNOWN UnknownAdapter, _In_ PRESOURCELIST ResourceList, _In_ PPORTTOPOLOGY Port)

// ---- IMiniportWaveRTStream and its extensions ----------------------------------------------------

// GetPosition may be called at PASSIVE or DISPATCH level, so it and what it touches are non-paged.
// FreeAudioBuffer's Mdl may be NULL (_In_opt_ in the WDK).
#define DEFINE_ABSTRACT_MINIPORTWAVERTSTREAM()                                                             \
  STDMETHOD_(NTSTATUS, SetFormat)(THIS_ _In_ PKSDATAFORMAT DataFormat) PURE;                               \
  STDMETHOD_(NTSTATUS, SetState)(THIS_ _In_ KSSTATE State) PURE;                                           \
  STDMETHOD_(NTSTATUS, GetPosition)(THIS_ _Out_ PKSAUDIO_POSITION Position) PURE;                          \
  STDMETHOD_(NTSTATUS, AllocateAudioBuffer)(THIS_ _In_ ULONG RequestedSize, _Out_ PMDL * AudioBufferMdl,   \
                                            _Out_ ULONG * ActualSize, _Out_ ULONG * OffsetFromFirstPage,   \
                                            _Out_ MEMORY_CACHING_TYPE * CacheType) PURE;                   \
  STDMETHOD_(VOID, FreeAudioBuffer)(THIS_ _In_opt_ PMDL AudioBufferMdl, _In_ ULONG BufferSize) PURE;       \
  STDMETHOD_(VOID, GetHWLatency)(THIS_ _Out_ KSRTAUDIO_HWLATENCY * hwLatency) PURE;                        \
  STDMETHOD_(NTSTATUS, GetPositionRegister)(THIS_ _Out_ KSRTAUDIO_HWREGISTER * Register) PURE;             \
  STDMETHOD_(NTSTATUS, GetClockRegister)(THIS_ _Out_ KSRTAUDIO_HWREGISTER * Register) PURE;

#define INTERFACE IMiniportWaveRTStream
DECLARE_INTERFACE_(IMiniportWaveRTStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_MINIPORTWAVERTSTREAM()
};
#undef INTERFACE
typedef IMiniportWaveRTStream* PMINIPORTWAVERTSTREAM;

#define IMP_IMiniportWaveRTStream                                                                           \
  STDMETHODIMP_(NTSTATUS) SetFormat(_In_ PKSDATAFORMAT DataFormat);                                         \
  STDMETHODIMP_(NTSTATUS) SetState(_In_ KSSTATE State);                                                     \
  STDMETHODIMP_(NTSTATUS) GetPosition(_Out_ PKSAUDIO_POSITION Position);                                    \
  STDMETHODIMP_(NTSTATUS) AllocateAudioBuffer(_In_ ULONG RequestedSize, _Out_ PMDL * AudioBufferMdl,        \
                                              _Out_ ULONG * ActualSize, _Out_ ULONG * OffsetFromFirstPage,  \
                                              _Out_ MEMORY_CACHING_TYPE * CacheType);                       \
  STDMETHODIMP_(VOID) FreeAudioBuffer(_In_opt_ PMDL AudioBufferMdl, _In_ ULONG BufferSize);                 \
  STDMETHODIMP_(VOID) GetHWLatency(_Out_ KSRTAUDIO_HWLATENCY * hwLatency);                                  \
  STDMETHODIMP_(NTSTATUS) GetPositionRegister(_Out_ KSRTAUDIO_HWREGISTER * Register);                       \
  STDMETHODIMP_(NTSTATUS) GetClockRegister(_Out_ KSRTAUDIO_HWREGISTER * Register)

// Event-driven ("pull") mode, required of WaveRT miniports since Windows 7 certification. The port
// finds it with QueryInterface on the stream. NotificationCount is 1 or 2; events fire only in RUN.
#define INTERFACE IMiniportWaveRTStreamNotification
DECLARE_INTERFACE_(IMiniportWaveRTStreamNotification, IMiniportWaveRTStream) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_MINIPORTWAVERTSTREAM()
  STDMETHOD_(NTSTATUS, AllocateBufferWithNotification)(THIS_ _In_ ULONG NotificationCount, _In_ ULONG RequestedSize,
                                                       _Out_ PMDL * AudioBufferMdl, _Out_ ULONG * ActualSize,
                                                       _Out_ ULONG * OffsetFromFirstPage,
                                                       _Out_ MEMORY_CACHING_TYPE * CacheType) PURE;
  STDMETHOD_(VOID, FreeBufferWithNotification)(THIS_ _In_ PMDL AudioBufferMdl, _In_ ULONG BufferSize) PURE;
  STDMETHOD_(NTSTATUS, RegisterNotificationEvent)(THIS_ _In_ PKEVENT NotificationEvent) PURE;
  STDMETHOD_(NTSTATUS, UnregisterNotificationEvent)(THIS_ _In_ PKEVENT NotificationEvent) PURE;
};
#undef INTERFACE
typedef IMiniportWaveRTStreamNotification* PMINIPORTWAVERTSTREAMNOTIFICATION;

// Declares only the four notification methods; a class implementing the interface also writes
// IMP_IMiniportWaveRTStream, as the WDK samples do.
#define IMP_IMiniportWaveRTStreamNotification                                                                   \
  STDMETHODIMP_(NTSTATUS) AllocateBufferWithNotification(_In_ ULONG NotificationCount, _In_ ULONG RequestedSize, \
                                                         _Out_ PMDL * AudioBufferMdl, _Out_ ULONG * ActualSize,  \
                                                         _Out_ ULONG * OffsetFromFirstPage,                     \
                                                         _Out_ MEMORY_CACHING_TYPE * CacheType);                 \
  STDMETHODIMP_(VOID) FreeBufferWithNotification(_In_ PMDL AudioBufferMdl, _In_ ULONG BufferSize);               \
  STDMETHODIMP_(NTSTATUS) RegisterNotificationEvent(_In_ PKEVENT NotificationEvent);                             \
  STDMETHODIMP_(NTSTATUS) UnregisterNotificationEvent(_In_ PKEVENT NotificationEvent)

// Packet mode, capture side (Windows 10). STATUS_DEVICE_NOT_READY when no new packet is complete;
// PerformanceCounterValue is the QPC time of the packet's first sample.
#define INTERFACE IMiniportWaveRTInputStream
DECLARE_INTERFACE_(IMiniportWaveRTInputStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  _IRQL_requires_max_(PASSIVE_LEVEL)
  STDMETHOD_(NTSTATUS, GetReadPacket)(THIS_ _Out_ ULONG * PacketNumber, _Out_ DWORD * Flags,
                                      _Out_ ULONG64 * PerformanceCounterValue, _Out_ BOOL * MoreData) PURE;
};
#undef INTERFACE
typedef IMiniportWaveRTInputStream* PMINIPORTWAVERTINPUTSTREAM;

#define IMP_IMiniportWaveRTInputStream                                                                  \
  _IRQL_requires_max_(PASSIVE_LEVEL) STDMETHODIMP_(NTSTATUS)                                            \
      GetReadPacket(_Out_ ULONG * PacketNumber, _Out_ DWORD * Flags, _Out_ ULONG64 * PerformanceCounterValue, \
                    _Out_ BOOL * MoreData)

// Packet mode, render side (Windows 10). SetWritePacket: STATUS_DATA_LATE_ERROR for a packet
// already (being) transferred, STATUS_DATA_OVERRUN for one beyond the buffer,
// STATUS_INVALID_DEVICE_STATE after end of stream. GetPacketCount is 1-based and 0 after STOP.
#define INTERFACE IMiniportWaveRTOutputStream
DECLARE_INTERFACE_(IMiniportWaveRTOutputStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  _IRQL_requires_max_(PASSIVE_LEVEL)
  STDMETHOD_(NTSTATUS, SetWritePacket)(THIS_ _In_ ULONG PacketNumber, _In_ DWORD Flags,
                                       _In_ ULONG EosPacketLength) PURE;
  _IRQL_requires_max_(PASSIVE_LEVEL)
  STDMETHOD_(NTSTATUS, GetOutputStreamPresentationPosition)(
      THIS_ _Out_ KSAUDIO_PRESENTATION_POSITION * pPresentationPosition) PURE;
  _IRQL_requires_max_(PASSIVE_LEVEL)
  STDMETHOD_(NTSTATUS, GetPacketCount)(THIS_ _Out_ ULONG * pPacketCount) PURE;
};
#undef INTERFACE
typedef IMiniportWaveRTOutputStream* PMINIPORTWAVERTOUTPUTSTREAM;

#define IMP_IMiniportWaveRTOutputStream                                                                        \
  _IRQL_requires_max_(PASSIVE_LEVEL) STDMETHODIMP_(NTSTATUS)                                                   \
      SetWritePacket(_In_ ULONG PacketNumber, _In_ DWORD Flags, _In_ ULONG EosPacketLength);                    \
  _IRQL_requires_max_(PASSIVE_LEVEL) STDMETHODIMP_(NTSTATUS)                                                   \
      GetOutputStreamPresentationPosition(_Out_ KSAUDIO_PRESENTATION_POSITION * pPresentationPosition);        \
  _IRQL_requires_max_(PASSIVE_LEVEL) STDMETHODIMP_(NTSTATUS) GetPacketCount(_Out_ ULONG * pPacketCount)

// ---- IMiniportWaveRT ------------------------------------------------------------------------------

#define INTERFACE IMiniportWaveRT
DECLARE_INTERFACE_(IMiniportWaveRT, IMiniport) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_MINIPORT()
  STDMETHOD_(NTSTATUS, Init)(THIS_ _In_ PUNKNOWN UnknownAdapter, _In_ PRESOURCELIST ResourceList,
                             _In_ PPORTWAVERT Port) PURE;
  // The new stream starts in KSSTATE_STOP at position 0. Capture is TRUE for a pin whose data flows
  // out of the filter (waveRT-contract.md §1.3).
  STDMETHOD_(NTSTATUS, NewStream)(THIS_ _Out_ PMINIPORTWAVERTSTREAM * Stream, _In_ PPORTWAVERTSTREAM PortStream,
                                  _In_ ULONG Pin, _In_ BOOLEAN Capture, _In_ PKSDATAFORMAT DataFormat) PURE;
  STDMETHOD_(NTSTATUS, GetDeviceDescription)(THIS_ _Out_ PDEVICE_DESCRIPTION DeviceDescription) PURE;
};
#undef INTERFACE
typedef IMiniportWaveRT* PMINIPORTWAVERT;

#define IMP_IMiniportWaveRT                                                                                  \
  IMP_IMiniport;                                                                                             \
  STDMETHODIMP_(NTSTATUS) Init(_In_ PUNKNOWN UnknownAdapter, _In_ PRESOURCELIST ResourceList,                \
                               _In_ PPORTWAVERT Port);                                                       \
  STDMETHODIMP_(NTSTATUS) NewStream(_Out_ PMINIPORTWAVERTSTREAM * Stream, _In_ PPORTWAVERTSTREAM PortStream,  \
                                    _In_ ULONG Pin, _In_ BOOLEAN Capture, _In_ PKSDATAFORMAT DataFormat);    \
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(_Out_ PDEVICE_DESCRIPTION DeviceDescription)

// ---- Power ---------------------------------------------------------------------------------------

// Registered with PcRegisterAdapterPowerManagement. PortCls calls PowerChangeState with device
// power states (POWER_STATE.DeviceState).
#define DEFINE_ABSTRACT_ADAPTERPOWERMANAGEMENT()                                               \
  STDMETHOD_(void, PowerChangeState)(THIS_ _In_ POWER_STATE NewState) PURE;                    \
  STDMETHOD_(NTSTATUS, QueryPowerChangeState)(THIS_ _In_ POWER_STATE NewStateQuery) PURE;      \
  STDMETHOD_(NTSTATUS, QueryDeviceCapabilities)(THIS_ _In_ struct _DEVICE_CAPABILITIES * PowerDeviceCaps) PURE;

#define INTERFACE IAdapterPowerManagement
DECLARE_INTERFACE_(IAdapterPowerManagement, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  DEFINE_ABSTRACT_ADAPTERPOWERMANAGEMENT()
};
#undef INTERFACE
typedef IAdapterPowerManagement* PADAPTERPOWERMANAGEMENT;

#define IMP_IAdapterPowerManagement                                                 \
  STDMETHODIMP_(void) PowerChangeState(_In_ POWER_STATE NewState);                  \
  STDMETHODIMP_(NTSTATUS) QueryPowerChangeState(_In_ POWER_STATE NewStateQuery);    \
  STDMETHODIMP_(NTSTATUS) QueryDeviceCapabilities(_In_ struct _DEVICE_CAPABILITIES * PowerDeviceCaps)

// Optional on a miniport; the port finds it with QueryInterface at IPort::Init.
#define INTERFACE IPowerNotify
DECLARE_INTERFACE_(IPowerNotify, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(void, PowerChangeNotify)(THIS_ _In_ POWER_STATE PowerState) PURE;
};
#undef INTERFACE
typedef IPowerNotify* PPOWERNOTIFY;

#define IMP_IPowerNotify STDMETHODIMP_(void) PowerChangeNotify(_In_ POWER_STATE PowerState)

// ---- Optional miniport and port helpers ----------------------------------------------------------

// Optional on a miniport: the port lets it adjust the pin counts it is about to report.
#define INTERFACE IPinCount
DECLARE_INTERFACE_(IPinCount, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(void, PinCount)(THIS_ _In_ ULONG PinId, _Inout_ PULONG FilterNecessary, _Inout_ PULONG FilterCurrent,
                             _Inout_ PULONG FilterPossible, _Inout_ PULONG GlobalCurrent,
                             _Inout_ PULONG GlobalPossible) PURE;
};
#undef INTERFACE
typedef IPinCount* PPINCOUNT;

#define IMP_IPinCount                                                                                         \
  STDMETHODIMP_(void) PinCount(_In_ ULONG PinId, _Inout_ PULONG FilterNecessary, _Inout_ PULONG FilterCurrent, \
                               _Inout_ PULONG FilterPossible, _Inout_ PULONG GlobalCurrent,                   \
                               _Inout_ PULONG GlobalPossible)

// Implemented by ports: event helpers for miniports (KSEVENT support on pins and nodes).
#define INTERFACE IPortEvents
DECLARE_INTERFACE_(IPortEvents, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(void, AddEventToEventList)(THIS_ _In_ struct _KSEVENT_ENTRY * EventEntry) PURE;
  STDMETHOD_(void, GenerateEventList)(THIS_ _In_opt_ GUID * Set, _In_ ULONG EventId, _In_ BOOL PinEvent,
                                      _In_ ULONG PinId, _In_ BOOL NodeEvent, _In_ ULONG NodeId) PURE;
};
#undef INTERFACE
typedef IPortEvents* PPORTEVENTS;

// Implemented by PortCls; GetVersion returns a kVersion* value (that enum is not declared here).
#define INTERFACE IPortClsVersion
DECLARE_INTERFACE_(IPortClsVersion, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(DWORD, GetVersion)(THIS) PURE;
};
#undef INTERFACE
typedef IPortClsVersion* PPORTCLSVERSION;

// Implemented by ports, found with QueryInterface: undo PcRegisterSubdevice and
// PcRegisterPhysicalConnection* (for example before a device is stopped or removed).
#define INTERFACE IUnregisterSubdevice
DECLARE_INTERFACE_(IUnregisterSubdevice, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(NTSTATUS, UnregisterSubdevice)(THIS_ _In_ PDEVICE_OBJECT DeviceObject,
                                            _In_ PUNKNOWN Unknown) PURE;
};
#undef INTERFACE
typedef IUnregisterSubdevice* PUNREGISTERSUBDEVICE;

#define INTERFACE IUnregisterPhysicalConnection
DECLARE_INTERFACE_(IUnregisterPhysicalConnection, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(NTSTATUS, UnregisterPhysicalConnection)(THIS_ _In_ PDEVICE_OBJECT DeviceObject,
                                                     _In_ PUNKNOWN FromUnknown, _In_ ULONG FromPin,
                                                     _In_ PUNKNOWN ToUnknown, _In_ ULONG ToPin) PURE;
  STDMETHOD_(NTSTATUS, UnregisterPhysicalConnectionToExternal)(THIS_ _In_ PDEVICE_OBJECT DeviceObject,
                                                               _In_ PUNKNOWN FromUnknown, _In_ ULONG FromPin,
                                                               _In_ PUNICODE_STRING ToString, _In_ ULONG ToPin) PURE;
  STDMETHOD_(NTSTATUS, UnregisterPhysicalConnectionFromExternal)(THIS_ _In_ PDEVICE_OBJECT DeviceObject,
                                                                 _In_ PUNICODE_STRING FromString, _In_ ULONG FromPin,
                                                                 _In_ PUNKNOWN ToUnknown, _In_ ULONG ToPin) PURE;
};
#undef INTERFACE
typedef IUnregisterPhysicalConnection* PUNREGISTERPHYSICALCONNECTION;

// ==== Port library functions ======================================================================
// Declarations only here; host/portcls implements them. IRQL: all PASSIVE_LEVEL.

// The adapter's start routine, called by PortCls on IRP_MN_START_DEVICE with the assigned resources.
typedef NTSTATUS (*PCPFNSTARTDEVICE)(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp,
                                     _In_ PRESOURCELIST ResourceList);

// Called from DriverEntry: installs PortCls's dispatch routines and the adapter's AddDevice.
PORTCLASSAPI NTSTATUS NTAPI PcInitializeAdapterDriver(
    _In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPathName,
    _In_ PDRIVER_ADD_DEVICE AddDevice);

// Called from AddDevice. MaxObjects bounds the subdevices the adapter will register;
// DeviceExtensionSize is 0 or at least PORT_CLASS_DEVICE_EXTENSION_SIZE.
PORTCLASSAPI NTSTATUS NTAPI PcAddAdapterDevice(_In_ PDRIVER_OBJECT DriverObject,
                                               _In_ PDEVICE_OBJECT PhysicalDeviceObject,
                                               _In_ PCPFNSTARTDEVICE StartDevice, _In_ ULONG MaxObjects,
                                               _In_ ULONG DeviceExtensionSize);

PORTCLASSAPI NTSTATUS NTAPI PcDispatchIrp(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp);

// CLSID_PortWaveRT, CLSID_PortTopology, ...
PORTCLASSAPI NTSTATUS NTAPI PcNewPort(_Out_ PPORT* OutPort, _In_ REFCLSID ClassId);
// System-supplied miniports (FM synth, UART).
PORTCLASSAPI NTSTATUS NTAPI PcNewMiniport(_Out_ PMINIPORT* OutMiniPort, _In_ REFCLSID ClassId);

// Name: a short name, unique among the device's subdevices, appended to the reference string of
// the subdevice's device interfaces; the buffer must stay valid for the device object's lifetime.
// Unknown: the IPort of the port bound to the subdevice.
PORTCLASSAPI NTSTATUS NTAPI PcRegisterSubdevice(_In_ PDEVICE_OBJECT DeviceObject, _In_ PWSTR Name,
                                                _In_ PUNKNOWN Unknown);

PORTCLASSAPI NTSTATUS NTAPI PcRegisterPhysicalConnection(_In_ PDEVICE_OBJECT DeviceObject,
                                                         _In_ PUNKNOWN FromUnknown, _In_ ULONG FromPin,
                                                         _In_ PUNKNOWN ToUnknown, _In_ ULONG ToPin);
PORTCLASSAPI NTSTATUS NTAPI PcRegisterPhysicalConnectionToExternal(_In_ PDEVICE_OBJECT DeviceObject,
                                                                   _In_ PUNKNOWN FromUnknown, _In_ ULONG FromPin,
                                                                   _In_ PUNICODE_STRING ToString, _In_ ULONG ToPin);
PORTCLASSAPI NTSTATUS NTAPI PcRegisterPhysicalConnectionFromExternal(_In_ PDEVICE_OBJECT DeviceObject,
                                                                     _In_ PUNICODE_STRING FromString,
                                                                     _In_ ULONG FromPin, _In_ PUNKNOWN ToUnknown,
                                                                     _In_ ULONG ToPin);

// pvContext1 is the adapter's functional device object, typed PVOID in the WDK.
PORTCLASSAPI NTSTATUS NTAPI PcRegisterAdapterPowerManagement(_In_ PUNKNOWN Unknown, _In_ PVOID pvContext1);
// Windows 7 and later; only after a successful PcRegisterAdapterPowerManagement.
PORTCLASSAPI NTSTATUS NTAPI PcUnregisterAdapterPowerManagement(_In_ PDEVICE_OBJECT pDeviceObject);

PORTCLASSAPI NTSTATUS NTAPI PcNewResourceList(_Out_ PRESOURCELIST* OutResourceList, _In_opt_ PUNKNOWN OuterUnknown,
                                              _In_ POOL_TYPE PoolType,
                                              _In_ struct _CM_RESOURCE_LIST* TranslatedResources,
                                              _In_ struct _CM_RESOURCE_LIST* UntranslatedResources);
PORTCLASSAPI NTSTATUS NTAPI PcNewResourceSublist(_Out_ PRESOURCELIST* OutResourceList,
                                                 _In_opt_ PUNKNOWN OuterUnknown, _In_ POOL_TYPE PoolType,
                                                 _In_ PRESOURCELIST ParentList, _In_ ULONG MaximumEntries);

PORTCLASSAPI NTSTATUS NTAPI PcNewRegistryKey(_Out_ PREGISTRYKEY* OutRegistryKey, _In_opt_ PUNKNOWN OuterUnknown,
                                             _In_ ULONG RegistryKeyType, _In_ ACCESS_MASK DesiredAccess,
                                             _In_opt_ PVOID DeviceObject, _In_opt_ PVOID SubDevice,
                                             _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                                             _In_opt_ ULONG CreateOptions, _Out_opt_ PULONG Disposition);

PORTCLASSAPI NTSTATUS NTAPI PcGetDeviceProperty(_In_ PVOID DeviceObject, _In_ DEVICE_REGISTRY_PROPERTY DeviceProperty,
                                                _In_ ULONG BufferLength, _Out_ PVOID PropertyBuffer,
                                                _Out_ PULONG ResultLength);

// Completes a request whose handler returned STATUS_PENDING, and frees it.
PORTCLASSAPI NTSTATUS NTAPI PcCompletePendingPropertyRequest(_In_ PPCPROPERTY_REQUEST PropertyRequest,
                                                             _In_ NTSTATUS NtStatus);

// System time elapsed since Since; both in 100 ns units.
PORTCLASSAPI ULONGLONG NTAPI PcGetTimeInterval(_In_ ULONGLONG Since);

#define GTI_SECONDS(t) (ULONGLONG(t) * 10000000)
#define GTI_MILLISECONDS(t) (ULONGLONG(t) * 10000)
#define GTI_MICROSECONDS(t) (ULONGLONG(t) * 10)

// ==== Windows x64 layout ===========================================================================
// Drivers fill these with positional initializers and the port walks them with the PinSize /
// NodeSize / *ItemSize strides, so field offsets are part of the contract. Offsets follow from the
// WDK field order and natural alignment; docs/abi-portcls.md lists each one.

static_assert(sizeof(PCPROPERTY_ITEM) == 24 && offsetof(PCPROPERTY_ITEM, Id) == 8 &&
              offsetof(PCPROPERTY_ITEM, Flags) == 12 && offsetof(PCPROPERTY_ITEM, Handler) == 16);
static_assert(sizeof(PCMETHOD_ITEM) == 24 && offsetof(PCMETHOD_ITEM, Handler) == 16);
static_assert(sizeof(PCEVENT_ITEM) == 24 && offsetof(PCEVENT_ITEM, Handler) == 16);
static_assert(sizeof(PCAUTOMATION_TABLE) == 56 && offsetof(PCAUTOMATION_TABLE, Properties) == 8 &&
              offsetof(PCAUTOMATION_TABLE, MethodItemSize) == 16 && offsetof(PCAUTOMATION_TABLE, Methods) == 24 &&
              offsetof(PCAUTOMATION_TABLE, EventItemSize) == 32 && offsetof(PCAUTOMATION_TABLE, Events) == 40 &&
              offsetof(PCAUTOMATION_TABLE, Reserved) == 48);
static_assert(sizeof(PCPIN_DESCRIPTOR) == 112 && offsetof(PCPIN_DESCRIPTOR, MinFilterInstanceCount) == 8 &&
              offsetof(PCPIN_DESCRIPTOR, AutomationTable) == 16 && offsetof(PCPIN_DESCRIPTOR, KsPinDescriptor) == 24);
static_assert(sizeof(PCNODE_DESCRIPTOR) == 32 && offsetof(PCNODE_DESCRIPTOR, AutomationTable) == 8 &&
              offsetof(PCNODE_DESCRIPTOR, Type) == 16 && offsetof(PCNODE_DESCRIPTOR, Name) == 24);
static_assert(sizeof(PCCONNECTION_DESCRIPTOR) == 16);
static_assert(sizeof(PCFILTER_DESCRIPTOR) == 80 && offsetof(PCFILTER_DESCRIPTOR, AutomationTable) == 8 &&
              offsetof(PCFILTER_DESCRIPTOR, PinSize) == 16 && offsetof(PCFILTER_DESCRIPTOR, Pins) == 24 &&
              offsetof(PCFILTER_DESCRIPTOR, NodeSize) == 32 && offsetof(PCFILTER_DESCRIPTOR, Nodes) == 40 &&
              offsetof(PCFILTER_DESCRIPTOR, ConnectionCount) == 48 && offsetof(PCFILTER_DESCRIPTOR, Connections) == 56 &&
              offsetof(PCFILTER_DESCRIPTOR, CategoryCount) == 64 && offsetof(PCFILTER_DESCRIPTOR, Categories) == 72);
static_assert(sizeof(PCPROPERTY_REQUEST) == 72 && offsetof(PCPROPERTY_REQUEST, Node) == 16 &&
              offsetof(PCPROPERTY_REQUEST, PropertyItem) == 24 && offsetof(PCPROPERTY_REQUEST, Verb) == 32 &&
              offsetof(PCPROPERTY_REQUEST, InstanceSize) == 36 && offsetof(PCPROPERTY_REQUEST, Instance) == 40 &&
              offsetof(PCPROPERTY_REQUEST, ValueSize) == 48 && offsetof(PCPROPERTY_REQUEST, Value) == 56 &&
              offsetof(PCPROPERTY_REQUEST, Irp) == 64);
static_assert(sizeof(PCMETHOD_REQUEST) == 40 && offsetof(PCMETHOD_REQUEST, MethodItem) == 24 &&
              offsetof(PCMETHOD_REQUEST, Verb) == 32);
static_assert(sizeof(PCEVENT_REQUEST) == 56 && offsetof(PCEVENT_REQUEST, EventItem) == 24 &&
              offsetof(PCEVENT_REQUEST, EventEntry) == 32 && offsetof(PCEVENT_REQUEST, Verb) == 40 &&
              offsetof(PCEVENT_REQUEST, Irp) == 48);
