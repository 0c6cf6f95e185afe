// The wave filters' KS description (pin_tables.h). Every table here is constant-initialised:
// a driver has no global constructors (windows/README.md).
#include "wave/pin_tables.h"

#include <ksmedia.h>

#include "device/filters.h"
#include "wave/format.h"

namespace wavert::wave {
namespace {

// KSDATAFORMAT_SUBTYPE_ANALOG ({6DBA3190-67BD-11CF-A0F7-0020AFD156E4}), the subformat of an
// analog bridge pin. Not every header set has it, so the wave filter names its own copy.
inline constexpr GUID kAnalogSubtype = {0x6dba3190, 0x67bd, 0x11cf, {0xa0, 0xf7, 0x00, 0x20, 0xaf, 0xd1, 0x56, 0xe4}};

KSDATARANGE_AUDIO g_pcm_range = {
    {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, {STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO)},
      {STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM)}, {STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)}}},
    kMaxChannels, 8, 32, kMinRateHz, kMaxRateHz};
KSDATARANGE_AUDIO g_float_range = {
    {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, {STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO)},
      {STATICGUIDOF(KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)}, {STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)}}},
    kMaxChannels, 32, 32, kMinRateHz, kMaxRateHz};
KSDATARANGE g_bridge_range = {{sizeof(KSDATARANGE), 0, 0, 0, {STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO)},
                               kAnalogSubtype, {STATICGUIDOF(KSDATAFORMAT_SPECIFIER_NONE)}}};
const PKSDATARANGE g_bridge_ranges[] = {&g_bridge_range};

// Inside the speaker wave filter the render pin's stream goes out of the bridge pin (to the
// topology filter) and, as the codec's speaker output, to the loopback pin. Inside the microphone
// wave filter the bridge pin feeds the capture pin.
const PCCONNECTION_DESCRIPTOR g_speaker_connections[] = {
    {PCFILTER_NODE, filters::kSpeakerRenderPin, PCFILTER_NODE, filters::kSpeakerBridgePin},
    {PCFILTER_NODE, filters::kSpeakerRenderPin, PCFILTER_NODE, filters::kSpeakerLoopbackPin},
};
const PCCONNECTION_DESCRIPTOR g_microphone_connections[] = {
    {PCFILTER_NODE, filters::kMicrophoneBridgePin, PCFILTER_NODE, filters::kMicrophoneCapturePin},
};

// The speaker filter has a capture pin too (loopback), so it is listed under both directions.
const GUID g_speaker_categories[] = {{STATICGUIDOF(KSCATEGORY_AUDIO)},
                                     {STATICGUIDOF(KSCATEGORY_RENDER)},
                                     {STATICGUIDOF(KSCATEGORY_CAPTURE)},
                                     {STATICGUIDOF(KSCATEGORY_REALTIME)}};
const GUID g_microphone_categories[] = {
    {STATICGUIDOF(KSCATEGORY_AUDIO)}, {STATICGUIDOF(KSCATEGORY_CAPTURE)}, {STATICGUIDOF(KSCATEGORY_REALTIME)}};

PCPIN_DESCRIPTOR streaming_pin(ULONG max_instances, KSPIN_DATAFLOW flow, const GUID* name) {
  PCPIN_DESCRIPTOR pin = {};
  pin.MaxGlobalInstanceCount = max_instances;
  pin.MaxFilterInstanceCount = max_instances;
  pin.MinFilterInstanceCount = 0;
  pin.KsPinDescriptor.DataRangesCount = kStreamRangeCount;
  pin.KsPinDescriptor.DataRanges = kStreamRanges;
  pin.KsPinDescriptor.DataFlow = flow;
  pin.KsPinDescriptor.Communication = KSPIN_COMMUNICATION_SINK;
  pin.KsPinDescriptor.Category = &KSCATEGORY_AUDIO;
  pin.KsPinDescriptor.Name = name;
  return pin;
}

// A bridge pin: no instances, the analog range, no communication (it only shows the topology).
PCPIN_DESCRIPTOR bridge_pin(KSPIN_DATAFLOW flow) {
  PCPIN_DESCRIPTOR pin = {};
  pin.KsPinDescriptor.DataRangesCount = SIZEOF_ARRAY(g_bridge_ranges);
  pin.KsPinDescriptor.DataRanges = g_bridge_ranges;
  pin.KsPinDescriptor.DataFlow = flow;
  pin.KsPinDescriptor.Communication = KSPIN_COMMUNICATION_NONE;
  pin.KsPinDescriptor.Category = &KSCATEGORY_AUDIO;
  return pin;
}

}  // namespace

const PKSDATARANGE kStreamRanges[kStreamRangeCount] = {&g_pcm_range.DataRange, &g_float_range.DataRange};

void describe_filter(WaveFilter which, const DeviceParams& params, FilterTables* out) {
  RtlZeroMemory(out, sizeof *out);
  PCFILTER_DESCRIPTOR& filter = out->filter;
  filter.PinSize = sizeof(PCPIN_DESCRIPTOR);
  filter.Pins = out->pins;
  filter.NodeSize = sizeof(PCNODE_DESCRIPTOR);
  switch (which) {
    case WaveFilter::Speaker:
      out->pins[filters::kSpeakerRenderPin] =
          streaming_pin(params.max_render_streams, KSPIN_DATAFLOW_IN, &filters::kSpeakerPinName);
      out->pins[filters::kSpeakerBridgePin] = bridge_pin(KSPIN_DATAFLOW_OUT);
      out->pins[filters::kSpeakerLoopbackPin] =
          streaming_pin(params.max_loopback_streams, KSPIN_DATAFLOW_OUT, &filters::kLoopbackPinName);
      filter.PinCount = 3;
      filter.ConnectionCount = SIZEOF_ARRAY(g_speaker_connections);
      filter.Connections = g_speaker_connections;
      filter.CategoryCount = SIZEOF_ARRAY(g_speaker_categories);
      filter.Categories = g_speaker_categories;
      return;
    case WaveFilter::Microphone:
      out->pins[filters::kMicrophoneCapturePin] =
          streaming_pin(params.max_capture_streams, KSPIN_DATAFLOW_OUT, &filters::kMicrophonePinName);
      out->pins[filters::kMicrophoneBridgePin] = bridge_pin(KSPIN_DATAFLOW_IN);
      filter.PinCount = 2;
      filter.ConnectionCount = SIZEOF_ARRAY(g_microphone_connections);
      filter.Connections = g_microphone_connections;
      filter.CategoryCount = SIZEOF_ARRAY(g_microphone_categories);
      filter.Categories = g_microphone_categories;
      return;
  }
}

bool is_streaming_pin(WaveFilter which, ULONG pin) {
  switch (which) {
    case WaveFilter::Speaker:
      return pin == filters::kSpeakerRenderPin || pin == filters::kSpeakerLoopbackPin;
    case WaveFilter::Microphone:
      return pin == filters::kMicrophoneCapturePin;
  }
  return false;
}

}  // namespace wavert::wave
