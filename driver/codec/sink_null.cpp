// The null sink (sink_null.h).
#include "codec/sink_null.h"

#include <portcls.h>

#include "common/tags.h"

namespace wavert::codec {

NTSTATUS NullSink::create(NullSink** out) {
  PAGED_CODE();
  *out = new (NonPagedPoolNx, tags::kSink) NullSink();
  return *out != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void NullSink::begin(const StreamFormat& format) {
  format_ = format;
  runs_begun_ = runs_begun_ + 1;
}

void NullSink::write(const void*, ULONG frames) { frames_written_ = frames_written_ + frames; }

void NullSink::end() { runs_ended_ = runs_ended_ + 1; }

void NullSink::destroy() {
  PAGED_CODE();
  delete this;
}

}  // namespace wavert::codec
