// The `null` sink: speaker output goes nowhere, but is counted (tests and the CLI read the count
// to see that the codec delivered every frame).
#pragma once

#include <ntddk.h>

#include "codec/endpoint_io.h"
#include "common/pool_object.h"

namespace wavert::codec {

class NullSink final : public Sink, public PoolObject {
 public:
  [[nodiscard]] static NTSTATUS create(NullSink** out);  // PASSIVE_LEVEL

  void begin(const StreamFormat& format) override;
  void write(const void* bytes, ULONG frames) override;
  void end() override;
  void destroy() override;
  ULONGLONG dropped_frames() const override { return 0; }  // nothing to fall behind

  // Any IRQL: frames written since creation, runs begun and ended.
  ULONGLONG frames_written() const { return frames_written_; }
  ULONG runs_begun() const { return runs_begun_; }
  ULONG runs_ended() const { return runs_ended_; }
  const StreamFormat& last_format() const { return format_; }

 private:
  NullSink() = default;
  ~NullSink() = default;

  // Written only from the codec's DPC (one at a time), read by anyone.
  volatile ULONGLONG frames_written_ = 0;
  volatile ULONG runs_begun_ = 0;
  volatile ULONG runs_ended_ = 0;
  StreamFormat format_{};
};

}  // namespace wavert::codec
