// Sinks and sources: where the speaker's output goes and where the microphone's input comes from,
// named by strings (registry values, the CLI's --sink/--source, the ALSA plugin's options):
//
//   sinks:   null | file:PATH (a WAV file) | alsa:DEVICE (a real ALSA PCM, host build only)
//   sources: silence | tone:HZ[,DBFS] | file:PATH (WAV, looped) | cable (handled by CodecStage)
//
// The codec stage calls write()/read() from the engine's DPC at DISPATCH_LEVEL, where nothing may
// block or touch files. Each sink/source that does I/O keeps a ring buffer in non-paged pool
// between that DPC and a worker (an IO_WORKITEM at PASSIVE_LEVEL) that does the file or device
// I/O with the Zw file routines. A ring that overflows (sink) or runs dry (source) is counted,
// never waited for.
#pragma once

#include <ntddk.h>

#include "common/stream_format.h"

namespace wavert::codec {

class Sink {
 public:
  // DISPATCH_LEVEL. A run of speaker output starts in `format` (a render stream started while
  // none was running) / continues with `frames` frames / ends (the last render stream stopped).
  virtual void begin(const StreamFormat& format) = 0;
  virtual void write(const void* bytes, ULONG frames) = 0;
  virtual void end() = 0;
  // PASSIVE_LEVEL: flushes what is buffered (a WAV file gets its final header), closes, frees.
  virtual void destroy() = 0;
  // Frames dropped because the worker fell behind, since creation.
  virtual ULONGLONG dropped_frames() const = 0;
};

class Source {
 public:
  // DISPATCH_LEVEL: exactly `frames` frames in `format`, which is the same for every call until
  // the codec changes it (silence where the source has nothing yet).
  virtual void read(const StreamFormat& format, void* bytes, ULONG frames) = 0;
  virtual void destroy() = 0;  // PASSIVE_LEVEL
  virtual ULONGLONG starved_frames() const = 0;
};

// PASSIVE_LEVEL. Parses `spec` (ASCII, NUL-terminated) and opens what it names. `device` is the
// FDO, for the worker's IO_WORKITEM. STATUS_INVALID_PARAMETER for a spec that does not parse,
// STATUS_NOT_SUPPORTED for a kind this build lacks (alsa: on Windows), the Zw status for a file
// that cannot be opened. For the source `cable`, *out is nullptr and *is_cable TRUE.
[[nodiscard]] NTSTATUS create_sink(PDEVICE_OBJECT device, const char* spec, Sink** out);
[[nodiscard]] NTSTATUS create_source(PDEVICE_OBJECT device, const char* spec, Source** out, bool* is_cable);

}  // namespace wavert::codec
