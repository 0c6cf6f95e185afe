// The `file:PATH` sink: speaker output into a WAV file (wav_format.h).
//
//   codec DPC (DISPATCH_LEVEL)          worker (PASSIVE_LEVEL, IO_WORKITEM)
//   begin/write/end --> RecordSink ring --> header, frames, final sizes --> ZwWriteFile
//
// The file takes the format of the first run. Every run after that which comes in another
// format is converted to the file's format: samples with codec/sample_convert.h, channels by
// map_channels() (sink_ring.h), the rate by nearest-frame resampling (output frame k of a run
// takes the run's frame floor(k * run_rate / file_rate), from integers, so it never drifts).
// The header is rewritten with the sizes so far at each end() and at destroy(), so a reader sees a
// valid file after every run. A sink that never saw a run leaves an empty file.
//
// write() never waits: frames that do not fit in the ring are dropped and counted, as are frames
// beyond what a RIFF file can hold (4 GiB) and frames that follow a failed ZwWriteFile.
#pragma once

#include <ntddk.h>

#include "codec/sink_record.h"
#include "codec/wav_format.h"

namespace wavert::codec {

class FileSink final : public RecordSink {
 public:
  // 1 MiB: 5.4 s of 48 kHz stereo 16-bit, 0.68 s of 192 kHz stereo float; the worker is kicked
  // each time an eighth of it has filled.
  static constexpr ULONG kDefaultRingBytes = 1u << 20;

  // PASSIVE_LEVEL. Creates (or truncates) the file; `device` owns the worker's IO_WORKITEM.
  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT device, const char* path, ULONG path_chars, ULONG ring_bytes,
                                       FileSink** out);
  void destroy() override;

 private:
  explicit FileSink(ULONG ring_bytes) : RecordSink(ring_bytes / 8) {}
  ~FileSink();

  bool accepts(const StreamFormat& format) const override { return wav_format_supported(format); }
  void on_begin(const StreamFormat& format) override;
  ULONG on_data(const UCHAR* bytes, ULONG frames) override;
  void on_end() override { finalize(); }

  void append(const UCHAR* bytes, ULONG frames);
  void finalize();
  void write_file(const void* bytes, ULONG length, ULONGLONG offset);

  HANDLE file_ = nullptr;
  // Worker state.
  bool file_has_format_ = false;
  StreamFormat file_format_{};
  bool converting_ = false;
  ULONGLONG run_in_frames_ = 0;
  ULONGLONG run_out_frames_ = 0;
  ULONGLONG data_bytes_ = 0;
  ULONG header_bytes_ = 0;
  NTSTATUS io_status_ = STATUS_SUCCESS;  // the first failed write; later frames are dropped
  double in_samples_[kChunkFrames * 8];
  double out_samples_[kChunkFrames * 8];
  UCHAR out_bytes_[kChunkFrames * kMaxBlockBytes];
};

}  // namespace wavert::codec
