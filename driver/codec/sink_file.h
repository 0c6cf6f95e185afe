// The `file:PATH` sink: speaker output into a WAV file (wav_format.h).
//
//   codec DPC (DISPATCH_LEVEL)            worker (PASSIVE_LEVEL, IO_WORKITEM)
//   begin/write/end --> records in --> ByteRing --> header, frames, final sizes --> ZwWriteFile
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

#include "codec/endpoint_io.h"
#include "codec/sink_ring.h"
#include "codec/wav_format.h"
#include "common/pool_object.h"

namespace wavert::codec {

class FileSink final : public Sink, public PoolObject {
 public:
  // 1 MiB: 5.4 s of 48 kHz stereo 16-bit, 0.68 s of 192 kHz stereo float -- many worker runs
  // at the rate the worker is kicked (every eighth of the ring).
  static constexpr ULONG kDefaultRingBytes = 1u << 20;

  // PASSIVE_LEVEL. Creates (or truncates) the file; `device` owns the worker's IO_WORKITEM.
  [[nodiscard]] static NTSTATUS create(PDEVICE_OBJECT device, const char* path, ULONG path_chars, ULONG ring_bytes,
                                       FileSink** out);

  void begin(const StreamFormat& format) override;
  void write(const void* bytes, ULONG frames) override;
  void end() override;
  void destroy() override;
  ULONGLONG dropped_frames() const override;

 private:
  enum class RecordKind : ULONG { Begin, Data, End };
  struct Record {
    RecordKind kind;
    ULONG payload_bytes;   // Data: the frames that follow
    StreamFormat format;   // Begin
  };
  // Room kept free for Begin/End records when data fills the ring.
  static constexpr ULONG kControlReserveBytes = 8 * sizeof(Record);
  static constexpr ULONG kChunkFrames = 1024;
  static constexpr ULONG kMaxBlockBytes = 8 * 4;  // 8 channels of 32 bits

  FileSink() = default;
  ~FileSink();

  static PassiveWorker::Routine worker_routine;
  void drain();  // PASSIVE_LEVEL: the worker, or destroy() after the worker stopped
  void put_control(RecordKind kind, const StreamFormat& format);
  void add_dropped(ULONGLONG frames);

  // Worker side.
  void on_begin(const StreamFormat& format);
  void on_data(const UCHAR* bytes, ULONG frames);
  void append(const UCHAR* bytes, ULONG frames);
  void finalize();
  void write_file(const void* bytes, ULONG length, ULONGLONG offset);

  ByteRing ring_;
  PassiveWorker worker_;
  HANDLE file_ = nullptr;
  volatile LONG64 dropped_frames_ = 0;  // Interlocked: the DPC and the worker both add

  // Producer (codec DPC) state.
  bool in_run_ = false;
  bool run_accepted_ = false;  // the Begin record made it into the ring and the format is writable
  StreamFormat run_format_{};

  // Worker state (one worker run at a time; destroy() drains only after the worker stopped).
  bool file_has_format_ = false;
  StreamFormat file_format_{};
  StreamFormat worker_run_format_{};
  bool converting_ = false;
  ULONGLONG run_in_frames_ = 0;
  ULONGLONG run_out_frames_ = 0;
  ULONGLONG data_bytes_ = 0;
  ULONG header_bytes_ = 0;
  NTSTATUS io_status_ = STATUS_SUCCESS;  // the first failed write; later frames are dropped
  UCHAR staging_[kChunkFrames * kMaxBlockBytes];
  double in_samples_[kChunkFrames * 8];
  double out_samples_[kChunkFrames * 8];
  UCHAR out_bytes_[kChunkFrames * kMaxBlockBytes];
};

}  // namespace wavert::codec
