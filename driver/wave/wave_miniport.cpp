// The WaveRT miniports of the speaker and microphone wave filters (wave_miniport.h,
// wave_miniport_impl.h). Contract references are to ../shared/reference/waveRT-contract.md (§n).
#include "wave/wave_miniport_impl.h"

#include <ksmedia.h>

#include "common/status.h"
#include "common/tags.h"
#include "device/filters.h"
#include "hw/controller.h"
#include "wave/format.h"
#include "wave/wave_stream.h"

namespace wavert::wave {

NTSTATUS create_wave_miniport(WaveFilter filter, PUNKNOWN* out) {
  PAGED_CODE();
  *out = nullptr;
  auto* miniport = new (NonPagedPoolNx, tags::kWave) WaveMiniport(nullptr, filter);
  if (miniport == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  *out = PUNKNOWN(PMINIPORTWAVERT(miniport));
  (*out)->AddRef();
  return STATUS_SUCCESS;
}

WaveMiniport::WaveMiniport(PUNKNOWN outer, WaveFilter filter) : CUnknown(outer), filter_(filter) {
  KeInitializeSpinLock(&instance_lock_);
  // Until Init knows the device's limits, the description carries the defaults.
  describe_filter(filter_, DeviceParams{}, &tables_);
}

WaveMiniport::~WaveMiniport() {
  PAGED_CODE();
  if (adapter_ != nullptr) adapter_->Release();
}

NTSTATUS WaveMiniport::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
      IsEqualGUIDAligned(iid, IID_IMiniportWaveRT)) {
    *out = PVOID(PMINIPORTWAVERT(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

// §1.1: the port calls Init once, before GetDescription. The adapter object answers
// IID_IWavertAdapter; the miniport keeps it referenced so the Device outlives every stream.
NTSTATUS WaveMiniport::Init(PUNKNOWN unknown_adapter, PRESOURCELIST, PPORTWAVERT) {
  PAGED_CODE();
  if (unknown_adapter == nullptr) return STATUS_INVALID_PARAMETER;
  if (adapter_ != nullptr) return STATUS_INVALID_DEVICE_STATE;
  PVOID adapter = nullptr;
  WAVERT_RETURN_IF_FAILED(unknown_adapter->QueryInterface(IID_IWavertAdapter, &adapter));
  adapter_ = static_cast<PWAVERTADAPTER>(adapter);
  device_ = adapter_->GetDevice();
  if (device_ == nullptr) {
    adapter_->Release();
    adapter_ = nullptr;
    return STATUS_INVALID_DEVICE_STATE;
  }
  describe_filter(filter_, device_->params(), &tables_);
  return STATUS_SUCCESS;
}

NTSTATUS WaveMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  PAGED_CODE();
  *description = &tables_.filter;
  return STATUS_SUCCESS;
}

// The controller is a bus master with scatter/gather that reaches any physical address (its BDL
// entries and BDPL/BDPU are 64-bit).
NTSTATUS WaveMiniport::GetDeviceDescription(PDEVICE_DESCRIPTION description) {
  PAGED_CODE();
  RtlZeroMemory(description, sizeof *description);
  // Version 2: the layout every header set shares (mingw-w64's ends with DmaPort).
  description->Version = DEVICE_DESCRIPTION_VERSION2;
  description->Master = TRUE;
  description->ScatterGather = TRUE;
  description->Dma32BitAddresses = TRUE;
  description->Dma64BitAddresses = TRUE;
  description->InterfaceType = PCIBus;
  description->DmaWidth = Width32Bits;
  description->MaximumLength = hw::kMaxBdlEntries * PAGE_SIZE;
  return STATUS_SUCCESS;
}

// KSPROPERTY_PIN_DATAINTERSECTION for one of our ranges (§1.2): the best format the client's
// range allows, as KSDATAFORMAT_WAVEFORMATEXTENSIBLE. Bridge pins are left to the port.
NTSTATUS WaveMiniport::DataRangeIntersection(ULONG pin, PKSDATARANGE client_range, PKSDATARANGE matching_range,
                                             ULONG output_length, PVOID resultant_format, PULONG resultant_length) {
  PAGED_CODE();
  if (!is_streaming_pin(filter_, pin)) return STATUS_NOT_IMPLEMENTED;
  if (client_range == nullptr || matching_range == nullptr || resultant_length == nullptr) {
    return STATUS_INVALID_PARAMETER;
  }
  if (matching_range->FormatSize < sizeof(KSDATARANGE_AUDIO)) return STATUS_NO_MATCH;
  StreamFormat best;
  WAVERT_RETURN_IF_FAILED(
      best_format_in_ranges(client_range, reinterpret_cast<const KSDATARANGE_AUDIO*>(matching_range), &best));
  *resultant_length = sizeof(WaveFormatExtensibleKs);
  if (output_length == 0) return STATUS_BUFFER_OVERFLOW;
  if (output_length < sizeof(WaveFormatExtensibleKs) || resultant_format == nullptr) {
    return STATUS_BUFFER_TOO_SMALL;
  }
  ks_format_from_stream(best, static_cast<WaveFormatExtensibleKs*>(resultant_format));
  return STATUS_SUCCESS;
}

NTSTATUS WaveMiniport::reserve_instance(ULONG pin) {
  NTSTATUS status = STATUS_SUCCESS;
  KIRQL irql;
  KeAcquireSpinLock(&instance_lock_, &irql);
  if (instances_[pin] >= tables_.pins[pin].MaxFilterInstanceCount) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    ++instances_[pin];
  }
  KeReleaseSpinLock(&instance_lock_, irql);
  return status;
}

void WaveMiniport::release_instance(ULONG pin) {
  KIRQL irql;
  KeAcquireSpinLock(&instance_lock_, &irql);
  --instances_[pin];
  KeReleaseSpinLock(&instance_lock_, irql);
}

// §1.3: a new stream in STOP at position 0, for a format checked field by field here (the port
// only checked that it lies in one of the pin's ranges).
NTSTATUS WaveMiniport::NewStream(PMINIPORTWAVERTSTREAM* out, PPORTWAVERTSTREAM port_stream, ULONG pin,
                                 BOOLEAN capture, PKSDATAFORMAT data_format) {
  PAGED_CODE();
  *out = nullptr;
  if (device_ == nullptr) return STATUS_INVALID_DEVICE_STATE;
  if (port_stream == nullptr || !is_streaming_pin(filter_, pin)) return STATUS_INVALID_PARAMETER;
  hw::StreamRoute route = hw::StreamRoute::SpeakerRender;
  switch (filter_) {
    case WaveFilter::Speaker:
      route = pin == filters::kSpeakerRenderPin ? hw::StreamRoute::SpeakerRender : hw::StreamRoute::SpeakerLoopback;
      break;
    case WaveFilter::Microphone:
      route = hw::StreamRoute::MicrophoneCapture;
      break;
  }
  const bool is_capture = route != hw::StreamRoute::SpeakerRender;
  if ((capture != FALSE) != is_capture) return STATUS_INVALID_PARAMETER;
  StreamFormat format;
  WAVERT_RETURN_IF_FAILED(stream_format_from_ks(data_format, &format));
  WAVERT_RETURN_IF_FAILED(reserve_instance(pin));
  WaveStream* stream = nullptr;
  WAVERT_RETURN_IF_FAILED(WaveStream::create(this, port_stream, pin, route, format, &stream));
  *out = PMINIPORTWAVERTSTREAM(static_cast<IMiniportWaveRTStreamNotification*>(stream));
  return STATUS_SUCCESS;
}

}  // namespace wavert::wave
