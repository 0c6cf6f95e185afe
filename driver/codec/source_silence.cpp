// The silence source (source_silence.h).
#include "codec/source_silence.h"

#include <portcls.h>

#include "common/tags.h"

namespace wavert::codec {

void fill_silence(const StreamFormat& format, void* bytes, ULONG frames) {
  // 8-bit WAVE PCM is unsigned with its zero at 128 (stream_format.h).
  const UCHAR zero = (format.type == SampleType::Pcm && format.container_bits == 8) ? 0x80 : 0x00;
  RtlFillMemory(bytes, static_cast<SIZE_T>(frames) * format.block_align(), zero);
}

NTSTATUS SilenceSource::create(SilenceSource** out) {
  PAGED_CODE();
  *out = new (NonPagedPoolNx, tags::kSink) SilenceSource();
  return *out != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void SilenceSource::read(const StreamFormat& format, void* bytes, ULONG frames) { fill_silence(format, bytes, frames); }

void SilenceSource::destroy() {
  PAGED_CODE();
  delete this;
}

}  // namespace wavert::codec
