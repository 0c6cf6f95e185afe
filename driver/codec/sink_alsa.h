// The `alsa:DEVICE` sink: speaker output into a real sound card through the host's ALSA
// namespace, with nothing but the Zw file routines (docs/sinks-and-sources.md, "ALSA"):
//
//   ZwCreateFile("\Device\WavertAlsa\DEVICE", EaBuffer = "WavertWaveFormat": the run's
//                WAVEFORMATEX / WAVEFORMATEXTENSIBLE bytes)     at each run's begin (worker)
//   ZwWriteFile(interleaved frames)                            the device takes what fits now
//   ZwClose                                                    at each run's end: plays out
//
// create() opens the device once in 48 kHz stereo 16-bit and closes it again, so a missing device
// fails there with a clear DbgPrintEx line: on Windows the namespace does not exist
// (STATUS_OBJECT_NAME_NOT_FOUND), a host built without libasound answers STATUS_NOT_SUPPORTED.
// The worker is kicked at every write(), so it offers the device what the ring holds once per
// engine tick; destroy() does not wait for a full device: what it refused is counted as dropped.
#pragma once

#include <ntddk.h>

#include "codec/sink_record.h"

namespace wavert::codec {

class AlsaSink final : public RecordSink {
 public:
  // 256 KiB: 1.4 s of 48 kHz stereo 16-bit between the DPC and the device.
  static constexpr ULONG kDefaultRingBytes = 256u * 1024u;

  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT device, const char* name, ULONG name_chars, AlsaSink** out);
  void destroy() override;

 private:
  AlsaSink() : RecordSink(1) {}
  ~AlsaSink();

  bool accepts(const StreamFormat& format) const override;
  void on_begin(const StreamFormat& format) override;
  ULONG on_data(const UCHAR* bytes, ULONG frames) override;
  void on_end() override;

  [[nodiscard]] NTSTATUS open_pcm(const StreamFormat& format, HANDLE* out);
  void close_pcm();

  UNICODE_STRING name_{};  // \Device\WavertAlsa\DEVICE, pool memory
  HANDLE pcm_ = nullptr;   // worker: open between a run's begin and end
};

}  // namespace wavert::codec
