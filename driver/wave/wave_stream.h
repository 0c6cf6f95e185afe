// One WaveRT stream (IMiniportWaveRTStream + Notification + Output/Input packet mode) on one of
// the controller's stream descriptors.
//
// Buffer: pages from IPortWaveRTStream::AllocatePagesForMdl, mapped cached (the model's DMA is
// cache-coherent), made visible to the controller's bus, and described by a BDL in contiguous
// memory whose entries end at every page and packet boundary (wave/bdl.h). Position: computed
// from the device oscillator by the descriptor (GetPosition), or read by the client from the
// mapped LPIB. Notifications: each packet's last BDL entry has IOC; the descriptor's interrupt
// (StreamInterruptHandler) acknowledges and queues this stream's DPC, which counts completed
// packets from the DMA byte count, so coalesced interrupts still count every packet.
//
// Locks: lock_ (a spin lock) guards the state seen by the DPC: the KS state, the event list and
// the packet counters. Lock order: lock_ before the controller's own locks. Methods the port
// calls run at PASSIVE_LEVEL under its DeviceLock (or position lock), so they never race each
// other; only the DPC runs concurrently with them.
#pragma once

#include <portcls.h>
#include <stdunk.h>

#include "common/pool_object.h"
#include "common/stream_format.h"
#include "hw/controller.h"

namespace wavert::wave {

class WaveMiniport;

class WaveStream : public IMiniportWaveRTStreamNotification,
                   public IMiniportWaveRTOutputStream,
                   public IMiniportWaveRTInputStream,
                   public CUnknown {
 public:
  // PASSIVE_LEVEL. A stream in KSSTATE_STOP at position 0 with one reference. It takes over the
  // pin instance `miniport` counted for `pin` (given back when the stream is destroyed, also when
  // create fails after allocating the object). STATUS_INSUFFICIENT_RESOURCES when the object or
  // a stream descriptor cannot be had.
  [[nodiscard]] static NTSTATUS create(WaveMiniport* miniport, PPORTWAVERTSTREAM port_stream, ULONG pin,
                                       hw::StreamRoute route, const StreamFormat& format, WaveStream** out);

  DECLARE_STD_UNKNOWN();
  IMP_IMiniportWaveRTStream;
  // Written out rather than IMP_* macros: mingw-w64's portcls.h has no IMP_ macros for these three.
  // IMiniportWaveRTStreamNotification
  STDMETHODIMP_(NTSTATUS) AllocateBufferWithNotification(ULONG NotificationCount, ULONG RequestedSize,
                                                         PMDL* AudioBufferMdl, ULONG* ActualSize,
                                                         ULONG* OffsetFromFirstPage, MEMORY_CACHING_TYPE* CacheType);
  STDMETHODIMP_(VOID) FreeBufferWithNotification(PMDL AudioBufferMdl, ULONG BufferSize);
  STDMETHODIMP_(NTSTATUS) RegisterNotificationEvent(PKEVENT NotificationEvent);
  STDMETHODIMP_(NTSTATUS) UnregisterNotificationEvent(PKEVENT NotificationEvent);
  // IMiniportWaveRTOutputStream (PASSIVE_LEVEL)
  STDMETHODIMP_(NTSTATUS) SetWritePacket(ULONG PacketNumber, DWORD Flags, ULONG EosPacketLength);
  STDMETHODIMP_(NTSTATUS) GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* PresentationPosition);
  STDMETHODIMP_(NTSTATUS) GetPacketCount(ULONG* PacketCount);
  // IMiniportWaveRTInputStream (PASSIVE_LEVEL)
  STDMETHODIMP_(NTSTATUS) GetReadPacket(ULONG* PacketNumber, DWORD* Flags, ULONG64* PerformanceCounterValue,
                                        BOOL* MoreData);

  ~WaveStream();

 private:
  WaveStream(WaveMiniport* miniport, PPORTWAVERTSTREAM port_stream, ULONG pin, hw::StreamRoute route,
             const StreamFormat& format);

  struct NotificationEntry : PoolObject {
    PKEVENT event = nullptr;
    NotificationEntry* next = nullptr;
  };

  [[nodiscard]] NTSTATUS allocate_buffer(ULONG notification_count, ULONG requested_bytes, PMDL* mdl,
                                         ULONG* actual_bytes, ULONG* offset_from_first_page,
                                         MEMORY_CACHING_TYPE* cache_type);
  void free_buffer();
  ULONG buffer_bytes_for(ULONG notification_count, ULONG requested_bytes) const;

  static void on_interrupt(void* context, hw::StreamDescriptor* descriptor, UCHAR status);
  static KDEFERRED_ROUTINE on_dpc;
  void count_packets();  // lock_ held
  void silence_slot(ULONGLONG packet);
  ULONGLONG completed_packets() const;

  WaveMiniport* const miniport_;         // referenced
  PPORTWAVERTSTREAM const port_stream_;  // referenced
  const ULONG pin_;
  const hw::StreamRoute route_;
  hw::Controller& controller_;
  hw::StreamDescriptor* descriptor_ = nullptr;
  StreamFormat format_;

  // The cyclic buffer, set by Allocate*, cleared by Free* (PASSIVE_LEVEL, stream stopped).
  PMDL mdl_ = nullptr;
  PUCHAR buffer_ = nullptr;       // kernel mapping (MapAllocatedPages, MmCached)
  ULONG buffer_bytes_ = 0;
  ULONG notification_count_ = 0;  // 0: AllocateAudioBuffer (no events, no packets)
  ULONG packet_bytes_ = 0;        // buffer_bytes_ / notification_count_
  hw::BufferDescriptor* bdl_ = nullptr;  // contiguous, attached to the controller's bus
  PHYSICAL_ADDRESS bdl_physical_ = {};
  ULONG bdl_bytes_ = 0;

  bool holds_wall_clock_ = false;  // GetClockRegister handed WALCLK out: keep it counting

  KDPC dpc_;
  KSPIN_LOCK lock_;
  // Guarded by lock_:
  KSSTATE state_ = KSSTATE_STOP;
  NotificationEntry* events_ = nullptr;
  ULONGLONG counted_packets_ = 0;       // packets the DPC has seen complete since STOP
  bool eos_ = false;                    // render: the end-of-stream packet was written
  ULONGLONG eos_packet_ = 0;
  ULONGLONG next_read_packet_ = 0;      // capture: the first packet GetReadPacket has not returned
};

}  // namespace wavert::wave
