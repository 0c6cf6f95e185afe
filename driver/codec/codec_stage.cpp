// The codec stage: creation, topology controls, outside connections (codec_stage.h;
// docs/codec-stage.md). The engine side is in codec_process.cpp.
#include "codec/codec_stage.h"

#include <portcls.h>

#include "codec/endpoint_io.h"
#include "codec/gain.h"
#include "common/tags.h"

namespace wavert::codec {
namespace {

constexpr ULONG kMaxBytesPerSample = 4;

// What the speaker runs at before any render stream has: loopback capture before the first
// render stream hears silence on this grid (the rate only matters for resampled loopback).
constexpr StreamFormat kDefaultSpeakerFormat = {SampleType::Pcm, 2, 16, 16, 48000, 0x3};

ULONG endpoint_index(CodecEndpoint endpoint) {
  switch (endpoint) {
    case CodecEndpoint::Speaker:
      return 0;
    case CodecEndpoint::Microphone:
      return 1;
  }
  return 0;
}

double magnitude(double x) { return x < 0 ? -x : x; }

double* allocate_samples(ULONG frames) {
  return static_cast<double*>(
      ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(double) * frames * kMaxChannels, tags::kCodec));
}

}  // namespace

NTSTATUS CodecStage::create(CodecStage** out) {
  PAGED_CODE();
  *out = nullptr;
  CodecStage* stage = new (NonPagedPoolNx, tags::kCodec) CodecStage();
  if (stage == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeSpinLock(&stage->controls_lock_);
  KeInitializeSpinLock(&stage->connections_lock_);
  stage->speaker_.format = kDefaultSpeakerFormat;
  stage->microphone_.format = kDefaultSpeakerFormat;
  stage->speaker_.samples = allocate_samples(kBufferFrames);
  stage->microphone_.samples = allocate_samples(kBufferFrames);
  stage->stream_samples_ = allocate_samples(kBufferFrames);
  stage->capture_samples_ = allocate_samples(kChunkCapacityFrames);
  stage->bytes_ = static_cast<UCHAR*>(ExAllocatePool2(
      POOL_FLAG_NON_PAGED, kChunkCapacityFrames * kMaxChannels * kMaxBytesPerSample, tags::kCodec));
  if (stage->speaker_.samples == nullptr || stage->microphone_.samples == nullptr ||
      stage->stream_samples_ == nullptr || stage->capture_samples_ == nullptr || stage->bytes_ == nullptr) {
    delete stage;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  // Pool memory is zeroed: every channel starts at 0 dB (volume 0), unmuted, peak 0; no sink
  // (`null`), no source (`silence`), cable off, no run.
  *out = stage;
  return STATUS_SUCCESS;
}

CodecStage::~CodecStage() {
  PAGED_CODE();
  if (sink_ != nullptr) {
    if (speaker_run_active_) sink_->end();
    sink_->destroy();
  }
  if (source_ != nullptr) source_->destroy();
  if (speaker_.samples != nullptr) ExFreePool(speaker_.samples);
  if (microphone_.samples != nullptr) ExFreePool(microphone_.samples);
  if (stream_samples_ != nullptr) ExFreePool(stream_samples_);
  if (capture_samples_ != nullptr) ExFreePool(capture_samples_);
  if (bytes_ != nullptr) ExFreePool(bytes_);
}

// ---- Topology controls --------------------------------------------------------------------------

void CodecStage::set_volume(CodecEndpoint endpoint, ULONG channel, LONG level_db_16_16) {
  if (channel >= kMaxChannels) return;
  const LONG level = round_volume(level_db_16_16);
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  controls_[endpoint_index(endpoint)].volume_db_16_16[channel] = level;
  KeReleaseSpinLock(&controls_lock_, irql);
}

LONG CodecStage::volume(CodecEndpoint endpoint, ULONG channel) const {
  if (channel >= kMaxChannels) return kVolumeMinimum;
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  const LONG level = controls_[endpoint_index(endpoint)].volume_db_16_16[channel];
  KeReleaseSpinLock(&controls_lock_, irql);
  return level;
}

void CodecStage::set_mute(CodecEndpoint endpoint, ULONG channel, bool mute) {
  if (channel >= kMaxChannels) return;
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  controls_[endpoint_index(endpoint)].mute[channel] = mute;
  KeReleaseSpinLock(&controls_lock_, irql);
}

bool CodecStage::mute(CodecEndpoint endpoint, ULONG channel) const {
  if (channel >= kMaxChannels) return false;
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  const bool muted = controls_[endpoint_index(endpoint)].mute[channel];
  KeReleaseSpinLock(&controls_lock_, irql);
  return muted;
}

LONG CodecStage::take_peak(CodecEndpoint endpoint, ULONG channel) {
  if (channel >= kMaxChannels) return 0;
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  LONG& peak = controls_[endpoint_index(endpoint)].peak[channel];
  const LONG value = peak;
  peak = 0;
  KeReleaseSpinLock(&controls_lock_, irql);
  return value;
}

void CodecStage::snapshot_gains(CodecEndpoint endpoint, Gains* gains) {
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  const Controls& controls = controls_[endpoint_index(endpoint)];
  for (ULONG c = 0; c < kMaxChannels; ++c) {
    gains->mute[c] = controls.mute[c];
    gains->unity[c] = !controls.mute[c] && controls.volume_db_16_16[c] == kVolumeMaximum;
    gains->linear[c] = volume_gain(controls.volume_db_16_16[c]);
  }
  KeReleaseSpinLock(&controls_lock_, irql);
}

void CodecStage::fold_peaks(CodecEndpoint endpoint, const double* peak_magnitude) {
  KIRQL irql;
  KeAcquireSpinLock(&controls_lock_, &irql);
  Controls& controls = controls_[endpoint_index(endpoint)];
  for (ULONG c = 0; c < kMaxChannels; ++c) {
    const LONG peak = peak_of_magnitude(peak_magnitude[c]);
    if (peak > controls.peak[c]) controls.peak[c] = peak;
  }
  KeReleaseSpinLock(&controls_lock_, irql);
}

// Volume and mute act on the samples themselves (the output of the endpoint is what the sink,
// loopback and cable receive). 0 dB unmuted does not multiply at all: the bit-exact path.
void CodecStage::apply_gains(const Gains& gains, double* samples, ULONG frames, ULONG channels,
                             double* peak_magnitude) {
  for (ULONG c = 0; c < channels; ++c) {
    double peak = 0.0;
    double* sample = samples + c;
    if (gains.mute[c]) {
      for (ULONG f = 0; f < frames; ++f, sample += channels) *sample = 0.0;
    } else if (gains.unity[c]) {
      for (ULONG f = 0; f < frames; ++f, sample += channels) {
        const double m = magnitude(*sample);
        if (!(m <= peak)) peak = m;  // NaN wins: the meter shows full scale
      }
    } else {
      const double gain = gains.linear[c];
      for (ULONG f = 0; f < frames; ++f, sample += channels) {
        *sample *= gain;
        const double m = magnitude(*sample);
        if (!(m <= peak)) peak = m;
      }
    }
    peak_magnitude[c] = peak;
  }
}

// ---- Outside connections --------------------------------------------------------------------------

void CodecStage::set_speaker_sink(Sink* sink) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&connections_lock_, &irql);
  Sink* old = sink_;
  if (speaker_run_active_) {
    // The run continues on the new sink: the old one sees its end, the new one its beginning.
    if (old != nullptr) old->end();
    if (sink != nullptr) sink->begin(speaker_.format);
  }
  sink_ = sink;
  KeReleaseSpinLock(&connections_lock_, irql);
  if (old != nullptr) old->destroy();
}

void CodecStage::set_microphone_source(Source* source) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&connections_lock_, &irql);
  Source* old = source_;
  source_ = source;  // heard whenever the cable is off
  KeReleaseSpinLock(&connections_lock_, irql);
  if (old != nullptr) old->destroy();
}

void CodecStage::set_microphone_cable(bool cable) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&connections_lock_, &irql);
  cable_ = cable;
  KeReleaseSpinLock(&connections_lock_, irql);
}

ULONG CodecStage::codec_delay_100ns() const {
  // The DAC's frame k and the speaker output's frame k are the same grid frame: the model hands
  // a due frame to the sink, loopback and cable in the very pass that takes it from the FIFO, and
  // a loopback or cable capture frame carries the speaker frame of its own grid instant. On the
  // sample timeline (the one positions and timestamps are on) that is no delay at all. Resampled
  // streams lag one of their own frames more (interpolation; docs/codec-stage.md), which a
  // per-endpoint figure cannot express.
  return 0;
}


}  // namespace wavert::codec
