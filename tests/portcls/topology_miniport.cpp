// A topology miniport and its adapter, written the way WDK audio samples write them and built with
// the driver's flags. See topology_miniport.h for the filter layout.
#include "topology_miniport.h"

#include <stdunk.h>

namespace topology_test {

// ---- Hardware state (a real driver keeps this in its device extension) ---------------------------

static LONG g_Volume[kChannels];  // 1/65536 dB; zero-initialized = 0 dB
static LONG g_Mute[kChannels];    // BOOL per channel
static LONG g_Peak[kChannels];
static LONG g_ChannelConfig = KSAUDIO_SPEAKER_STEREO;
static LastRequest g_Last;
static PUNKNOWN g_MiniportUnknown;

static void Record(PPCPROPERTY_REQUEST Request) {
  g_Last.major_target = Request->MajorTarget;
  g_Last.minor_target = Request->MinorTarget;
  g_Last.node = Request->Node;
  g_Last.verb = Request->Verb;
  g_Last.instance_size = Request->InstanceSize;
  g_Last.value_size = Request->ValueSize;
  g_Last.handler_calls++;
}

LastRequest LastPropertyRequest() { return g_Last; }
PUNKNOWN MiniportUnknown() { return g_MiniportUnknown; }
void SetPeak(ULONG Channel, LONG Peak) {
  if (Channel < kChannels) g_Peak[Channel] = Peak;
}

// The channel a KSNODEPROPERTY_AUDIO_CHANNEL request names: Instance points past the KSP_NODE
// header, at KSNODEPROPERTY_AUDIO_CHANNEL.Channel.
static NTSTATUS RequestChannel(PPCPROPERTY_REQUEST Request, ULONG* Channel) {
  if (Request->InstanceSize < sizeof(LONG)) return STATUS_INVALID_PARAMETER;
  LONG channel = *(const LONG*)Request->Instance;
  if (channel < 0 || (ULONG)channel >= kChannels) return STATUS_INVALID_PARAMETER;
  *Channel = (ULONG)channel;
  return STATUS_SUCCESS;
}

// A per-channel LONG: GET and SET of `Values[channel]`; SET values pass through `Clamp`.
static NTSTATUS PerChannelLong(PPCPROPERTY_REQUEST Request, LONG* Values, LONG (*Clamp)(LONG), BOOLEAN Settable) {
  ULONG channel;
  NTSTATUS status = RequestChannel(Request, &channel);
  if (!NT_SUCCESS(status)) return status;
  if (Request->Verb & KSPROPERTY_TYPE_GET) {
    if (Request->ValueSize < sizeof(LONG)) {
      Request->ValueSize = sizeof(LONG);
      return Request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
    }
    *(LONG*)Request->Value = Values[channel];
    Request->ValueSize = sizeof(LONG);
    return STATUS_SUCCESS;
  }
  if ((Request->Verb & KSPROPERTY_TYPE_SET) && Settable) {
    if (Request->ValueSize < sizeof(LONG)) return STATUS_BUFFER_TOO_SMALL;
    Values[channel] = Clamp(*(const LONG*)Request->Value);
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_REQUEST;
}

static LONG ClampVolume(LONG Value) {
  if (Value < kVolumeMinimum) return kVolumeMinimum;
  if (Value > kVolumeMaximum) return kVolumeMaximum;
  // Hardware steps are 0.5 dB: round to the nearest step (towards the maximum on a tie).
  LONG steps = (Value - kVolumeMinimum + (LONG)kVolumeStep / 2) / (LONG)kVolumeStep;
  return kVolumeMinimum + steps * (LONG)kVolumeStep;
}
static LONG ClampBool(LONG Value) { return Value != 0 ? TRUE : FALSE; }
static LONG Unchanged(LONG Value) { return Value; }

// BASICSUPPORT for the volume: KSPROPERTY_DESCRIPTION, then one KSPROPERTY_MEMBERSHEADER and a
// KSPROPERTY_STEPPING_LONG per channel (KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL), as the
// audio endpoint builder expects of a volume node. A 4-byte buffer gets the access flags; a
// description-sized buffer gets the description with the full size in DescriptionSize.
static NTSTATUS VolumeBasicSupport(PPCPROPERTY_REQUEST Request) {
  const ULONG access = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT;
  const ULONG full = sizeof(KSPROPERTY_DESCRIPTION) + sizeof(KSPROPERTY_MEMBERSHEADER) +
                     kChannels * sizeof(KSPROPERTY_STEPPING_LONG);
  if (Request->ValueSize == sizeof(ULONG)) {
    *(PULONG)Request->Value = access;
    return STATUS_SUCCESS;
  }
  if (Request->ValueSize < sizeof(KSPROPERTY_DESCRIPTION)) {
    Request->ValueSize = full;
    return Request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
  }
  PKSPROPERTY_DESCRIPTION description = (PKSPROPERTY_DESCRIPTION)Request->Value;
  description->AccessFlags = access;
  description->DescriptionSize = full;
  description->PropTypeSet.Set = KSPROPTYPESETID_General;
  description->PropTypeSet.Id = 3;  // VT_I4: the value is a LONG
  description->PropTypeSet.Flags = 0;
  description->MembersListCount = 1;
  description->Reserved = 0;
  if (Request->ValueSize < full) {
    Request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
    return STATUS_SUCCESS;
  }
  PKSPROPERTY_MEMBERSHEADER members = (PKSPROPERTY_MEMBERSHEADER)(description + 1);
  members->MembersFlags = KSPROPERTY_MEMBER_STEPPEDRANGES;
  members->MembersSize = sizeof(KSPROPERTY_STEPPING_LONG);
  members->MembersCount = kChannels;
  members->Flags = KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL;
  PKSPROPERTY_STEPPING_LONG range = (PKSPROPERTY_STEPPING_LONG)(members + 1);
  for (ULONG channel = 0; channel < kChannels; ++channel) {
    range[channel].SteppingDelta = kVolumeStep;
    range[channel].Reserved = 0;
    range[channel].Bounds.SignedMinimum = kVolumeMinimum;
    range[channel].Bounds.SignedMaximum = kVolumeMaximum;
  }
  Request->ValueSize = full;
  return STATUS_SUCCESS;
}

static NTSTATUS VolumeHandler(PPCPROPERTY_REQUEST Request) {
  Record(Request);
  if (Request->Node != kVolumeNode) return STATUS_INVALID_PARAMETER;
  if (Request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) return VolumeBasicSupport(Request);
  return PerChannelLong(Request, g_Volume, ClampVolume, TRUE);
}

static NTSTATUS MuteHandler(PPCPROPERTY_REQUEST Request) {
  Record(Request);
  if (Request->Node != kMuteNode) return STATUS_INVALID_PARAMETER;
  return PerChannelLong(Request, g_Mute, ClampBool, TRUE);
}

static NTSTATUS PeakHandler(PPCPROPERTY_REQUEST Request) {
  Record(Request);
  if (Request->Node != kPeakMeterNode) return STATUS_INVALID_PARAMETER;
  return PerChannelLong(Request, g_Peak, Unchanged, FALSE);  // a meter is read-only
}

static NTSTATUS ChannelConfigHandler(PPCPROPERTY_REQUEST Request) {
  Record(Request);
  if (Request->Verb & KSPROPERTY_TYPE_GET) {
    if (Request->ValueSize < sizeof(KSAUDIO_CHANNEL_CONFIG)) {
      Request->ValueSize = sizeof(KSAUDIO_CHANNEL_CONFIG);
      return STATUS_BUFFER_TOO_SMALL;
    }
    ((PKSAUDIO_CHANNEL_CONFIG)Request->Value)->ActiveSpeakerPositions = g_ChannelConfig;
    Request->ValueSize = sizeof(KSAUDIO_CHANNEL_CONFIG);
    return STATUS_SUCCESS;
  }
  if (Request->Verb & KSPROPERTY_TYPE_SET) {
    if (Request->ValueSize < sizeof(KSAUDIO_CHANNEL_CONFIG)) return STATUS_BUFFER_TOO_SMALL;
    LONG positions = ((const KSAUDIO_CHANNEL_CONFIG*)Request->Value)->ActiveSpeakerPositions;
    // The speaker jack carries two channels: mono and stereo are the configurations it can play.
    if (positions != KSAUDIO_SPEAKER_MONO && positions != KSAUDIO_SPEAKER_STEREO) return STATUS_INVALID_PARAMETER;
    g_ChannelConfig = positions;
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_REQUEST;
}

// KSPROPERTY_JACK_DESCRIPTION: a KSP_PIN request on the filter (Instance -> PinId); the reply is a
// KSMULTIPLE_ITEM followed by one KSJACK_DESCRIPTION per jack of that pin.
static NTSTATUS JackDescriptionHandler(PPCPROPERTY_REQUEST Request) {
  Record(Request);
  if (Request->InstanceSize < sizeof(ULONG)) return STATUS_INVALID_PARAMETER;
  ULONG pin = *(const ULONG*)Request->Instance;
  if (pin != kSpeakerPin) return STATUS_INVALID_DEVICE_REQUEST;  // only the speaker pin has a jack
  if (!(Request->Verb & KSPROPERTY_TYPE_GET)) return STATUS_INVALID_DEVICE_REQUEST;
  const ULONG needed = sizeof(KSMULTIPLE_ITEM) + sizeof(KSJACK_DESCRIPTION);
  if (Request->ValueSize == 0) {
    Request->ValueSize = needed;
    return STATUS_BUFFER_OVERFLOW;
  }
  if (Request->ValueSize < needed) {
    Request->ValueSize = needed;
    return STATUS_BUFFER_TOO_SMALL;
  }
  PKSMULTIPLE_ITEM item = (PKSMULTIPLE_ITEM)Request->Value;
  item->Size = needed;
  item->Count = 1;
  PKSJACK_DESCRIPTION jack = (PKSJACK_DESCRIPTION)(item + 1);
  jack->ChannelMapping = KSAUDIO_SPEAKER_STEREO;
  jack->Color = kJackColor;
  jack->ConnectionType = eConnType3Point5mm;
  jack->GeoLocation = eGeoLocRear;
  jack->GenLocation = eGenLocPrimaryBox;
  jack->PortConnection = ePortConnJack;
  jack->IsConnected = TRUE;
  Request->ValueSize = needed;
  return STATUS_SUCCESS;
}

static const PCPROPERTY_ITEM VolumeProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL,
     PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT, VolumeHandler},
};
static const PCPROPERTY_ITEM MuteProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_MUTE, PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET, MuteHandler},
};
static const PCPROPERTY_ITEM PeakProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_PEAKMETER2, PCPROPERTY_ITEM_FLAG_GET, PeakHandler},
};
static const PCPROPERTY_ITEM FilterProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_CHANNEL_CONFIG, PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET,
     ChannelConfigHandler},
    {&KSPROPSETID_Jack, KSPROPERTY_JACK_DESCRIPTION, PCPROPERTY_ITEM_FLAG_GET, JackDescriptionHandler},
};

DEFINE_PCAUTOMATION_TABLE_PROP(VolumeAutomation, VolumeProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(MuteAutomation, MuteProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(PeakAutomation, PeakProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(FilterAutomation, FilterProperties);

static KSDATARANGE BridgeRanges[] = {
    {sizeof(KSDATARANGE), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), STATICGUIDOF(KSDATAFORMAT_SUBTYPE_NONE),
     STATICGUIDOF(KSDATAFORMAT_SPECIFIER_NONE)},
};
static PKSDATARANGE BridgeRangePointers[] = {&BridgeRanges[0]};

static const PCPIN_DESCRIPTOR Pins[] = {
    {0, 0, 0, NULL,
     {0, NULL, 0, NULL, SIZEOF_ARRAY(BridgeRangePointers), BridgeRangePointers, KSPIN_DATAFLOW_IN,
      KSPIN_COMMUNICATION_NONE, &KSCATEGORY_AUDIO, NULL, 0}},
    {0, 0, 0, NULL,
     {0, NULL, 0, NULL, SIZEOF_ARRAY(BridgeRangePointers), BridgeRangePointers, KSPIN_DATAFLOW_OUT,
      KSPIN_COMMUNICATION_NONE, &KSNODETYPE_SPEAKER, NULL, 0}},
};

static const PCNODE_DESCRIPTOR Nodes[] = {
    {0, &VolumeAutomation, &KSNODETYPE_VOLUME, &KSAUDFNAME_MASTER_VOLUME},
    {0, &MuteAutomation, &KSNODETYPE_MUTE, &KSAUDFNAME_MASTER_MUTE},
    {0, &PeakAutomation, &KSNODETYPE_PEAKMETER, &KSAUDFNAME_PEAKMETER},
};

static const PCCONNECTION_DESCRIPTOR Connections[] = {
    {PCFILTER_NODE, kBridgeInPin, kVolumeNode, 1},
    {kVolumeNode, 0, kMuteNode, 1},
    {kMuteNode, 0, kPeakMeterNode, 1},
    {kPeakMeterNode, 0, PCFILTER_NODE, kSpeakerPin},
};

static const GUID Categories[] = {
    {STATICGUIDOF(KSCATEGORY_AUDIO)},
    {STATICGUIDOF(KSCATEGORY_TOPOLOGY)},
};

static PCFILTER_DESCRIPTOR FilterDescriptor = {
    0,  &FilterAutomation,   sizeof(PCPIN_DESCRIPTOR),   SIZEOF_ARRAY(Pins),  Pins,
    sizeof(PCNODE_DESCRIPTOR), SIZEOF_ARRAY(Nodes),       Nodes,               SIZEOF_ARRAY(Connections),
    Connections, SIZEOF_ARRAY(Categories), Categories};

// ---- The miniport object ---------------------------------------------------------------------------

class CMiniportTopology : public IMiniportTopology, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(CMiniportTopology);
  static void operator delete(void* p) noexcept { ExFreePool(p); }
  IMP_IMiniportTopology;
};

NTSTATUS CMiniportTopology::NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface) {
  if (IsEqualGUIDAligned(InterfaceId, IID_IUnknown)) {
    *Interface = PVOID(PUNKNOWN(PMINIPORTTOPOLOGY(this)));
  } else if (IsEqualGUIDAligned(InterfaceId, IID_IMiniport)) {
    *Interface = PVOID(PMINIPORT(this));
  } else if (IsEqualGUIDAligned(InterfaceId, IID_IMiniportTopology)) {
    *Interface = PVOID(PMINIPORTTOPOLOGY(this));
  } else {
    *Interface = NULL;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*Interface)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS CMiniportTopology::GetDescription(PPCFILTER_DESCRIPTOR* Description) {
  *Description = &FilterDescriptor;
  return STATUS_SUCCESS;
}

NTSTATUS CMiniportTopology::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID, PULONG) {
  return STATUS_NOT_IMPLEMENTED;  // bridge pins: the port's default handler decides
}

NTSTATUS CMiniportTopology::Init(PUNKNOWN, PRESOURCELIST, PPORTTOPOLOGY) { return STATUS_SUCCESS; }

// Pool tag "WtTo" (wavert topology), written as the ULONG the WDK's 'oTtW' literal makes.
static const ULONG kPoolTag = 0x6F547457;

// ---- Adapter ---------------------------------------------------------------------------------------

static NTSTATUS StartDevice(PDEVICE_OBJECT DeviceObject, PIRP Irp, PRESOURCELIST ResourceList) {
  PPORT port = NULL;
  NTSTATUS status = PcNewPort(&port, CLSID_PortTopology);
  if (!NT_SUCCESS(status)) return status;
  CMiniportTopology* miniport = new (NonPagedPoolNx, kPoolTag) CMiniportTopology(NULL);
  if (miniport == NULL) {
    port->Release();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  PUNKNOWN unknown = PUNKNOWN(PMINIPORTTOPOLOGY(miniport));
  unknown->AddRef();
  g_MiniportUnknown = unknown;
  status = port->Init(DeviceObject, Irp, unknown, NULL, ResourceList);
  if (NT_SUCCESS(status)) status = PcRegisterSubdevice(DeviceObject, (PWSTR)L"Topology", port);
  unknown->Release();  // the port holds its own reference from Init
  port->Release();     // the subdevice registration holds the port
  return status;
}

static NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
  return PcAddAdapterDevice(DriverObject, PhysicalDeviceObject, StartDevice, 1, 0);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  for (ULONG channel = 0; channel < kChannels; ++channel) g_Volume[channel] = g_Mute[channel] = g_Peak[channel] = 0;
  g_ChannelConfig = KSAUDIO_SPEAKER_STEREO;
  g_Last = LastRequest{};
  g_MiniportUnknown = NULL;
  return PcInitializeAdapterDriver(DriverObject, RegistryPath, AddDevice);
}

}  // namespace topology_test
