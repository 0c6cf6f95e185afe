// The two halves every file-backed sink and source share (endpoint_io.h):
//
//   ByteRing      a single-producer / single-consumer byte ring in non-paged pool between the
//                 codec's DPC (DISPATCH_LEVEL) and a PASSIVE_LEVEL worker. Neither side ever
//                 waits: the producer checks free_bytes() and drops what does not fit, the
//                 consumer checks used_bytes() and takes what is there.
//   PassiveWorker one IO_WORKITEM that runs a routine at PASSIVE_LEVEL when kicked from any
//                 IRQL <= DISPATCH_LEVEL, at most once queued at a time, and that its owner can
//                 close and wait for (a KEVENT set when no run is queued or running).
//
// Used by the file sink and the file source (and the ALSA sink on the host).
#pragma once

#include <ntddk.h>

namespace wavert::codec {

class ByteRing {
 public:
  ByteRing() = default;
  ByteRing(const ByteRing&) = delete;
  ByteRing& operator=(const ByteRing&) = delete;
  ~ByteRing();  // frees the storage

  // PASSIVE_LEVEL. STATUS_INSUFFICIENT_RESOURCES when the pool has no room.
  [[nodiscard]] NTSTATUS allocate(ULONG capacity_bytes);
  ULONG capacity_bytes() const { return capacity_bytes_; }

  // Either side, <= DISPATCH_LEVEL: a snapshot; only grows for the side that asks.
  ULONG used_bytes() const;
  ULONG free_bytes() const { return capacity_bytes_ - used_bytes(); }

  // Producer: copies into the free region at `offset` bytes past the committed head (so a record
  // can be assembled from pieces), then publishes `bytes` with commit(). The caller made sure
  // offset + bytes <= free_bytes().
  void put(ULONG offset, const void* data, ULONG bytes);
  void commit(ULONG bytes);

  // Consumer: copies out of the used region at `offset` bytes past the tail, then releases
  // `bytes` with consume(). The caller made sure offset + bytes <= used_bytes().
  void get(ULONG offset, void* data, ULONG bytes) const;
  void consume(ULONG bytes);

 private:
  UCHAR* storage_ = nullptr;
  ULONG capacity_bytes_ = 0;
  // Total bytes ever committed / consumed; head - tail is the fill. Guarded by lock_ (the copies
  // themselves run outside it: each side only touches its own region).
  mutable KSPIN_LOCK lock_ = 0;
  ULONGLONG head_bytes_ = 0;
  ULONGLONG tail_bytes_ = 0;
};

class PassiveWorker {
 public:
  typedef void Routine(void* context);

  PassiveWorker() = default;
  PassiveWorker(const PassiveWorker&) = delete;
  PassiveWorker& operator=(const PassiveWorker&) = delete;
  ~PassiveWorker();  // the owner called close_and_wait() first (asserted)

  // PASSIVE_LEVEL. STATUS_INSUFFICIENT_RESOURCES when IoAllocateWorkItem fails.
  [[nodiscard]] NTSTATUS start(PDEVICE_OBJECT device, Routine* routine, void* context);
  // <= DISPATCH_LEVEL, never waits: queues the routine unless a run is queued already (a run that
  // is executing does not count: what was produced meanwhile gets a run of its own) or the
  // worker is closing.
  void kick();
  // PASSIVE_LEVEL: no kick queues anything from now on; waits until the queued or running run
  // has returned, then frees the work item. Idempotent.
  void close_and_wait();

 private:
  static IO_WORKITEM_ROUTINE run;

  PIO_WORKITEM item_ = nullptr;
  Routine* routine_ = nullptr;
  void* context_ = nullptr;
  KSPIN_LOCK lock_ = 0;
  bool queued_ = false;   // guarded by lock_
  bool closing_ = false;  // guarded by lock_
  KEVENT idle_{};         // signalled while no run is queued or running; set and cleared under lock_
};

}  // namespace wavert::codec

namespace wavert::codec {

// PASSIVE_LEVEL. Opens the file a spec names: PATH as given when it is an NT object name (starts
// with '\'), else "\??\" PATH (a DOS path: C:\x.wav on Windows; /tmp/x.wav on the host, which maps
// \??\ onto its own file system). write: created or truncated (FILE_OVERWRITE_IF) for writing;
// otherwise opened for reading and must exist. Synchronous I/O, kernel handle. A failure is logged
// with DbgPrintEx naming the path and the status.
[[nodiscard]] NTSTATUS open_spec_file(const char* path, ULONG path_chars, bool write, HANDLE* out);

// The channel policy of every conversion between a run's format and a file's (or a request's):
// the same count copies; one output channel takes the mean of all inputs; one input channel is
// copied to every output; otherwise output channel c takes input c, and outputs beyond the
// inputs are silent. Any IRQL.
void map_channels(const double* in, ULONG in_channels, double* out, ULONG out_channels);

}  // namespace wavert::codec
