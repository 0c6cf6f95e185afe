// One WaveRT stream (wave_stream.h). Contract references are to
// ../shared/reference/waveRT-contract.md (§n) and to the IMiniportWaveRT* method they come from.
#include "wave/wave_stream.h"

#include <ksmedia.h>

#include "codec/codec_stage.h"
#include "common/muldiv.h"
#include "common/status.h"
#include "common/tags.h"
#include "device/device.h"
#include "wave/bdl.h"
#include "wave/format.h"
#include "wave/wave_miniport_impl.h"

namespace wavert::wave {
namespace {

// The largest cyclic buffer: its BDL (one entry per page, plus one per packet end and one for a
// first page that starts mid-page) must fit the controller's kMaxBdlEntries. 4080 KiB, about
// 2.7 s of 48 kHz 8-channel 32-bit audio.
inline constexpr ULONG kMaxBufferBytes = (hw::kMaxBdlEntries - 4) * PAGE_SIZE;

PHYSICAL_ADDRESS physical(LONGLONG value) {
  PHYSICAL_ADDRESS address;
  address.QuadPart = value;
  return address;
}

}  // namespace

// ---- Creation and destruction -----------------------------------------------------------------

WaveStream::WaveStream(WaveMiniport* miniport, PPORTWAVERTSTREAM port_stream, ULONG pin, hw::StreamRoute route,
                       const StreamFormat& format)
    : CUnknown(nullptr),
      miniport_(miniport),
      port_stream_(port_stream),
      pin_(pin),
      route_(route),
      controller_(miniport->device().controller()),
      format_(format) {
  miniport_->AddRef();
  port_stream_->AddRef();
  KeInitializeSpinLock(&lock_);
  KeInitializeDpc(&dpc_, &WaveStream::on_dpc, this);
}

NTSTATUS WaveStream::create(WaveMiniport* miniport, PPORTWAVERTSTREAM port_stream, ULONG pin, hw::StreamRoute route,
                            const StreamFormat& format, WaveStream** out) {
  PAGED_CODE();
  *out = nullptr;
  auto* stream = new (NonPagedPoolNx, tags::kWave) WaveStream(miniport, port_stream, pin, route, format);
  if (stream == nullptr) {
    miniport->release_instance(pin);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  stream->AddRef();
  const NTSTATUS status = stream->controller_.allocate_stream(route, &stream->descriptor_);
  if (!NT_SUCCESS(status)) {
    stream->descriptor_ = nullptr;
    stream->Release();  // gives the instance back
    return status;
  }
  // CTL.IOCE with our handler; set before the first start() (hw/controller.h).
  stream->descriptor_->set_interrupt_handler(&WaveStream::on_interrupt, stream);
  *out = stream;
  return STATUS_SUCCESS;
}

WaveStream::~WaveStream() {
  PAGED_CODE();
  // The port closes a pin by stepping it to STOP and freeing its buffer first (§1.6); a stream
  // released without that still stops DMA here before its memory goes.
  if (descriptor_ != nullptr) descriptor_->reset();
  if (holds_wall_clock_) controller_.release_wall_clock();
  free_buffer();
  if (descriptor_ != nullptr) {
    controller_.free_stream(descriptor_);
    descriptor_ = nullptr;
  }
  // A DPC queued by the last interrupt may still be pending: it must not run on freed memory.
  KeFlushQueuedDpcs();
  while (events_ != nullptr) {
    NotificationEntry* entry = events_;
    events_ = entry->next;
    delete entry;
  }
  port_stream_->Release();
  miniport_->release_instance(pin_);
  miniport_->Release();
}

NTSTATUS WaveStream::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  const bool capture = route_ != hw::StreamRoute::SpeakerRender;
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStream)) {
    *out = PVOID(PMINIPORTWAVERTSTREAM(static_cast<IMiniportWaveRTStreamNotification*>(this)));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification)) {
    *out = PVOID(static_cast<IMiniportWaveRTStreamNotification*>(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream) && !capture) {
    *out = PVOID(PMINIPORTWAVERTOUTPUTSTREAM(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTInputStream) && capture) {
    *out = PVOID(PMINIPORTWAVERTINPUTSTREAM(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

// ---- Buffer ---------------------------------------------------------------------------------------

// "RequestedSize honoured to whole frames": rounded up to whole frames, and for a buffer with
// notifications to a multiple of NotificationCount frames so that every packet is whole frames.
// Up, not down: KSPROPERTY_RTAUDIO_BUFFER's documentation requires the actual size to be at least
// the requested one, or WASAPI will not use the buffer. Never below one such unit, never above
// what one BDL can describe (the only case that returns less than was asked for).
ULONG WaveStream::buffer_bytes_for(ULONG notification_count, ULONG requested_bytes) const {
  const ULONG frame_bytes = format_.block_align();
  const ULONG unit_bytes = frame_bytes * (notification_count == 0 ? 1 : notification_count);
  const ULONG largest = kMaxBufferBytes - kMaxBufferBytes % unit_bytes;
  if (requested_bytes >= largest) return largest;
  const ULONG bytes = static_cast<ULONG>(round_up(requested_bytes, unit_bytes));
  return bytes == 0 ? unit_bytes : bytes;
}

NTSTATUS WaveStream::allocate_buffer(ULONG notification_count, ULONG requested_bytes, PMDL* mdl_out,
                                     ULONG* actual_bytes, ULONG* offset_from_first_page,
                                     MEMORY_CACHING_TYPE* cache_type) {
  PAGED_CODE();
  if (mdl_ != nullptr) return STATUS_DEVICE_BUSY;
  if (descriptor_->running()) return STATUS_INVALID_DEVICE_STATE;
  const ULONG bytes = buffer_bytes_for(notification_count, requested_bytes);

  // 64-bit addressing: the pages may lie anywhere (GetDeviceDescription says Dma64BitAddresses).
  PMDL mdl = port_stream_->AllocatePagesForMdl(physical(-1), bytes);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  // AllocatePagesForMdl may return fewer pages than asked for (IPortWaveRTStream docs, §3).
  if (MmGetMdlByteCount(mdl) < bytes) {
    port_stream_->FreePagesFromMdl(mdl);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  // MmCached: the model's DMA is cache-coherent, and the port maps the client's view with the
  // cache type returned here, so both views agree.
  auto* buffer = static_cast<PUCHAR>(port_stream_->MapAllocatedPages(mdl, MmCached));
  if (buffer == nullptr) {
    port_stream_->FreePagesFromMdl(mdl);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  NTSTATUS status = controller_.attach_pages(mdl, buffer);
  if (!NT_SUCCESS(status)) {
    port_stream_->UnmapAllocatedPages(buffer, mdl);
    port_stream_->FreePagesFromMdl(mdl);
    return status;
  }

  const ULONG packet_bytes = notification_count == 0 ? 0 : bytes / notification_count;
  const BdlLayout layout = {MmGetMdlPfnArray(mdl), MmGetMdlByteOffset(mdl), bytes, packet_bytes};
  const ULONG entries = bdl_entry_count(layout);
  const ULONG bdl_bytes = static_cast<ULONG>(round_up(ULONGLONG{entries} * sizeof(hw::BufferDescriptor), PAGE_SIZE));
  // HDA §3.3.41: the list is 128-byte aligned; contiguous memory is page aligned.
  auto* bdl = static_cast<hw::BufferDescriptor*>(
      MmAllocateContiguousMemorySpecifyCache(bdl_bytes, physical(0), physical(-1), physical(0), MmNonCached));
  if (bdl == nullptr) {
    controller_.detach_pages(mdl);
    port_stream_->UnmapAllocatedPages(buffer, mdl);
    port_stream_->FreePagesFromMdl(mdl);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  const PHYSICAL_ADDRESS bdl_physical = MmGetPhysicalAddress(bdl);
  ULONG written = 0;
  status = build_bdl(layout, bdl, bdl_bytes / sizeof(hw::BufferDescriptor), &written);
  if (NT_SUCCESS(status)) status = controller_.attach_contiguous(bdl_physical, bdl, bdl_bytes);
  if (NT_SUCCESS(status)) {
    status = descriptor_->program(format_, bdl_physical, bytes, written - 1);
    if (!NT_SUCCESS(status)) controller_.detach_contiguous(bdl_physical);
  }
  if (!NT_SUCCESS(status)) {
    MmFreeContiguousMemory(bdl);
    controller_.detach_pages(mdl);
    port_stream_->UnmapAllocatedPages(buffer, mdl);
    port_stream_->FreePagesFromMdl(mdl);
    return status;
  }

  mdl_ = mdl;
  buffer_ = buffer;
  buffer_bytes_ = bytes;
  notification_count_ = notification_count;
  packet_bytes_ = packet_bytes;
  bdl_ = bdl;
  bdl_physical_ = bdl_physical;
  bdl_bytes_ = bdl_bytes;

  *mdl_out = mdl;
  *actual_bytes = bytes;
  *offset_from_first_page = MmGetMdlByteOffset(mdl);
  *cache_type = MmCached;
  return STATUS_SUCCESS;
}

void WaveStream::free_buffer() {
  PAGED_CODE();
  if (mdl_ == nullptr) return;
  // DMA must not walk a list or pages that are going away.
  descriptor_->reset();
  KeFlushQueuedDpcs();
  controller_.detach_contiguous(bdl_physical_);
  MmFreeContiguousMemory(bdl_);
  controller_.detach_pages(mdl_);
  port_stream_->UnmapAllocatedPages(buffer_, mdl_);
  port_stream_->FreePagesFromMdl(mdl_);
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  mdl_ = nullptr;
  buffer_ = nullptr;
  buffer_bytes_ = 0;
  notification_count_ = 0;
  packet_bytes_ = 0;
  bdl_ = nullptr;
  bdl_physical_.QuadPart = 0;
  bdl_bytes_ = 0;
  counted_packets_ = 0;
  eos_ = false;
  next_read_packet_ = 0;
  KeReleaseSpinLock(&lock_, irql);
}

NTSTATUS WaveStream::AllocateAudioBuffer(ULONG requested_size, PMDL* mdl, ULONG* actual_size,
                                         ULONG* offset_from_first_page, MEMORY_CACHING_TYPE* cache_type) {
  PAGED_CODE();
  return allocate_buffer(0, requested_size, mdl, actual_size, offset_from_first_page, cache_type);
}

VOID WaveStream::FreeAudioBuffer(PMDL, ULONG) {
  PAGED_CODE();
  free_buffer();
}

// §4.1: NotificationCount is 1 (an event at the buffer's end) or 2 (also at its middle).
NTSTATUS WaveStream::AllocateBufferWithNotification(ULONG notification_count, ULONG requested_size, PMDL* mdl,
                                                    ULONG* actual_size, ULONG* offset_from_first_page,
                                                    MEMORY_CACHING_TYPE* cache_type) {
  PAGED_CODE();
  if (notification_count < 1 || notification_count > 2) return STATUS_INVALID_PARAMETER;
  return allocate_buffer(notification_count, requested_size, mdl, actual_size, offset_from_first_page, cache_type);
}

VOID WaveStream::FreeBufferWithNotification(PMDL, ULONG) {
  PAGED_CODE();
  free_buffer();
}

// ---- Registers, latency, position -------------------------------------------------------------

NTSTATUS WaveStream::GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) {
  PAGED_CODE();
  reg->Register = const_cast<ULONG*>(descriptor_->lpib_register());
  reg->Width = 32;
  reg->Numerator = 0;
  reg->Denominator = 0;
  // LPIB moves per DMA burst and is written once per engine tick (hw/controller.h).
  reg->Accuracy = descriptor_->position_accuracy_bytes();
  return STATUS_SUCCESS;
}

NTSTATUS WaveStream::GetClockRegister(KSRTAUDIO_HWREGISTER* reg) {
  PAGED_CODE();
  reg->Register = const_cast<ULONG*>(controller_.wall_clock_register());
  reg->Width = 32;
  // The client reads it in every state, not only while this stream runs.
  if (!holds_wall_clock_) {
    controller_.hold_wall_clock();
    holds_wall_clock_ = true;
  }
  // WALCLK counts the device oscillator, which also clocks the samples (§2: "the clock register
  // must run from the same oscillator as the sample clock").
  reg->Numerator = controller_.oscillator_hz_numerator();
  reg->Denominator = controller_.oscillator_hz_denominator();
  // The register is refreshed once per engine tick, in every stream state while it is handed out
  // (hold_wall_clock): that many ticks is its granularity.
  reg->Accuracy =
      static_cast<ULONG>(mul_div_ceil(hw::kWallClockHz, controller_.config().dma_tick_us, 1'000'000));
  return STATUS_SUCCESS;
}

VOID WaveStream::GetHWLatency(KSRTAUDIO_HWLATENCY* latency) {
  PAGED_CODE();
  latency->FifoSize = descriptor_->fifo_bytes();
  latency->ChipsetDelay = 0;  // the model's bus adds no delay of its own
  latency->CodecDelay = miniport_->device().codec().codec_delay_100ns();
}

// KSAUDIO_POSITION: PlayOffset is the frame at the DAC (render) or ADC (capture), computed from
// the oscillator and exact to a frame; WriteOffset is where the DMA is in the buffer.
NTSTATUS WaveStream::GetPosition(PKSAUDIO_POSITION position) {
  if (buffer_bytes_ == 0) {
    position->PlayOffset = 0;
    position->WriteOffset = 0;
    return STATUS_SUCCESS;
  }
  const ULONG frame_bytes = format_.block_align();
  const ULONGLONG buffer_frames = buffer_bytes_ / frame_bytes;
  const ULONGLONG frames = descriptor_->converter_frames_at(controller_.device_ticks_now());
  position->PlayOffset = (frames % buffer_frames) * frame_bytes;
  position->WriteOffset = descriptor_->dma_bytes() % buffer_bytes_;
  return STATUS_SUCCESS;
}

// ---- Format and state -----------------------------------------------------------------------

NTSTATUS WaveStream::SetFormat(PKSDATAFORMAT data_format) {
  PAGED_CODE();
  if (descriptor_->running()) return STATUS_INVALID_DEVICE_STATE;
  StreamFormat format;
  WAVERT_RETURN_IF_FAILED(stream_format_from_ks(data_format, &format));
  // The buffer was sized in whole frames (and packets) of the old format.
  if (buffer_bytes_ != 0) {
    const ULONG unit = format.block_align() * (notification_count_ == 0 ? 1 : notification_count_);
    if (buffer_bytes_ % unit != 0) return STATUS_INVALID_PARAMETER;
    WAVERT_RETURN_IF_FAILED(descriptor_->set_format(format));
  }
  format_ = format;
  return STATUS_SUCCESS;
}

// The port steps STOP <-> ACQUIRE <-> PAUSE <-> RUN one state at a time (§1.5). DMA runs only in
// RUN; PAUSE keeps position and counters; STOP resets them (CTL.SRST).
NTSTATUS WaveStream::SetState(KSSTATE state) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const KSSTATE previous = state_;
  KeReleaseSpinLock(&lock_, irql);
  if (state == previous) return STATUS_SUCCESS;
  const LONG step = static_cast<LONG>(state) - static_cast<LONG>(previous);
  if (step != 1 && step != -1) return STATUS_INVALID_DEVICE_STATE;

  switch (state) {
    case KSSTATE_RUN:
      if (mdl_ == nullptr) return STATUS_INVALID_DEVICE_STATE;  // nothing to move
      KeAcquireSpinLock(&lock_, &irql);
      state_ = KSSTATE_RUN;
      KeReleaseSpinLock(&lock_, irql);
      descriptor_->start();
      return STATUS_SUCCESS;
    case KSSTATE_PAUSE:
      // Out of RUN: the DPC sees PAUSE under the lock before any later signal, so no event is
      // set once this returns (§4.1: events only in RUN).
      KeAcquireSpinLock(&lock_, &irql);
      state_ = KSSTATE_PAUSE;
      KeReleaseSpinLock(&lock_, irql);
      descriptor_->stop();
      return STATUS_SUCCESS;
    case KSSTATE_ACQUIRE:
      KeAcquireSpinLock(&lock_, &irql);
      state_ = KSSTATE_ACQUIRE;
      KeReleaseSpinLock(&lock_, irql);
      return STATUS_SUCCESS;
    case KSSTATE_STOP:
      KeAcquireSpinLock(&lock_, &irql);
      state_ = KSSTATE_STOP;
      descriptor_->reset();
      counted_packets_ = 0;
      eos_ = false;
      eos_packet_ = 0;
      next_read_packet_ = 0;
      KeReleaseSpinLock(&lock_, irql);
      return STATUS_SUCCESS;
  }
  return STATUS_INVALID_PARAMETER;
}

// ---- Notification --------------------------------------------------------------------------------

NTSTATUS WaveStream::RegisterNotificationEvent(PKEVENT event) {
  PAGED_CODE();
  auto* entry = new (NonPagedPoolNx, tags::kNotify) NotificationEntry;
  if (entry == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  entry->event = event;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (NotificationEntry* e = events_; e != nullptr; e = e->next) {
    if (e->event == event) {
      KeReleaseSpinLock(&lock_, irql);
      delete entry;
      return STATUS_UNSUCCESSFUL;  // a duplicate, as sysvad answers it (§4.1)
    }
  }
  entry->next = events_;
  events_ = entry;
  KeReleaseSpinLock(&lock_, irql);
  return STATUS_SUCCESS;
}

NTSTATUS WaveStream::UnregisterNotificationEvent(PKEVENT event) {
  PAGED_CODE();
  NotificationEntry* found = nullptr;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (NotificationEntry** link = &events_; *link != nullptr; link = &(*link)->next) {
    if ((*link)->event == event) {
      found = *link;
      *link = found->next;
      break;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  if (found == nullptr) return STATUS_NOT_FOUND;
  delete found;
  return STATUS_SUCCESS;
}

// The model's interrupt, at DISPATCH_LEVEL inside the engine's DPC: like an ISR it only
// acknowledges SDnSTS and defers the work.
void WaveStream::on_interrupt(void* context, hw::StreamDescriptor* descriptor, UCHAR) {
  auto* stream = static_cast<WaveStream*>(context);
  descriptor->acknowledge_interrupt();
  KeInsertQueueDpc(&stream->dpc_, nullptr, nullptr);
}

VOID WaveStream::on_dpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* stream = static_cast<WaveStream*>(context);
  KeAcquireSpinLockAtDpcLevel(&stream->lock_);
  stream->count_packets();
  KeReleaseSpinLockFromDpcLevel(&stream->lock_);
}

ULONGLONG WaveStream::completed_packets() const {
  return packet_bytes_ == 0 ? 0 : descriptor_->dma_bytes() / packet_bytes_;
}

// lock_ held, DISPATCH_LEVEL. One event per packet (§4.2), counted from the DMA's byte count, not
// from interrupts: two packets completing in one engine tick still give two.
void WaveStream::count_packets() {
  const ULONGLONG completed = completed_packets();
  while (counted_packets_ < completed) {
    const ULONGLONG packet = counted_packets_++;
    // After end of stream a slot whose next use is a packet past the EOS packet plays silence
    // (§4.2: "an underflow yields silence rather than a repeated loop").
    if (eos_ && packet + notification_count_ > eos_packet_) silence_slot(packet);
    if (state_ == KSSTATE_RUN) {
      for (NotificationEntry* e = events_; e != nullptr; e = e->next) KeSetEvent(e->event, IO_NO_INCREMENT, FALSE);
    }
  }
}

void WaveStream::silence_slot(ULONGLONG packet) {
  const ULONG offset = static_cast<ULONG>(packet % notification_count_) * packet_bytes_;
  // 8-bit PCM is unsigned: its silence is 0x80.
  const UCHAR silence = format_.type == SampleType::Pcm && format_.container_bits == 8 ? 0x80 : 0;
  RtlFillMemory(buffer_ + offset, packet_bytes_, silence);
}

// ---- Packet mode, render (§4.2) -----------------------------------------------------------------

NTSTATUS WaveStream::SetWritePacket(ULONG packet_number, DWORD flags, ULONG eos_packet_length) {
  PAGED_CODE();
  if (mdl_ == nullptr) return STATUS_INVALID_DEVICE_STATE;
  if (packet_bytes_ == 0) return STATUS_NOT_SUPPORTED;  // packets need a notification buffer
  if ((flags & ~DWORD{KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM}) != 0) return STATUS_INVALID_PARAMETER;
  const bool eos = (flags & KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM) != 0;
  if (eos && (eos_packet_length > packet_bytes_ || eos_packet_length % format_.block_align() != 0)) {
    return STATUS_INVALID_PARAMETER;
  }
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_SUCCESS;
  // Packet n may be written while packet n - 1 is in flight: n == count (+1 in RUN), where count
  // is GetPacketCount's value (sysvad's rule).
  const ULONGLONG count = completed_packets();
  const ULONGLONG expected = count + (state_ == KSSTATE_RUN ? 1 : 0);
  if (eos_) {
    status = STATUS_INVALID_DEVICE_STATE;
  } else if (packet_number < (expected & 0xFFFFFFFFu)) {
    status = STATUS_DATA_LATE_ERROR;
  } else if (packet_number > (expected & 0xFFFFFFFFu)) {
    status = STATUS_DATA_OVERRUN;
  } else if (eos) {
    eos_ = true;
    eos_packet_ = expected;
    // The EOS packet's bytes past its length, and every other slot that no longer holds a packet
    // in flight, play silence; slots still in flight are silenced by the DPC when they complete.
    // An EOS packet that fills its slot (length == packet size) leaves no tail: nothing is lost.
    const UCHAR silence = format_.type == SampleType::Pcm && format_.container_bits == 8 ? 0x80 : 0;
    const ULONG slot = static_cast<ULONG>(expected % notification_count_);
    RtlFillMemory(buffer_ + slot * packet_bytes_ + eos_packet_length, packet_bytes_ - eos_packet_length, silence);
    for (ULONG later = 1; later < notification_count_; ++later) {
      const ULONGLONG occupant = expected + later - notification_count_;
      if (expected + later < notification_count_ || occupant < count) silence_slot(expected + later);
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

NTSTATUS WaveStream::GetPacketCount(ULONG* packet_count) {
  PAGED_CODE();
  if (mdl_ == nullptr) return STATUS_INVALID_DEVICE_STATE;
  if (packet_bytes_ == 0) return STATUS_NOT_SUPPORTED;
  // 1-based count of packets fully transferred; DMA bytes are 0 after STOP (CTL.SRST).
  *packet_count = static_cast<ULONG>(completed_packets());
  return STATUS_SUCCESS;
}

// "The first sample of packet 0 is block 0": frames past the DAC since STOP, at one QPC instant.
NTSTATUS WaveStream::GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* position) {
  PAGED_CODE();
  const ULONGLONG qpc = static_cast<ULONGLONG>(KeQueryPerformanceCounter(nullptr).QuadPart);
  position->u64PositionInBlocks = descriptor_->converter_frames_at(controller_.device_ticks_at_qpc(qpc));
  position->u64QPCPosition = qpc;
  return STATUS_SUCCESS;
}

// ---- Packet mode, capture (§4.2) ----------------------------------------------------------------

NTSTATUS WaveStream::GetReadPacket(ULONG* packet_number, DWORD* flags, ULONG64* performance_counter, BOOL* more_data) {
  PAGED_CODE();
  if (mdl_ == nullptr) return STATUS_INVALID_DEVICE_STATE;
  if (packet_bytes_ == 0) return STATUS_NOT_SUPPORTED;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONGLONG complete = completed_packets();
  if (complete == 0 || complete <= next_read_packet_) {
    KeReleaseSpinLock(&lock_, irql);
    return STATUS_DEVICE_NOT_READY;
  }
  // The DMA is filling packet `complete` now, in the slot of packet complete - N: only the last
  // N - 1 complete packets are intact (at least the newest one). Older unread ones are lost
  // (an overflow: the client sees the number skip).
  ULONGLONG packet = next_read_packet_;
  const ULONGLONG intact = notification_count_ > 1 ? notification_count_ - 1 : 1;
  if (complete - packet > intact) packet = complete - intact;
  next_read_packet_ = packet + 1;
  KeReleaseSpinLock(&lock_, irql);

  // The QPC of the packet's first sample, when it left the ADC -- not of its end (issue 4).
  const ULONGLONG first_frame = packet * (packet_bytes_ / format_.block_align());
  *packet_number = static_cast<ULONG>(packet);
  *flags = 0;
  *performance_counter = controller_.qpc_at_device_ticks(descriptor_->device_ticks_of_frame(first_frame));
  *more_data = packet + 1 < complete ? TRUE : FALSE;
  return STATUS_SUCCESS;
}

}  // namespace wavert::wave
