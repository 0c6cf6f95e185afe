// The clocked WaveRT test miniport (clocked_miniport.hpp). Host test code using the kernel API the
// way a driver does: pool allocation, a spin lock shared with the DPC, a KTIMER + KDPC.
#include "clocked_miniport.hpp"

#include <cstring>
#include <mutex>

#include <stdunk.h>

namespace clocked_test {
namespace {

const ULONG kPoolTag = 0x6B6C4354;  // "TClk"

Options g_options;
std::mutex g_observe_mutex;            // leaf lock for the observations below
std::vector<std::byte> g_played;       // guarded by g_observe_mutex
ULONG g_notifications = 0;             // guarded by g_observe_mutex
LONG g_streams_alive = 0;

// ---- Filter description --------------------------------------------------------------------------

KSDATARANGE_AUDIO g_ranges[] = {
    {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM),
      STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)},
     8, 8, 32, 8'000, 192'000},
    {{sizeof(KSDATARANGE_AUDIO), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO),
      STATICGUIDOF(KSDATAFORMAT_SUBTYPE_IEEE_FLOAT), STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)},
     8, 32, 32, 8'000, 192'000},
};
PKSDATARANGE g_range_pointers[] = {PKSDATARANGE(&g_ranges[0]), PKSDATARANGE(&g_ranges[1])};

const PCPIN_DESCRIPTOR g_pins[] = {
    {4, 4, 0, nullptr,
     {0, nullptr, 0, nullptr, SIZEOF_ARRAY(g_range_pointers), g_range_pointers, KSPIN_DATAFLOW_IN,
      KSPIN_COMMUNICATION_SINK, &KSCATEGORY_AUDIO, nullptr, 0}},
    {4, 4, 0, nullptr,
     {0, nullptr, 0, nullptr, SIZEOF_ARRAY(g_range_pointers), g_range_pointers, KSPIN_DATAFLOW_OUT,
      KSPIN_COMMUNICATION_SINK, &KSCATEGORY_AUDIO, nullptr, 0}},
};
const GUID g_categories[] = {{STATICGUIDOF(KSCATEGORY_AUDIO)},
                             {STATICGUIDOF(KSCATEGORY_RENDER)},
                             {STATICGUIDOF(KSCATEGORY_CAPTURE)},
                             {STATICGUIDOF(KSCATEGORY_REALTIME)}};
PCFILTER_DESCRIPTOR g_filter = {0, nullptr, sizeof(PCPIN_DESCRIPTOR), SIZEOF_ARRAY(g_pins), g_pins,
                                sizeof(PCNODE_DESCRIPTOR), 0, nullptr, 0, nullptr,
                                SIZEOF_ARRAY(g_categories), g_categories};

// ---- Stream ----------------------------------------------------------------------------------------

class ClockedStream : public IMiniportWaveRTStreamNotification,
                      public IMiniportWaveRTOutputStream,
                      public IMiniportWaveRTInputStream,
                      public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  ClockedStream(PUNKNOWN outer, PPORTWAVERTSTREAM port_stream, bool capture, const WAVEFORMATEX& wave)
      : CUnknown(outer), port_stream_(port_stream), capture_(capture), options_(g_options) {
    port_stream_->AddRef();
    rate_hz_ = wave.nSamplesPerSec;
    frame_bytes_ = wave.nBlockAlign;
    KeInitializeSpinLock(&lock_);
    KeInitializeTimerEx(&timer_, NotificationTimer);
    KeInitializeDpc(&dpc_, &ClockedStream::BurstDpc, this);
    __atomic_add_fetch(&g_streams_alive, 1, __ATOMIC_SEQ_CST);
    std::lock_guard<std::mutex> guard(g_observe_mutex);
    g_played.clear();
    g_notifications = 0;
  }
  ~ClockedStream() {
    KeCancelTimer(&timer_);
    KeFlushQueuedDpcs();
    FreeBuffer();
    FreeRegister();
    port_stream_->Release();
    __atomic_sub_fetch(&g_streams_alive, 1, __ATOMIC_SEQ_CST);
  }
  static void operator delete(void* p) noexcept { ExFreePool(p); }

  IMP_IMiniportWaveRTStream;
  IMP_IMiniportWaveRTStreamNotification;
  IMP_IMiniportWaveRTOutputStream;
  IMP_IMiniportWaveRTInputStream;

 private:
  static VOID BurstDpc(PKDPC, PVOID context, PVOID, PVOID) { static_cast<ClockedStream*>(context)->Burst(); }

  // Frames the device has moved at interrupt time `now` (lock held).
  ULONGLONG FramesAt(ULONGLONG now_100ns) const {
    const unsigned __int128 elapsed = now_100ns - run_start_100ns_;
    return base_frames_ + static_cast<ULONGLONG>(elapsed * rate_hz_ / 10'000'000u);
  }

  // Moves the device to `frames` (lock held): data through the buffer, the register, events due.
  void AdvanceTo(ULONGLONG frames, bool* signal) {
    if (buffer_ == nullptr || frames <= position_frames_) return;
    for (ULONGLONG f = position_frames_; f < frames; ++f) {
      std::byte* slot = buffer_ + (f % buffer_frames_) * frame_bytes_;
      if (capture_) {
        for (ULONG b = 0; b < frame_bytes_; ++b) slot[b] = std::byte{capture_byte(f, b)};
      } else {
        std::lock_guard<std::mutex> guard(g_observe_mutex);
        g_played.insert(g_played.end(), slot, slot + frame_bytes_);
      }
    }
    if (notification_count_ != 0) {
      const ULONGLONG period = buffer_frames_ / notification_count_;
      if (frames / period != position_frames_ / period) *signal = true;
    }
    position_frames_ = frames;
    PublishRegister(static_cast<ULONG>((frames % buffer_frames_) * frame_bytes_));
  }

  void Burst() {
    bool signal = false;
    KIRQL irql;
    KeAcquireSpinLock(&lock_, &irql);
    if (state_ == KSSTATE_RUN) AdvanceTo(FramesAt(KeQueryInterruptTime()), &signal);
    const ULONG events = event_count_;
    PKEVENT snapshot[kMaxEvents];
    for (ULONG i = 0; i < events; ++i) snapshot[i] = events_[i];
    KeReleaseSpinLock(&lock_, irql);
    if (signal) {
      for (ULONG i = 0; i < events; ++i) KeSetEvent(snapshot[i], 0, FALSE);
      std::lock_guard<std::mutex> guard(g_observe_mutex);
      g_notifications += events;
    }
  }

  void PublishRegister(ULONG offset) {
    if (register_ != nullptr) __atomic_store_n(register_, offset, __ATOMIC_RELEASE);
  }

  void FreeRegister() {
    if (register_mdl_ == nullptr) return;
    port_stream_->UnmapAllocatedPages(const_cast<ULONG*>(register_), register_mdl_);
    port_stream_->FreePagesFromMdl(register_mdl_);
    register_mdl_ = nullptr;
    register_ = nullptr;
  }

  void FreeBuffer() {
    if (mdl_ == nullptr) return;
    port_stream_->UnmapAllocatedPages(buffer_, mdl_);
    port_stream_->FreePagesFromMdl(mdl_);
    mdl_ = nullptr;
    buffer_ = nullptr;
  }

  NTSTATUS Allocate(ULONG notifications, ULONG requested, PMDL* mdl, ULONG* actual, ULONG* offset,
                    MEMORY_CACHING_TYPE* cache) {
    if (mdl_ != nullptr || requested < frame_bytes_ * 2) return STATUS_INVALID_PARAMETER;
    ULONG size = requested - requested % frame_bytes_;
    if (notifications != 0 && (size / frame_bytes_) % notifications != 0) return STATUS_INVALID_PARAMETER;
    PHYSICAL_ADDRESS high;
    high.QuadPart = -1;
    PMDL m = port_stream_->AllocatePagesForMdl(high, size);
    if (m == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    if (MmGetMdlByteCount(m) < size) {
      port_stream_->FreePagesFromMdl(m);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    void* va = port_stream_->MapAllocatedPages(m, MmCached);
    if (va == nullptr) {
      port_stream_->FreePagesFromMdl(m);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    mdl_ = m;
    buffer_ = static_cast<std::byte*>(va);
    buffer_frames_ = size / frame_bytes_;
    notification_count_ = notifications;
    *mdl = m;
    *actual = size;
    *offset = 0;
    *cache = MmCached;
    return STATUS_SUCCESS;
  }

  static constexpr ULONG kMaxEvents = 4;

  PPORTWAVERTSTREAM port_stream_;
  const bool capture_;
  const Options options_;
  ULONG rate_hz_ = 0;
  ULONG frame_bytes_ = 0;
  KTIMER timer_;
  KDPC dpc_;
  KSPIN_LOCK lock_;
  // Guarded by lock_:
  KSSTATE state_ = KSSTATE_STOP;
  ULONGLONG run_start_100ns_ = 0;
  ULONGLONG base_frames_ = 0;       // frames moved before the current RUN
  ULONGLONG position_frames_ = 0;   // frames moved, as of the last burst
  PKEVENT events_[kMaxEvents] = {};
  ULONG event_count_ = 0;
  ULONG packets_written_ = 0;       // render packet mode: SetWritePacket calls accepted
  ULONG next_read_packet_ = 0;      // capture packet mode
  // Set at allocation, before RUN:
  PMDL mdl_ = nullptr;
  std::byte* buffer_ = nullptr;
  ULONG buffer_frames_ = 0;
  ULONG notification_count_ = 0;
  // The "LPIB": byte offset of the last burst, in a page of its own from IPortWaveRTStream (device
  // memory the port can map for the client). Allocated by GetPositionRegister.
  PMDL register_mdl_ = nullptr;
  volatile ULONG* register_ = nullptr;
};

NTSTATUS ClockedStream::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStream)) {
    *out = PVOID(PMINIPORTWAVERTSTREAM(PMINIPORTWAVERTSTREAMNOTIFICATION(this)));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification)) {
    *out = PVOID(PMINIPORTWAVERTSTREAMNOTIFICATION(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream) && !capture_) {
    *out = PVOID(PMINIPORTWAVERTOUTPUTSTREAM(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTInputStream) && capture_) {
    *out = PVOID(PMINIPORTWAVERTINPUTSTREAM(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS ClockedStream::SetFormat(PKSDATAFORMAT) { return STATUS_NOT_SUPPORTED; }

NTSTATUS ClockedStream::SetState(KSSTATE state) {
  bool signal = false;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONGLONG now = KeQueryInterruptTime();
  if (state == KSSTATE_RUN && state_ != KSSTATE_RUN) {
    run_start_100ns_ = now;
    base_frames_ = position_frames_;
  } else if (state != KSSTATE_RUN && state_ == KSSTATE_RUN) {
    AdvanceTo(FramesAt(now), &signal);
  }
  if (state == KSSTATE_STOP) {
    base_frames_ = position_frames_ = 0;
    packets_written_ = next_read_packet_ = 0;
    PublishRegister(0);
  }
  const bool run = state == KSSTATE_RUN;
  state_ = state;
  KeReleaseSpinLock(&lock_, irql);
  if (run) {
    LARGE_INTEGER due;
    due.QuadPart = -static_cast<LONGLONG>(kBurst100ns);
    KeSetTimerEx(&timer_, due, static_cast<LONG>(kBurst100ns / 10'000), &dpc_);
  } else {
    KeCancelTimer(&timer_);
  }
  return STATUS_SUCCESS;
}

NTSTATUS ClockedStream::GetPosition(PKSAUDIO_POSITION position) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONGLONG offset = buffer_frames_ == 0 ? 0 : (position_frames_ % buffer_frames_) * frame_bytes_;
  KeReleaseSpinLock(&lock_, irql);
  position->PlayOffset = offset;
  position->WriteOffset = offset;
  return STATUS_SUCCESS;
}

NTSTATUS ClockedStream::AllocateAudioBuffer(ULONG requested, PMDL* mdl, ULONG* actual, ULONG* offset,
                                            MEMORY_CACHING_TYPE* cache) {
  return Allocate(0, requested, mdl, actual, offset, cache);
}
VOID ClockedStream::FreeAudioBuffer(PMDL, ULONG) { FreeBuffer(); }

VOID ClockedStream::GetHWLatency(KSRTAUDIO_HWLATENCY* latency) {
  latency->FifoSize = options_.fifo_bytes;
  latency->ChipsetDelay = 0;
  latency->CodecDelay = options_.codec_delay_100ns;
}

NTSTATUS ClockedStream::GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) {
  if (!options_.position_register) return STATUS_NOT_SUPPORTED;
  if (register_mdl_ == nullptr) {
    PHYSICAL_ADDRESS high;
    high.QuadPart = -1;
    PMDL m = port_stream_->AllocatePagesForMdl(high, PAGE_SIZE);
    if (m == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    void* va = port_stream_->MapAllocatedPages(m, MmNonCached);
    if (va == nullptr) {
      port_stream_->FreePagesFromMdl(m);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    KIRQL irql;
    KeAcquireSpinLock(&lock_, &irql);
    register_mdl_ = m;
    register_ = static_cast<volatile ULONG*>(va);
    PublishRegister(buffer_frames_ == 0 ? 0 : static_cast<ULONG>((position_frames_ % buffer_frames_) * frame_bytes_));
    KeReleaseSpinLock(&lock_, irql);
  }
  reg->Register = const_cast<ULONG*>(register_);
  reg->Width = 32;
  reg->Numerator = 0;
  reg->Denominator = 0;
  reg->Accuracy = static_cast<ULONG>(ULONGLONG{rate_hz_} * kBurst100ns / 10'000'000u) * frame_bytes_;
  return STATUS_SUCCESS;
}
NTSTATUS ClockedStream::GetClockRegister(KSRTAUDIO_HWREGISTER*) { return STATUS_NOT_SUPPORTED; }

NTSTATUS ClockedStream::AllocateBufferWithNotification(ULONG notifications, ULONG requested, PMDL* mdl, ULONG* actual,
                                                       ULONG* offset, MEMORY_CACHING_TYPE* cache) {
  if (notifications < 1 || notifications > 2) return STATUS_INVALID_PARAMETER;
  return Allocate(notifications, requested, mdl, actual, offset, cache);
}
VOID ClockedStream::FreeBufferWithNotification(PMDL, ULONG) { FreeBuffer(); }

NTSTATUS ClockedStream::RegisterNotificationEvent(PKEVENT event) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_SUCCESS;
  if (event_count_ == kMaxEvents) {
    status = STATUS_INSUFFICIENT_RESOURCES;
  } else {
    events_[event_count_++] = event;
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

NTSTATUS ClockedStream::UnregisterNotificationEvent(PKEVENT event) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_NOT_FOUND;
  for (ULONG i = 0; i < event_count_; ++i) {
    if (events_[i] == event) {
      events_[i] = events_[--event_count_];
      status = STATUS_SUCCESS;
      break;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

// Packet n may be written while packet n-1 is the one in flight: n == count (+1 in RUN), where
// count = packets fully transferred (sysvad's rule, waveRT-contract.md §4.2).
NTSTATUS ClockedStream::SetWritePacket(ULONG packet, DWORD flags, ULONG) {
  if (flags != 0) return STATUS_INVALID_PARAMETER;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONG period = notification_count_ == 0 ? 0 : buffer_frames_ / notification_count_;
  NTSTATUS status = STATUS_SUCCESS;
  if (period == 0) {
    status = STATUS_INVALID_DEVICE_STATE;
  } else {
    const ULONG count = static_cast<ULONG>(position_frames_ / period);
    const ULONG expected = count + (state_ == KSSTATE_RUN ? 1 : 0);
    if (packet < expected) status = STATUS_DATA_LATE_ERROR;
    if (packet > expected) status = STATUS_DATA_OVERRUN;
    if (NT_SUCCESS(status)) packets_written_++;
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

NTSTATUS ClockedStream::GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* position) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  position->u64PositionInBlocks = position_frames_;
  KeReleaseSpinLock(&lock_, irql);
  position->u64QPCPosition = static_cast<UINT64>(KeQueryPerformanceCounter(nullptr).QuadPart);
  return STATUS_SUCCESS;
}

NTSTATUS ClockedStream::GetPacketCount(ULONG* count) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONG period = notification_count_ == 0 ? 0 : buffer_frames_ / notification_count_;
  *count = period == 0 ? 0 : static_cast<ULONG>(position_frames_ / period);
  KeReleaseSpinLock(&lock_, irql);
  return period == 0 ? STATUS_NOT_SUPPORTED : STATUS_SUCCESS;
}

// The newest complete packet; older ones are being overwritten with two packets per buffer.
NTSTATUS ClockedStream::GetReadPacket(ULONG* packet, DWORD* flags, ULONG64* qpc, BOOL* more) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_SUCCESS;
  const ULONG period = notification_count_ == 0 ? 0 : buffer_frames_ / notification_count_;
  if (period == 0) {
    status = STATUS_NOT_SUPPORTED;
  } else if (state_ < KSSTATE_PAUSE) {
    status = STATUS_INVALID_DEVICE_STATE;
  } else {
    const ULONG complete = static_cast<ULONG>(position_frames_ / period);
    if (complete == 0 || complete <= next_read_packet_) {
      status = STATUS_DEVICE_NOT_READY;
    } else {
      *packet = complete - 1;
      *flags = 0;
      *more = FALSE;
      const ULONGLONG first_frame = ULONGLONG{complete - 1} * period;
      *qpc = run_start_100ns_ + (first_frame - base_frames_) * 10'000'000u / rate_hz_;  // QPC runs at 10 MHz
      next_read_packet_ = complete;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

// ---- Miniport --------------------------------------------------------------------------------------

class ClockedMiniport : public IMiniportWaveRT, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(ClockedMiniport);
  static void operator delete(void* p) noexcept { ExFreePool(p); }
  IMP_IMiniportWaveRT;
};

NTSTATUS ClockedMiniport::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
      IsEqualGUIDAligned(iid, IID_IMiniportWaveRT)) {
    *out = PVOID(PMINIPORTWAVERT(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS ClockedMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  *description = &g_filter;
  return STATUS_SUCCESS;
}
NTSTATUS ClockedMiniport::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID, PULONG) {
  return STATUS_NOT_IMPLEMENTED;  // the port's default audio intersection
}
NTSTATUS ClockedMiniport::Init(PUNKNOWN, PRESOURCELIST, PPORTWAVERT) { return STATUS_SUCCESS; }
NTSTATUS ClockedMiniport::GetDeviceDescription(PDEVICE_DESCRIPTION description) {
  std::memset(description, 0, sizeof *description);
  return STATUS_SUCCESS;
}

NTSTATUS ClockedMiniport::NewStream(PMINIPORTWAVERTSTREAM* out, PPORTWAVERTSTREAM port_stream, ULONG, BOOLEAN capture,
                                    PKSDATAFORMAT format) {
  // The port validated the format against our ranges; it is a WAVEFORMATEX(TENSIBLE).
  const auto* wave = reinterpret_cast<const WAVEFORMATEX*>(format + 1);
  auto* stream = new (NonPagedPoolNx, kPoolTag) ClockedStream(nullptr, port_stream, capture != FALSE, *wave);
  if (stream == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  *out = PMINIPORTWAVERTSTREAM(PMINIPORTWAVERTSTREAMNOTIFICATION(stream));
  (*out)->AddRef();
  return STATUS_SUCCESS;
}

// ---- Adapter ---------------------------------------------------------------------------------------

NTSTATUS StartDevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  PPORT port = nullptr;
  NTSTATUS status = PcNewPort(&port, CLSID_PortWaveRT);
  if (!NT_SUCCESS(status)) return status;
  auto* miniport = new (NonPagedPoolNx, kPoolTag) ClockedMiniport(nullptr);
  if (miniport == nullptr) {
    port->Release();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  PUNKNOWN unknown = PUNKNOWN(PMINIPORTWAVERT(miniport));
  unknown->AddRef();
  status = port->Init(device, irp, unknown, nullptr, resources);
  if (NT_SUCCESS(status)) status = PcRegisterSubdevice(device, (PWSTR)u"Wave", port);
  unknown->Release();
  port->Release();
  return status;
}

NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) {
  return PcAddAdapterDevice(driver, pdo, StartDevice, 1, 0);
}

}  // namespace

void SetOptions(const Options& options) { g_options = options; }

NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  return PcInitializeAdapterDriver(driver, registry_path, AddDevice);
}

std::vector<std::byte> Played() {
  std::lock_guard<std::mutex> guard(g_observe_mutex);
  return g_played;
}
ULONG NotificationsSignalled() {
  std::lock_guard<std::mutex> guard(g_observe_mutex);
  return g_notifications;
}
ULONG StreamsAlive() { return static_cast<ULONG>(__atomic_load_n(&g_streams_alive, __ATOMIC_SEQ_CST)); }

}  // namespace clocked_test
