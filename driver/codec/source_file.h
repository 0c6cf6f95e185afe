// The `file:PATH` source: a WAV file (wav_format.h), looped forever, converted to whatever format
// the codec asks for.
//
//   worker (PASSIVE_LEVEL, IO_WORKITEM)                 codec DPC (DISPATCH_LEVEL)
//   ZwReadFile, wrapping at the data end --> ByteRing --> decode, channels, rate --> read()
//
// The ring holds the file's own bytes; read() converts: samples with codec/sample_convert.h,
// channels by map_channels() (sink_ring.h), the rate by nearest-frame resampling (output frame k
// takes file frame floor(k * file_rate / requested_rate), counted from the last format change).
// read() kicks the worker whenever the ring is less than half full; when it runs dry the rest of
// the request is silence and counted in starved_frames().
#pragma once

#include <ntddk.h>

#include "codec/endpoint_io.h"
#include "codec/sink_ring.h"
#include "codec/wav_format.h"
#include "common/pool_object.h"

namespace wavert::codec {

class FileSource final : public Source, public PoolObject {
 public:
  // 1 MiB: 5.4 s of a 48 kHz stereo 16-bit file, 0.17 s of 192 kHz 8-channel float.
  static constexpr ULONG kDefaultRingBytes = 1u << 20;
  // The "fmt " and "data" chunks must start in the file's first 64 KiB.
  static constexpr ULONG kHeaderSearchBytes = 64u * 1024u;

  // PASSIVE_LEVEL. Opens and parses the file and fills the ring before returning, so the first
  // read() has data. STATUS_INVALID_PARAMETER for a file that is not a WAV file with frames,
  // STATUS_NOT_SUPPORTED for a WAV format outside wav_format_supported(), the Zw status for a
  // file that cannot be opened or read.
  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT device, const char* path, ULONG path_chars, ULONG ring_bytes,
                                       FileSource** out);

  void read(const StreamFormat& format, void* bytes, ULONG frames) override;
  void destroy() override;
  ULONGLONG starved_frames() const override;

  const StreamFormat& file_format() const { return layout_.format; }

 private:
  static constexpr ULONG kChunkFrames = 1024;
  static constexpr ULONG kMaxBlockBytes = 8 * 4;

  FileSource() = default;
  ~FileSource();

  [[nodiscard]] NTSTATUS read_layout(const char* path, ULONG path_chars);
  static PassiveWorker::Routine worker_routine;
  void fill();                 // PASSIVE_LEVEL
  ULONG pop_frames(ULONG n);   // DISPATCH_LEVEL: up to n file frames from the ring into in_samples_

  ByteRing ring_;
  PassiveWorker worker_;
  HANDLE file_ = nullptr;
  WavLayout layout_{};
  volatile LONG64 starved_frames_ = 0;

  // Worker state.
  ULONGLONG read_bytes_ = 0;  // next byte of the data chunk to read, wrapping at data_bytes
  NTSTATUS io_status_ = STATUS_SUCCESS;
  UCHAR worker_staging_[kChunkFrames * kMaxBlockBytes];

  // Codec DPC state.
  StreamFormat out_format_{};
  ULONGLONG out_frames_ = 0;   // output frames since the last format change
  ULONGLONG in_base_ = 0;      // file-frame index (since that change) of in_samples_[0]
  ULONG in_count_ = 0;         // decoded file frames in in_samples_
  UCHAR dpc_staging_[kChunkFrames * kMaxBlockBytes];
  double in_samples_[kChunkFrames * 8];
  double out_samples_[kChunkFrames * 8];
};

}  // namespace wavert::codec
