// The topology miniports of the speaker and the microphone (topology/topology_miniport.h).
//
// Each is a filter with two bridge pins and three nodes in a line (device/filters.h):
//
//   pin 0 (bridge in) --> volume --> mute --> peak meter --> pin 1 (bridge out)
//
// The nodes are the codec stage's controls: every property request is forwarded to
// codec::CodecStage, which clamps, rounds and applies them to the samples. The miniport keeps no
// state of its own besides the way to the codec, so two clients (or the audio engine and a test)
// always see the same values.
//
// IRQL: property handlers run at PASSIVE_LEVEL under the port's device lock; the codec controls
// they call may be used up to DISPATCH_LEVEL.
#include "topology/topology_miniport.h"

#include <ksmedia.h>
#include <stdunk.h>

#include "codec/codec_stage.h"
#include "common/status.h"
#include "common/tags.h"
#include "device/device.h"
#include "device/filters.h"

namespace wavert::topology {
namespace {

using codec::CodecEndpoint;

// Channels of every node: the codec stage keeps a control per channel for up to eight.
constexpr ULONG kChannels = codec::kMaxChannels;
// KSNODEPROPERTY_AUDIO_CHANNEL.Channel of the master channel (ksmedia.h: -1 addresses the master).
// The codec has no separate master control, so the master means "every channel": a SET writes all
// of them and a GET reads channel 0.
constexpr LONG kMasterChannel = -1;

// KSPROPERTY_DESCRIPTION.PropTypeSet.Id: the variant type of the value (VT_I4 for a LONG level,
// VT_BOOL for a mute flag, as the KSPROPERTY_AUDIO_* pages give the value types).
constexpr ULONG kVtI4 = 3;
constexpr ULONG kVtBool = 11;

// KSDATAFORMAT_SUBTYPE_ANALOG {6DBA3190-67BD-11CF-A0F7-0020AFD156E4}: the format of a topology
// bridge pin, which carries an analog signal rather than a stream (ksmedia.h; the host headers do
// not declare it).
constexpr GUID kSubtypeAnalog = {0x6dba3190, 0x67bd, 0x11cf, {0xa0, 0xf7, 0x00, 0x20, 0xaf, 0xd1, 0x56, 0xe4}};

class TopologyMiniport : public IMiniportTopology, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  TopologyMiniport(PUNKNOWN outer, TopologyFilter filter) : CUnknown(outer), filter_(filter) {}
  ~TopologyMiniport();
  // IMiniport, IMiniportTopology (spelled out: mingw's portcls.h has no IMP_IMiniportTopology).
  IMP_IMiniport;
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN UnknownAdapter, PRESOURCELIST ResourceList, PPORTTOPOLOGY Port);

  // The miniport a property request is for: MajorTarget is the miniport's IUnknown, which for
  // this class is its IMiniportTopology (the first base).
  static TopologyMiniport* from_request(PPCPROPERTY_REQUEST request) {
    return static_cast<TopologyMiniport*>(reinterpret_cast<PMINIPORTTOPOLOGY>(request->MajorTarget));
  }
  CodecEndpoint endpoint() const {
    switch (filter_) {
      case TopologyFilter::Speaker:
        return CodecEndpoint::Speaker;
      case TopologyFilter::Microphone:
        return CodecEndpoint::Microphone;
    }
    return CodecEndpoint::Speaker;
  }
  codec::CodecStage* codec() const { return codec_; }

 private:
  const TopologyFilter filter_;
  // Held from Init to destruction: the adapter owns the Device and with it the codec stage, so the
  // reference keeps codec_ valid for every request the port can still send.
  IWavertAdapter* adapter_ = nullptr;
  codec::CodecStage* codec_ = nullptr;
};

// ---- Request helpers --------------------------------------------------------------------------

// The channel of a KSNODEPROPERTY_AUDIO_CHANNEL request: Instance points past the KSNODEPROPERTY
// header, at Channel. `*master` is set for channel -1.
NTSTATUS request_channel(PPCPROPERTY_REQUEST request, ULONG* channel, bool* master) {
  if (request->InstanceSize < sizeof(LONG) || request->Instance == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  LONG value = 0;
  RtlCopyMemory(&value, request->Instance, sizeof value);
  *master = value == kMasterChannel;
  if (*master) {
    *channel = 0;
    return STATUS_SUCCESS;
  }
  if (value < 0 || static_cast<ULONG>(value) >= kChannels) {
    return STATUS_INVALID_PARAMETER;
  }
  *channel = static_cast<ULONG>(value);
  return STATUS_SUCCESS;
}

// A GET of a LONG: the size rules of KS (0 bytes: the needed size with BUFFER_OVERFLOW; too few:
// BUFFER_TOO_SMALL).
NTSTATUS return_long(PPCPROPERTY_REQUEST request, LONG value) {
  if (request->ValueSize < sizeof(LONG)) {
    const NTSTATUS status = request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
    request->ValueSize = sizeof(LONG);
    return status;
  }
  RtlCopyMemory(request->Value, &value, sizeof value);
  request->ValueSize = sizeof(LONG);
  return STATUS_SUCCESS;
}

NTSTATUS read_long(PPCPROPERTY_REQUEST request, LONG* value) {
  if (request->ValueSize < sizeof(LONG) || request->Value == nullptr) {
    return STATUS_BUFFER_TOO_SMALL;
  }
  RtlCopyMemory(value, request->Value, sizeof *value);
  return STATUS_SUCCESS;
}

// BASICSUPPORT of a per-channel LONG property with a stepped range (KSPROPERTY_DESCRIPTION, one
// KSPROPERTY_MEMBERSHEADER flagged BASICSUPPORT_MULTICHANNEL, a KSPROPERTY_STEPPING_LONG per
// channel -- what the audio endpoint builder reads to learn a volume node's channels and range).
// A 4-byte buffer gets the access flags; a description-sized one the description, whose
// DescriptionSize tells the caller how much the whole answer needs.
NTSTATUS basic_support_stepped(PPCPROPERTY_REQUEST request, ULONG access, LONG minimum, LONG maximum, ULONG step) {
  constexpr ULONG kFullBytes = sizeof(KSPROPERTY_DESCRIPTION) + sizeof(KSPROPERTY_MEMBERSHEADER) +
                               kChannels * sizeof(KSPROPERTY_STEPPING_LONG);
  if (request->ValueSize == sizeof(ULONG)) {
    RtlCopyMemory(request->Value, &access, sizeof access);
    return STATUS_SUCCESS;
  }
  if (request->ValueSize < sizeof(KSPROPERTY_DESCRIPTION)) {
    const NTSTATUS status = request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
    request->ValueSize = kFullBytes;
    return status;
  }
  auto* description = static_cast<PKSPROPERTY_DESCRIPTION>(request->Value);
  description->AccessFlags = access;
  description->DescriptionSize = kFullBytes;
  description->PropTypeSet.Set = KSPROPTYPESETID_General;
  description->PropTypeSet.Id = kVtI4;
  description->PropTypeSet.Flags = 0;
  description->MembersListCount = 1;
  description->Reserved = 0;
  if (request->ValueSize < kFullBytes) {
    request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
    return STATUS_SUCCESS;
  }
  auto* members = reinterpret_cast<PKSPROPERTY_MEMBERSHEADER>(description + 1);
  members->MembersFlags = KSPROPERTY_MEMBER_STEPPEDRANGES;
  members->MembersSize = sizeof(KSPROPERTY_STEPPING_LONG);
  members->MembersCount = kChannels;
  members->Flags = KSPROPERTY_MEMBER_FLAG_BASICSUPPORT_MULTICHANNEL;
  auto* ranges = reinterpret_cast<PKSPROPERTY_STEPPING_LONG>(members + 1);
  for (ULONG channel = 0; channel < kChannels; ++channel) {
    ranges[channel].SteppingDelta = step;
    ranges[channel].Reserved = 0;
    ranges[channel].Bounds.SignedMinimum = minimum;
    ranges[channel].Bounds.SignedMaximum = maximum;
  }
  request->ValueSize = kFullBytes;
  return STATUS_SUCCESS;
}

// BASICSUPPORT of the mute flag: the access flags, or a description of a VT_BOOL with no members.
NTSTATUS basic_support_bool(PPCPROPERTY_REQUEST request, ULONG access) {
  if (request->ValueSize == sizeof(ULONG)) {
    RtlCopyMemory(request->Value, &access, sizeof access);
    return STATUS_SUCCESS;
  }
  if (request->ValueSize < sizeof(KSPROPERTY_DESCRIPTION)) {
    const NTSTATUS status = request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
    request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
    return status;
  }
  auto* description = static_cast<PKSPROPERTY_DESCRIPTION>(request->Value);
  description->AccessFlags = access;
  description->DescriptionSize = sizeof(KSPROPERTY_DESCRIPTION);
  description->PropTypeSet.Set = KSPROPTYPESETID_General;
  description->PropTypeSet.Id = kVtBool;
  description->PropTypeSet.Flags = 0;
  description->MembersListCount = 0;
  description->Reserved = 0;
  request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
  return STATUS_SUCCESS;
}

// ---- Property handlers (PASSIVE_LEVEL, device lock held by the port) ---------------------------

constexpr ULONG kReadWrite = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT;
constexpr ULONG kReadOnly = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_BASICSUPPORT;

// KSPROPERTY_AUDIO_VOLUMELEVEL: dB in signed 16.16 fixed point, -96..0 dB in 0.5 dB steps. The
// codec clamps and rounds a SET to that grid; a GET returns what it applies.
NTSTATUS volume_handler(PPCPROPERTY_REQUEST request) {
  PAGED_CODE();
  TopologyMiniport* miniport = TopologyMiniport::from_request(request);
  if (request->Node != filters::kVolumeNode) {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  if ((request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) != 0) {
    return basic_support_stepped(request, kReadWrite, codec::kVolumeMinimum, codec::kVolumeMaximum,
                                 static_cast<ULONG>(codec::kVolumeStep));
  }
  ULONG channel = 0;
  bool master = false;
  WAVERT_RETURN_IF_FAILED(request_channel(request, &channel, &master));
  codec::CodecStage& codec = *miniport->codec();
  if ((request->Verb & KSPROPERTY_TYPE_GET) != 0) {
    return return_long(request, codec.volume(miniport->endpoint(), channel));
  }
  LONG level = 0;
  WAVERT_RETURN_IF_FAILED(read_long(request, &level));
  if (master) {
    for (ULONG c = 0; c < kChannels; ++c) {
      codec.set_volume(miniport->endpoint(), c, level);
    }
  } else {
    codec.set_volume(miniport->endpoint(), channel, level);
  }
  return STATUS_SUCCESS;
}

// KSPROPERTY_AUDIO_MUTE: a BOOL per channel; any non-zero value mutes.
NTSTATUS mute_handler(PPCPROPERTY_REQUEST request) {
  PAGED_CODE();
  TopologyMiniport* miniport = TopologyMiniport::from_request(request);
  if (request->Node != filters::kMuteNode) {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  if ((request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) != 0) {
    return basic_support_bool(request, kReadWrite);
  }
  ULONG channel = 0;
  bool master = false;
  WAVERT_RETURN_IF_FAILED(request_channel(request, &channel, &master));
  codec::CodecStage& codec = *miniport->codec();
  if ((request->Verb & KSPROPERTY_TYPE_GET) != 0) {
    return return_long(request, codec.mute(miniport->endpoint(), channel) ? TRUE : FALSE);
  }
  LONG value = 0;
  WAVERT_RETURN_IF_FAILED(read_long(request, &value));
  if (master) {
    for (ULONG c = 0; c < kChannels; ++c) {
      codec.set_mute(miniport->endpoint(), c, value != 0);
    }
  } else {
    codec.set_mute(miniport->endpoint(), channel, value != 0);
  }
  return STATUS_SUCCESS;
}

// KSPROPERTY_AUDIO_PEAKMETER2: the largest absolute sample after volume and mute since the last
// read, linear, full scale = LONG_MAX; a successful read resets the meter (ksmedia.h /
// KSPROPERTY_AUDIO_PEAKMETER2: "If the request succeeds, it resets the peakmeter"). Its basic
// support range is LONG_MIN..LONG_MAX, as that page requires. The deprecated
// KSPROPERTY_AUDIO_PEAKMETER reads the same meter on its old 16-bit scale (0x8000..0x7FFF).
// The master channel reads the loudest channel (and resets them all).
NTSTATUS peak_handler(PPCPROPERTY_REQUEST request) {
  PAGED_CODE();
  TopologyMiniport* miniport = TopologyMiniport::from_request(request);
  if (request->Node != filters::kPeakMeterNode) {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  const bool legacy = request->PropertyItem->Id == KSPROPERTY_AUDIO_PEAKMETER;
  if ((request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) != 0) {
    return legacy ? basic_support_stepped(request, kReadOnly, -0x8000, 0x7FFF, 1)
                  : basic_support_stepped(request, kReadOnly, static_cast<LONG>(0x80000000u), 0x7FFFFFFF, 1);
  }
  if ((request->Verb & KSPROPERTY_TYPE_GET) == 0) {
    return STATUS_INVALID_DEVICE_REQUEST;  // a meter cannot be set
  }
  ULONG channel = 0;
  bool master = false;
  WAVERT_RETURN_IF_FAILED(request_channel(request, &channel, &master));
  // Check the buffer first: a failed request must leave the meter as it was.
  if (request->ValueSize < sizeof(LONG)) {
    return return_long(request, 0);
  }
  codec::CodecStage& codec = *miniport->codec();
  LONG peak = 0;
  if (master) {
    for (ULONG c = 0; c < kChannels; ++c) {
      const LONG p = codec.take_peak(miniport->endpoint(), c);
      peak = p > peak ? p : peak;
    }
  } else {
    peak = codec.take_peak(miniport->endpoint(), channel);
  }
  return return_long(request, legacy ? peak >> 16 : peak);
}

// KSPROPERTY_JACK_DESCRIPTION on the bridge pin that faces the outside world (the speaker's
// bridge out, the microphone's bridge in): a KSMULTIPLE_ITEM with one KSJACK_DESCRIPTION. The
// virtual card presents a rear 3.5 mm jack of the conventional colour, always connected, carrying
// every channel the codec stage controls. Other pins have no jack: STATUS_INVALID_DEVICE_REQUEST.
// The request arrives through the filter (KSP_PIN): Instance holds PinId.
NTSTATUS jack_description_handler(PPCPROPERTY_REQUEST request) {
  PAGED_CODE();
  TopologyMiniport* miniport = TopologyMiniport::from_request(request);
  if (request->InstanceSize < sizeof(ULONG) || request->Instance == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  ULONG pin = 0;
  RtlCopyMemory(&pin, request->Instance, sizeof pin);
  const bool speaker = miniport->endpoint() == CodecEndpoint::Speaker;
  const ULONG jack_pin = speaker ? filters::kTopologyBridgeOutPin : filters::kTopologyBridgeInPin;
  if (pin != jack_pin) {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  constexpr ULONG kBytes = sizeof(KSMULTIPLE_ITEM) + sizeof(KSJACK_DESCRIPTION);
  if (request->ValueSize < kBytes) {
    const NTSTATUS status = request->ValueSize == 0 ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
    request->ValueSize = kBytes;
    return status;
  }
  KSMULTIPLE_ITEM header;
  header.Size = kBytes;
  header.Count = 1;
  KSJACK_DESCRIPTION jack;
  RtlZeroMemory(&jack, sizeof jack);
  jack.ChannelMapping = KSAUDIO_SPEAKER_7POINT1_SURROUND;  // codec::kMaxChannels channels
  // 0x00RRGGBB: HDA's colour codes, green for line/speaker out and pink for microphone in.
  jack.Color = speaker ? 0x0000FF00u : 0x00FF80C0u;
  jack.ConnectionType = eConnType3Point5mm;
  jack.GeoLocation = eGeoLocRear;
  jack.GenLocation = eGenLocPrimaryBox;
  jack.PortConnection = ePortConnJack;
  jack.IsConnected = TRUE;
  auto* out = static_cast<PUCHAR>(request->Value);
  RtlCopyMemory(out, &header, sizeof header);
  RtlCopyMemory(out + sizeof header, &jack, sizeof jack);
  request->ValueSize = kBytes;
  return STATUS_SUCCESS;
}

// ---- Filter description -------------------------------------------------------------------------

const PCPROPERTY_ITEM kVolumeProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_VOLUMELEVEL,
     PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT, volume_handler},
};
const PCPROPERTY_ITEM kMuteProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_MUTE,
     PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT, mute_handler},
};
const PCPROPERTY_ITEM kPeakMeterProperties[] = {
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_PEAKMETER2, PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT,
     peak_handler},
    {&KSPROPSETID_Audio, KSPROPERTY_AUDIO_PEAKMETER, PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_BASICSUPPORT,
     peak_handler},
};
const PCPROPERTY_ITEM kFilterProperties[] = {
    {&KSPROPSETID_Jack, KSPROPERTY_JACK_DESCRIPTION, PCPROPERTY_ITEM_FLAG_GET, jack_description_handler},
};
DEFINE_PCAUTOMATION_TABLE_PROP(kFilterAutomation, kFilterProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(kVolumeAutomation, kVolumeProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(kMuteAutomation, kMuteProperties);
DEFINE_PCAUTOMATION_TABLE_PROP(kPeakMeterAutomation, kPeakMeterProperties);

// Bridge pins carry the analog signal between filters; PortCls never instantiates them
// (instance counts 0).
KSDATARANGE g_bridge_range = {sizeof(KSDATARANGE), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), kSubtypeAnalog,
                               STATICGUIDOF(KSDATAFORMAT_SPECIFIER_NONE)};
PKSDATARANGE g_bridge_ranges[] = {&g_bridge_range};

// Pin categories as the Windows audio stack reads a topology filter: the pin facing the wave filter
// is KSCATEGORY_AUDIO; the pin facing the outside world names the endpoint's form factor
// (KSNODETYPE_SPEAKER, KSNODETYPE_MICROPHONE), which becomes the endpoint's type.
constexpr PCPIN_DESCRIPTOR bridge_pin(KSPIN_DATAFLOW flow, const GUID* category) {
  return {0, 0, 0, nullptr,
          {0, nullptr, 0, nullptr, SIZEOF_ARRAY(g_bridge_ranges), g_bridge_ranges, flow, KSPIN_COMMUNICATION_NONE,
           category, nullptr, 0}};
}

const PCPIN_DESCRIPTOR kSpeakerPins[] = {
    bridge_pin(KSPIN_DATAFLOW_IN, &KSCATEGORY_AUDIO),     // filters::kTopologyBridgeInPin, from the wave filter
    bridge_pin(KSPIN_DATAFLOW_OUT, &KSNODETYPE_SPEAKER),  // filters::kTopologyBridgeOutPin, the speaker jack
};
const PCPIN_DESCRIPTOR kMicrophonePins[] = {
    bridge_pin(KSPIN_DATAFLOW_IN, &KSNODETYPE_MICROPHONE),  // filters::kTopologyBridgeInPin, the microphone jack
    bridge_pin(KSPIN_DATAFLOW_OUT, &KSCATEGORY_AUDIO),      // filters::kTopologyBridgeOutPin, to the wave filter
};
static_assert(filters::kTopologyBridgeInPin == 0 && filters::kTopologyBridgeOutPin == 1, "pin order above");

const PCNODE_DESCRIPTOR kSpeakerNodes[] = {
    {0, &kVolumeAutomation, &KSNODETYPE_VOLUME, &KSAUDFNAME_MASTER_VOLUME},
    {0, &kMuteAutomation, &KSNODETYPE_MUTE, &KSAUDFNAME_MASTER_MUTE},
    {0, &kPeakMeterAutomation, &KSNODETYPE_PEAKMETER, &KSAUDFNAME_PEAKMETER},
};
const PCNODE_DESCRIPTOR kMicrophoneNodes[] = {
    {0, &kVolumeAutomation, &KSNODETYPE_VOLUME, &KSAUDFNAME_MIC_VOLUME},
    {0, &kMuteAutomation, &KSNODETYPE_MUTE, &KSAUDFNAME_MIC_MUTE},
    {0, &kPeakMeterAutomation, &KSNODETYPE_PEAKMETER, &KSAUDFNAME_PEAKMETER},
};
static_assert(filters::kVolumeNode == 0 && filters::kMuteNode == 1 && filters::kPeakMeterNode == 2,
              "node order above");

// Bridge in -> volume -> mute -> peak meter -> bridge out. A node's input is KSNODEPIN_STANDARD_IN
// (1), its output KSNODEPIN_STANDARD_OUT (0).
const PCCONNECTION_DESCRIPTOR kConnections[] = {
    {PCFILTER_NODE, filters::kTopologyBridgeInPin, filters::kVolumeNode, KSNODEPIN_STANDARD_IN},
    {filters::kVolumeNode, KSNODEPIN_STANDARD_OUT, filters::kMuteNode, KSNODEPIN_STANDARD_IN},
    {filters::kMuteNode, KSNODEPIN_STANDARD_OUT, filters::kPeakMeterNode, KSNODEPIN_STANDARD_IN},
    {filters::kPeakMeterNode, KSNODEPIN_STANDARD_OUT, PCFILTER_NODE, filters::kTopologyBridgeOutPin},
};

const GUID kCategories[] = {
    {STATICGUIDOF(KSCATEGORY_AUDIO)},
    {STATICGUIDOF(KSCATEGORY_TOPOLOGY)},
};

PCFILTER_DESCRIPTOR g_speaker_filter = {0,
                                        &kFilterAutomation,
                                        sizeof(PCPIN_DESCRIPTOR),
                                        SIZEOF_ARRAY(kSpeakerPins),
                                        kSpeakerPins,
                                        sizeof(PCNODE_DESCRIPTOR),
                                        SIZEOF_ARRAY(kSpeakerNodes),
                                        kSpeakerNodes,
                                        SIZEOF_ARRAY(kConnections),
                                        kConnections,
                                        SIZEOF_ARRAY(kCategories),
                                        kCategories};
PCFILTER_DESCRIPTOR g_microphone_filter = {0,
                                           &kFilterAutomation,
                                           sizeof(PCPIN_DESCRIPTOR),
                                           SIZEOF_ARRAY(kMicrophonePins),
                                           kMicrophonePins,
                                           sizeof(PCNODE_DESCRIPTOR),
                                           SIZEOF_ARRAY(kMicrophoneNodes),
                                           kMicrophoneNodes,
                                           SIZEOF_ARRAY(kConnections),
                                           kConnections,
                                           SIZEOF_ARRAY(kCategories),
                                           kCategories};

// ---- The miniport object ------------------------------------------------------------------------

TopologyMiniport::~TopologyMiniport() {
  PAGED_CODE();
  if (adapter_ != nullptr) {
    adapter_->Release();
  }
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  PAGED_CODE();
  if (IsEqualGUIDAligned(iid, IID_IUnknown)) {
    *out = PVOID(PUNKNOWN(PMINIPORTTOPOLOGY(this)));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniport)) {
    *out = PVOID(PMINIPORT(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportTopology)) {
    *out = PVOID(PMINIPORTTOPOLOGY(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::Init(PUNKNOWN unknown_adapter, PRESOURCELIST, PPORTTOPOLOGY) {
  PAGED_CODE();
  if (unknown_adapter == nullptr || adapter_ != nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  IWavertAdapter* adapter = nullptr;
  WAVERT_RETURN_IF_FAILED(unknown_adapter->QueryInterface(IID_IWavertAdapter, reinterpret_cast<PVOID*>(&adapter)));
  Device* device = adapter->GetDevice();
  if (device == nullptr) {
    adapter->Release();
    return STATUS_INVALID_DEVICE_STATE;
  }
  adapter_ = adapter;
  codec_ = &device->codec();
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  PAGED_CODE();
  switch (filter_) {
    case TopologyFilter::Speaker:
      *description = &g_speaker_filter;
      return STATUS_SUCCESS;
    case TopologyFilter::Microphone:
      *description = &g_microphone_filter;
      return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_STATE;
}

// Only bridge pins, which are never instantiated: the port's default answer is the right one.
STDMETHODIMP_(NTSTATUS) TopologyMiniport::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID,
                                                                PULONG) {
  PAGED_CODE();
  return STATUS_NOT_IMPLEMENTED;
}

}  // namespace

NTSTATUS create_topology_miniport(TopologyFilter filter, PUNKNOWN* out) {
  PAGED_CODE();
  *out = nullptr;
  auto* miniport = new (NonPagedPoolNx, tags::kTopology) TopologyMiniport(nullptr, filter);
  if (miniport == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *out = PUNKNOWN(PMINIPORTTOPOLOGY(miniport));
  (*out)->AddRef();
  return STATUS_SUCCESS;
}

}  // namespace wavert::topology
