// The `silence` source: digital silence in whatever format the codec asks for (0 for signed PCM
// and float, 0x80 for unsigned 8-bit PCM).
#pragma once

#include <ntddk.h>

#include "codec/endpoint_io.h"
#include "common/pool_object.h"

namespace wavert::codec {

class SilenceSource final : public Source, public PoolObject {
 public:
  [[nodiscard]] static NTSTATUS create(SilenceSource** out);  // PASSIVE_LEVEL

  void read(const StreamFormat& format, void* bytes, ULONG frames) override;
  void destroy() override;
  ULONGLONG starved_frames() const override { return 0; }

 private:
  SilenceSource() = default;
  ~SilenceSource() = default;
};

// Fills `frames` frames of `format` with silence. Any IRQL.
void fill_silence(const StreamFormat& format, void* bytes, ULONG frames);

}  // namespace wavert::codec
