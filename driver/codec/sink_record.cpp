// Ring-and-worker sinks (sink_record.h).
#include "codec/sink_record.h"

#include "common/status.h"

namespace wavert::codec {

NTSTATUS RecordSink::start(PDEVICE_OBJECT device, ULONG ring_bytes) {
  PAGED_CODE();
  if (ring_bytes < 2 * kControlReserveBytes + 2 * sizeof(Record)) return STATUS_INVALID_PARAMETER;
  WAVERT_RETURN_IF_FAILED(ring_.allocate(ring_bytes));
  return worker_.start(device, worker_routine, this);
}

void RecordSink::stop_and_drain() {
  PAGED_CODE();
  worker_.close_and_wait();
  if (ring_.capacity_bytes() == 0) return;
  drain();
  // What a full device still refused is not waited for: it is counted as dropped.
  while (ring_.used_bytes() >= sizeof(Record)) {
    Record record;
    ring_.get(0, &record, sizeof record);
    if (record.kind == RecordKind::Data) {
      add_dropped((record.payload_bytes - record_done_bytes_) / worker_format_.block_align());
      record_done_bytes_ = 0;
    } else if (record.kind == RecordKind::Begin) {
      worker_format_ = record.format;
    }
    ring_.consume(sizeof record + record.payload_bytes);
  }
}

ULONGLONG RecordSink::dropped_frames() const {
  return static_cast<ULONGLONG>(InterlockedCompareExchange64(const_cast<LONG64*>(&dropped_frames_), 0, 0));
}

void RecordSink::add_dropped(ULONGLONG frames) {
  if (frames != 0) InterlockedExchangeAdd64(&dropped_frames_, static_cast<LONG64>(frames));
}

// ---- Producer: the codec's DPC ----------------------------------------------------------------

void RecordSink::put_control(RecordKind kind, const StreamFormat& format) {
  const Record record{kind, 0, format};
  if (ring_.free_bytes() < sizeof record) {
    // Only possible when the worker has not run for eight begin/end pairs; the run is lost.
    run_accepted_ = false;
    return;
  }
  ring_.put(0, &record, sizeof record);
  ring_.commit(sizeof record);
  if (kind == RecordKind::Begin) run_accepted_ = true;
}

void RecordSink::begin(const StreamFormat& format) {
  in_run_ = true;
  run_format_ = format;
  run_accepted_ = false;
  if (!accepts(format) || format.block_align() > kMaxBlockBytes) return;  // its frames count as dropped
  put_control(RecordKind::Begin, format);
  worker_.kick();
}

void RecordSink::write(const void* bytes, ULONG frames) {
  if (!in_run_ || !run_accepted_ || frames == 0) {
    add_dropped(frames);
    return;
  }
  const ULONG block = run_format_.block_align();
  const ULONG free_bytes = ring_.free_bytes();
  const ULONG usable = free_bytes > kControlReserveBytes + sizeof(Record)
                           ? free_bytes - kControlReserveBytes - static_cast<ULONG>(sizeof(Record))
                           : 0;
  const ULONG fit = usable / block < frames ? usable / block : frames;
  if (fit > 0) {
    const Record record{RecordKind::Data, fit * block, {}};
    ring_.put(0, &record, sizeof record);
    ring_.put(sizeof record, bytes, fit * block);
    ring_.commit(sizeof record + fit * block);
  }
  add_dropped(frames - fit);
  if (ring_.used_bytes() >= kick_bytes_) worker_.kick();
}

void RecordSink::end() {
  if (!in_run_) return;
  in_run_ = false;
  if (run_accepted_) put_control(RecordKind::End, run_format_);
  worker_.kick();
}

// ---- Worker: PASSIVE_LEVEL ---------------------------------------------------------------------

void RecordSink::worker_routine(void* context) { static_cast<RecordSink*>(context)->drain(); }

void RecordSink::drain() {
  PAGED_CODE();
  for (;;) {
    if (ring_.used_bytes() < sizeof(Record)) return;
    Record record;
    ring_.get(0, &record, sizeof record);
    switch (record.kind) {
      case RecordKind::Begin:
        worker_format_ = record.format;
        on_begin(record.format);
        break;
      case RecordKind::End:
        on_end();
        break;
      case RecordKind::Data: {
        // The producer commits a record with its payload, so all of it is in the ring.
        const ULONG block = worker_format_.block_align();
        const ULONG chunk_bytes = kChunkFrames * block;
        while (record_done_bytes_ < record.payload_bytes) {
          const ULONG left = record.payload_bytes - record_done_bytes_;
          const ULONG n = left < chunk_bytes ? left : chunk_bytes;
          ring_.get(sizeof record + record_done_bytes_, staging_, n);
          const ULONG taken = on_data(staging_, n / block);
          record_done_bytes_ += taken * block;
          if (taken < n / block) {
            // Full for now: another run offers the rest (a device that takes nothing makes
            // its on_data() pause, so this does not spin).
            worker_.kick();
            return;
          }
        }
        record_done_bytes_ = 0;
        break;
      }
    }
    ring_.consume(sizeof record + record.payload_bytes);
  }
}

}  // namespace wavert::codec
