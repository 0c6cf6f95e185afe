// Device: the codec stage, its outside connections and the controller, made from the parameters
// at StartDevice (device/device.h).
#include "device/device.h"

#include "codec/codec_stage.h"
#include "codec/endpoint_io.h"
#include "common/status.h"
#include "common/tags.h"
#include "hw/controller.h"

namespace wavert {

NTSTATUS Device::create(PDEVICE_OBJECT fdo, const DeviceParams& params, Device** out) {
  PAGED_CODE();
  *out = nullptr;
  auto* device = new (NonPagedPoolNx, tags::kAdapter) Device();
  if (device == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  device->fdo_ = fdo;
  device->params_ = params;

  // The codec stage first: the controller's engine calls into it from its first tick.
  NTSTATUS status = codec::CodecStage::create(&device->codec_);
  if (!NT_SUCCESS(status)) {
    delete device;
    return status;
  }

  codec::Sink* sink = nullptr;
  status = codec::create_sink(fdo, device->params_.speaker_sink, &sink);
  if (!NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL, "wavert: speaker sink \"%s\" cannot be opened (0x%08x)\n",
               device->params_.speaker_sink, static_cast<unsigned>(status));
    delete device;
    return status;
  }
  device->codec_->set_speaker_sink(sink);  // the codec owns it from here

  codec::Source* source = nullptr;
  bool cable = false;
  status = codec::create_source(fdo, device->params_.microphone_source, &source, &cable);
  if (!NT_SUCCESS(status)) {
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_ERROR_LEVEL,
               "wavert: microphone source \"%s\" cannot be opened (0x%08x)\n", device->params_.microphone_source,
               static_cast<unsigned>(status));
    delete device;
    return status;
  }
  if (cable) {
    device->codec_->set_microphone_cable(true);  // the microphone hears the speaker output
  } else {
    device->codec_->set_microphone_source(source);
  }

  hw::ControllerConfig config;
  config.oscillator_ppm = params.oscillator_ppm;
  config.dma_tick_us = params.dma_tick_us;
  config.burst_bytes = params.burst_bytes;
  config.fifo_bursts = params.fifo_bursts;
  status = hw::Controller::create(config, device->codec_, &device->controller_);
  if (!NT_SUCCESS(status)) {
    delete device;
    return status;
  }
  *out = device;
  return STATUS_SUCCESS;
}

Device::~Device() {
  PAGED_CODE();
  // The controller first: its destructor stops the engine, whose DPC calls into the codec stage.
  if (controller_ != nullptr) {
    delete controller_;
  }
  if (codec_ != nullptr) {
    delete codec_;  // destroys the sink (flushing it) and the source
  }
}

}  // namespace wavert
