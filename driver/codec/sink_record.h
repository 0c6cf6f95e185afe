// The half that every sink with a PASSIVE_LEVEL worker shares (the file sink, the ALSA sink):
// begin/write/end from the codec's DPC become records in a ByteRing --
//
//   Begin(format) | Data(frames) | End
//
// -- and the worker replays them, in order, to the derived sink's on_begin/on_data/on_end. The DPC
// side never waits: frames that do not fit (the ring keeps a little room for Begin/End records)
// are dropped and counted. A derived sink may take only part of a Data record (a device that is
// full); the rest stays in the ring and is offered again at the worker's next run.
#pragma once

#include <ntddk.h>

#include "codec/endpoint_io.h"
#include "codec/sink_ring.h"
#include "common/pool_object.h"

namespace wavert::codec {

class RecordSink : public Sink, public PoolObject {
 public:
  void begin(const StreamFormat& format) final;
  void write(const void* bytes, ULONG frames) final;
  void end() final;
  ULONGLONG dropped_frames() const final;

 protected:
  static constexpr ULONG kChunkFrames = 1024;       // frames handed to on_data() at a time
  static constexpr ULONG kMaxBlockBytes = 8 * 4;    // 8 channels of 32 bits

  // kick_bytes: the fill at which write() queues the worker (begin and end always do).
  RecordSink(ULONG kick_bytes) : kick_bytes_(kick_bytes) {}
  ~RecordSink() = default;

  // PASSIVE_LEVEL, from the derived create().
  [[nodiscard]] NTSTATUS start(PDEVICE_OBJECT device, ULONG ring_bytes);
  // PASSIVE_LEVEL, from the derived destroy(): stops the worker, then replays what is left.
  void stop_and_drain();
  void add_dropped(ULONGLONG frames);
  // Whether the sink can write this format at all; a run in another format is dropped whole.
  virtual bool accepts(const StreamFormat& format) const = 0;

  // Worker side (PASSIVE_LEVEL, one call at a time).
  virtual void on_begin(const StreamFormat& format) = 0;
  // Returns the frames taken (all of them, or fewer when the device is full for now).
  virtual ULONG on_data(const UCHAR* bytes, ULONG frames) = 0;
  virtual void on_end() = 0;
  const StreamFormat& worker_format() const { return worker_format_; }

 private:
  enum class RecordKind : ULONG { Begin, Data, End };
  struct Record {
    RecordKind kind;
    ULONG payload_bytes;  // Data: the frames that follow
    StreamFormat format;  // Begin
  };
  // Room kept free for Begin/End records when data fills the ring.
  static constexpr ULONG kControlReserveBytes = 8 * sizeof(Record);

  static PassiveWorker::Routine worker_routine;
  void drain();
  void put_control(RecordKind kind, const StreamFormat& format);

  ByteRing ring_;
  PassiveWorker worker_;
  const ULONG kick_bytes_;
  volatile LONG64 dropped_frames_ = 0;  // Interlocked: the DPC and the worker both add

  // Producer (codec DPC) state.
  bool in_run_ = false;
  bool run_accepted_ = false;  // the Begin record made it into the ring and the format is writable
  StreamFormat run_format_{};

  // Worker state.
  StreamFormat worker_format_{};
  ULONG record_done_bytes_ = 0;  // of the Data record at the tail, taken by on_data already
  UCHAR staging_[kChunkFrames * kMaxBlockBytes];
};

}  // namespace wavert::codec
