// The breakable WaveRT test miniport (broken_miniport.hpp). Written as a driver would be: pool
// allocation, one spin lock per stream shared with its burst DPC, a periodic KTIMER.
#include "broken_miniport.hpp"

#include <cstring>
#include <mutex>
#include <vector>

#include <stdunk.h>

namespace broken_test {
namespace {

const ULONG kPoolTag = 0x6B6E7242;             // "Brnk"
constexpr ULONGLONG kBurst100ns = 10'000;      // the DMA engine moves data every 1 ms
constexpr LONGLONG kLoopbackDelayFrames = 480; // the capture side reads 10 ms behind the render side

Breakage g_breakage;
LONG g_streams_alive = 0;
// The "hardware" stream slots of each pin, as many as the pin declares instances.
constexpr LONG kSlots[2] = {16, 8};
LONG g_slots_in_use[2] = {0, 0};

// The loopback "wire": every frame the loopback source stream played, in order. Guarded by
// g_loop_mutex, a leaf lock taken from the burst DPCs.
std::mutex g_loop_mutex;
std::vector<std::byte> g_loop;
ULONG g_loop_frame_bytes = 0;
const void* g_loop_source = nullptr;

KSDATARANGE_AUDIO g_range = {
    {sizeof(KSDATARANGE_AUDIO), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM),
     STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)},
    2, 16, 32, 44'100, 48'000};
PKSDATARANGE g_ranges[] = {PKSDATARANGE(&g_range)};

const PCPIN_DESCRIPTOR g_pins[] = {
    {kSlots[0], kSlots[0], 0, nullptr,
     {0, nullptr, 0, nullptr, SIZEOF_ARRAY(g_ranges), g_ranges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_SINK,
      &KSCATEGORY_AUDIO, nullptr, 0}},
    {kSlots[1], kSlots[1], 0, nullptr,
     {0, nullptr, 0, nullptr, SIZEOF_ARRAY(g_ranges), g_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_SINK,
      &KSCATEGORY_AUDIO, nullptr, 0}},
};
const GUID g_categories[] = {{STATICGUIDOF(KSCATEGORY_AUDIO)},
                             {STATICGUIDOF(KSCATEGORY_RENDER)},
                             {STATICGUIDOF(KSCATEGORY_CAPTURE)},
                             {STATICGUIDOF(KSCATEGORY_REALTIME)}};
PCFILTER_DESCRIPTOR g_filter = {0, nullptr, sizeof(PCPIN_DESCRIPTOR), SIZEOF_ARRAY(g_pins), g_pins,
                                sizeof(PCNODE_DESCRIPTOR), 0, nullptr, 0, nullptr,
                                SIZEOF_ARRAY(g_categories), g_categories};

class BrokenStream : public IMiniportWaveRTStreamNotification, public IMiniportWaveRTOutputStream, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  // Takes over one slot of pin `pin` (NewStream reserved it).
  BrokenStream(PUNKNOWN outer, PPORTWAVERTSTREAM port_stream, ULONG pin, bool capture, const WAVEFORMATEX& wave)
      : CUnknown(outer), port_(port_stream), slot_pin_(pin), capture_(capture), breakage_(g_breakage),
        rate_hz_(wave.nSamplesPerSec), frame_bytes_(wave.nBlockAlign) {
    port_->AddRef();
    KeInitializeSpinLock(&lock_);
    KeInitializeTimerEx(&timer_, NotificationTimer);
    KeInitializeDpc(&dpc_, &BrokenStream::BurstDpc, this);
    __atomic_add_fetch(&g_streams_alive, 1, __ATOMIC_SEQ_CST);
    if (!capture_) {
      std::lock_guard<std::mutex> guard(g_loop_mutex);
      if (g_loop_source == nullptr) {
        g_loop_source = this;
        g_loop.clear();
        g_loop_frame_bytes = frame_bytes_;
      }
    }
  }
  ~BrokenStream() {
    KeCancelTimer(&timer_);
    KeFlushQueuedDpcs();
    {
      std::lock_guard<std::mutex> guard(g_loop_mutex);
      if (g_loop_source == this) g_loop_source = nullptr;
    }
    if (register_mdl_ != nullptr) {
      port_->UnmapAllocatedPages(const_cast<ULONG*>(register_), register_mdl_);
      port_->FreePagesFromMdl(register_mdl_);
    }
    FreeBuffer();
    if (!breakage_.slot_freed_with_buffer) ReleaseSlot();
    port_->Release();
    __atomic_sub_fetch(&g_streams_alive, 1, __ATOMIC_SEQ_CST);
  }
  static void operator delete(void* p) noexcept { ExFreePool(p); }

  IMP_IMiniportWaveRTStream;
  IMP_IMiniportWaveRTStreamNotification;
  IMP_IMiniportWaveRTOutputStream;

 private:
  static VOID BurstDpc(PKDPC, PVOID context, PVOID, PVOID) { static_cast<BrokenStream*>(context)->Burst(); }
  void ReleaseSlot() {
    if (slot_held_) __atomic_sub_fetch(&g_slots_in_use[slot_pin_], 1, __ATOMIC_SEQ_CST);
    slot_held_ = false;
  }
  // FreeAudioBuffer / FreeBufferWithNotification: the buffer, and with the breakage the slot too.
  void FreeBufferFromPort() {
    FreeBuffer();
    if (breakage_.slot_freed_with_buffer) ReleaseSlot();
  }

  // Frames at interrupt time `now` since the clock started (lock held): a pure function of time.
  ULONGLONG FramesAt(ULONGLONG now_100ns) const {
    const unsigned __int128 elapsed = now_100ns - run_start_100ns_;
    const unsigned __int128 scaled_rate = static_cast<unsigned __int128>(rate_hz_) * (1'000'000 + breakage_.rate_error_ppm);
    return base_frames_ + static_cast<ULONGLONG>(elapsed * scaled_rate / (10'000'000ull * 1'000'000ull));
  }
  ULONGLONG PositionFrames(ULONGLONG now_100ns) const {
    if (!moving_) return base_frames_;
    if (breakage_.position_quantum_100ns != 0) {
      const ULONGLONG q = breakage_.position_quantum_100ns;
      now_100ns = run_start_100ns_ + (now_100ns - run_start_100ns_) / q * q;
    }
    return FramesAt(now_100ns);
  }
  ULONG PeriodFrames() const {
    if (notification_count_ == 0) return 0;
    return buffer_frames_ / (breakage_.notification_period_wrong ? notification_count_ * 2 : notification_count_);
  }
  ULONG PacketFrames() const { return notification_count_ == 0 ? 0 : buffer_frames_ / notification_count_; }

  // Moves the device to `frames` (lock held): the data, the register, the notification due.
  void AdvanceTo(ULONGLONG frames) {
    if (buffer_ == nullptr || frames <= device_frames_) return;
    {
      std::lock_guard<std::mutex> guard(g_loop_mutex);
      for (ULONGLONG f = device_frames_; f < frames; ++f) {
        std::byte* slot = buffer_ + (f % buffer_frames_) * frame_bytes_;
        if (capture_) {
          const LONGLONG index = loop_base_ + static_cast<LONGLONG>(f);
          const ULONG n = std::min(frame_bytes_, g_loop_frame_bytes);
          if (index >= 0 && static_cast<ULONGLONG>(index + 1) * g_loop_frame_bytes <= g_loop.size()) {
            std::memcpy(slot, g_loop.data() + index * g_loop_frame_bytes, n);
            std::memset(slot + n, 0, frame_bytes_ - n);
          } else {
            std::memset(slot, 0, frame_bytes_);
          }
        } else if (g_loop_source == this) {
          if (breakage_.loopback_drops_frames && f % 4800 == 4799) continue;
          g_loop.insert(g_loop.end(), slot, slot + frame_bytes_);
        }
      }
    }
    const ULONG period = PeriodFrames();
    if (period != 0 && frames / period != device_frames_ / period) {
      pending_delay_bursts_ = breakage_.notification_jitter ? (signals_++ % 4) : 0;
      signal_pending_ = true;
    }
    device_frames_ = frames;
    if (!breakage_.register_lags_accuracy || ++bursts_ % 4 == 0) Publish();
  }
  void Publish() {
    if (register_ != nullptr)
      __atomic_store_n(register_, static_cast<ULONG>((device_frames_ % buffer_frames_) * frame_bytes_), __ATOMIC_RELEASE);
  }
  void SignalAll() {
    for (ULONG i = 0; i < event_count_; ++i) KeSetEvent(events_[i], 0, FALSE);
  }
  void Burst() {
    KIRQL irql;
    KeAcquireSpinLock(&lock_, &irql);
    if (state_ == KSSTATE_RUN) AdvanceTo(FramesAt(KeQueryInterruptTime()));
    bool signal = false;
    if (signal_pending_) {
      if (pending_delay_bursts_ == 0) {
        signal = true;
        signal_pending_ = false;
      } else {
        --pending_delay_bursts_;
      }
    }
    if (signal) SignalAll();
    KeReleaseSpinLock(&lock_, irql);
  }

  void FreeBuffer() {
    if (mdl_ == nullptr) return;
    port_->UnmapAllocatedPages(buffer_, mdl_);
    port_->FreePagesFromMdl(mdl_);
    mdl_ = nullptr;
    buffer_ = nullptr;
  }
  NTSTATUS Allocate(ULONG notifications, ULONG requested, PMDL* mdl, ULONG* actual, ULONG* offset,
                    MEMORY_CACHING_TYPE* cache) {
    if (mdl_ != nullptr) return STATUS_INVALID_DEVICE_STATE;
    ULONG frames = breakage_.buffer_short ? requested / frame_bytes_ : (requested + frame_bytes_ - 1) / frame_bytes_;
    if (notifications > 1) frames += (notifications - frames % notifications) % notifications;
    if (frames < 2) return STATUS_INVALID_PARAMETER;
    const ULONG size = frames * frame_bytes_;
    PHYSICAL_ADDRESS high;
    high.QuadPart = -1;
    PMDL m = port_->AllocatePagesForMdl(high, size);
    if (m == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    void* va = port_->MapAllocatedPages(m, MmCached);
    if (va == nullptr) {
      port_->FreePagesFromMdl(m);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    mdl_ = m;
    buffer_ = static_cast<std::byte*>(va);
    std::memset(buffer_, 0, size);
    buffer_frames_ = frames;
    notification_count_ = notifications;
    *mdl = m;
    *actual = size;
    *offset = 0;
    *cache = MmCached;
    return STATUS_SUCCESS;
  }

  static constexpr ULONG kMaxEvents = 4;
  PPORTWAVERTSTREAM port_;
  const ULONG slot_pin_;
  bool slot_held_ = true;
  const bool capture_;
  const Breakage breakage_;
  const ULONG rate_hz_;
  const ULONG frame_bytes_;
  KTIMER timer_;
  KDPC dpc_;
  KSPIN_LOCK lock_;
  // Guarded by lock_:
  KSSTATE state_ = KSSTATE_STOP;
  bool moving_ = false;              // the position follows the clock (RUN, or PAUSE when broken)
  ULONGLONG run_start_100ns_ = 0;
  ULONGLONG base_frames_ = 0;        // position when the clock (re)started
  ULONGLONG device_frames_ = 0;      // frames the DMA has moved, as of the last burst
  ULONG packet_carry_ = 0;           // packet_count_not_reset: what STOP failed to clear
  LONGLONG loop_base_ = 0;           // capture: loopback frame of capture frame 0
  bool loop_started_ = false;
  bool signal_pending_ = false;
  ULONG pending_delay_bursts_ = 0;
  ULONG signals_ = 0;
  ULONG bursts_ = 0;
  PKEVENT events_[kMaxEvents] = {};
  ULONG event_count_ = 0;
  // Set at allocation, before RUN:
  PMDL mdl_ = nullptr;
  std::byte* buffer_ = nullptr;
  ULONG buffer_frames_ = 0;
  ULONG notification_count_ = 0;
  PMDL register_mdl_ = nullptr;
  volatile ULONG* register_ = nullptr;
};

NTSTATUS BrokenStream::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStream)) {
    *out = PVOID(PMINIPORTWAVERTSTREAM(PMINIPORTWAVERTSTREAMNOTIFICATION(this)));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification)) {
    *out = PVOID(PMINIPORTWAVERTSTREAMNOTIFICATION(this));
  } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream) && !capture_) {
    *out = PVOID(PMINIPORTWAVERTOUTPUTSTREAM(this));
  } else {
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  PUNKNOWN(*out)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS BrokenStream::SetFormat(PKSDATAFORMAT) { return STATUS_NOT_SUPPORTED; }

NTSTATUS BrokenStream::SetState(KSSTATE state) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONGLONG now = KeQueryInterruptTime();
  if (state == KSSTATE_RUN && state_ != KSSTATE_RUN) {
    if (!moving_) {
      run_start_100ns_ = now;
      base_frames_ = device_frames_;
    }
    moving_ = true;
    if (capture_ && !loop_started_) {
      std::lock_guard<std::mutex> guard(g_loop_mutex);
      loop_base_ = static_cast<LONGLONG>(g_loop_frame_bytes == 0 ? 0 : g_loop.size() / g_loop_frame_bytes) -
                   kLoopbackDelayFrames;
      loop_started_ = true;
    }
  } else if (state != KSSTATE_RUN && state_ == KSSTATE_RUN) {
    AdvanceTo(FramesAt(now));
    if (!(breakage_.position_moves_in_pause && state == KSSTATE_PAUSE)) {
      base_frames_ = device_frames_;
      moving_ = false;
    }
  }
  if (state == KSSTATE_STOP) {
    if (moving_) base_frames_ = FramesAt(now);
    moving_ = false;
    if (!breakage_.stop_keeps_position) {
      packet_carry_ = breakage_.packet_count_not_reset && PacketFrames() != 0
                          ? packet_carry_ + static_cast<ULONG>(device_frames_ / PacketFrames())
                          : 0;
      base_frames_ = device_frames_ = 0;
      loop_started_ = false;
      Publish();
    }
  }
  const bool run = state == KSSTATE_RUN;
  if (state != KSSTATE_RUN && state != state_ && breakage_.events_outside_run) SignalAll();
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

NTSTATUS BrokenStream::GetPosition(PKSAUDIO_POSITION position) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONGLONG frames = PositionFrames(KeQueryInterruptTime());
  const ULONGLONG offset = buffer_frames_ == 0 ? 0 : (frames % buffer_frames_) * frame_bytes_;
  KeReleaseSpinLock(&lock_, irql);
  position->PlayOffset = offset;
  position->WriteOffset = offset;
  return STATUS_SUCCESS;
}

NTSTATUS BrokenStream::AllocateAudioBuffer(ULONG requested, PMDL* mdl, ULONG* actual, ULONG* offset,
                                           MEMORY_CACHING_TYPE* cache) {
  return Allocate(0, requested, mdl, actual, offset, cache);
}
VOID BrokenStream::FreeAudioBuffer(PMDL, ULONG) { FreeBufferFromPort(); }
NTSTATUS BrokenStream::AllocateBufferWithNotification(ULONG notifications, ULONG requested, PMDL* mdl, ULONG* actual,
                                                      ULONG* offset, MEMORY_CACHING_TYPE* cache) {
  if (notifications < 1 || notifications > 2) return STATUS_INVALID_PARAMETER;
  return Allocate(notifications, requested, mdl, actual, offset, cache);
}
VOID BrokenStream::FreeBufferWithNotification(PMDL, ULONG) { FreeBufferFromPort(); }

VOID BrokenStream::GetHWLatency(KSRTAUDIO_HWLATENCY* latency) {
  latency->FifoSize = 0;
  latency->ChipsetDelay = 0;
  latency->CodecDelay = 0;
}

NTSTATUS BrokenStream::GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) {
  if (register_mdl_ == nullptr) {
    PHYSICAL_ADDRESS high;
    high.QuadPart = -1;
    PMDL m = port_->AllocatePagesForMdl(high, PAGE_SIZE);
    if (m == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    void* va = port_->MapAllocatedPages(m, MmNonCached);
    if (va == nullptr) {
      port_->FreePagesFromMdl(m);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    KIRQL irql;
    KeAcquireSpinLock(&lock_, &irql);
    register_mdl_ = m;
    register_ = static_cast<volatile ULONG*>(va);
    if (buffer_frames_ != 0) Publish();
    KeReleaseSpinLock(&lock_, irql);
  }
  reg->Register = const_cast<ULONG*>(register_);
  reg->Width = breakage_.register_width_wrong ? 24 : 32;
  reg->Numerator = 0;
  reg->Denominator = 0;
  // One burst of frames, rounded up to a whole frame.
  reg->Accuracy = breakage_.register_accuracy_zero
                      ? 0
                      : static_cast<ULONG>((ULONGLONG{rate_hz_} * kBurst100ns + 9'999'999) / 10'000'000u) * frame_bytes_;
  return STATUS_SUCCESS;
}
NTSTATUS BrokenStream::GetClockRegister(KSRTAUDIO_HWREGISTER*) { return STATUS_NOT_SUPPORTED; }

NTSTATUS BrokenStream::RegisterNotificationEvent(PKEVENT event) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const bool room = event_count_ < kMaxEvents;
  if (room) events_[event_count_++] = event;
  KeReleaseSpinLock(&lock_, irql);
  return room ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
NTSTATUS BrokenStream::UnregisterNotificationEvent(PKEVENT event) {
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

// Packet n may be written while n - 1 is in flight: n == count (+1 in RUN) -- sysvad's rule.
NTSTATUS BrokenStream::SetWritePacket(ULONG packet, DWORD flags, ULONG) {
  if (flags != 0) return STATUS_INVALID_PARAMETER;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_SUCCESS;
  if (PacketFrames() == 0) {
    status = STATUS_INVALID_DEVICE_STATE;
  } else {
    const ULONG count = packet_carry_ + static_cast<ULONG>(device_frames_ / PacketFrames());
    const ULONG expected = count + (state_ == KSSTATE_RUN ? 1 : 0);
    if (packet < expected) status = breakage_.packet_status_wrong ? STATUS_UNSUCCESSFUL : STATUS_DATA_LATE_ERROR;
    if (packet > expected) status = STATUS_DATA_OVERRUN;
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}
NTSTATUS BrokenStream::GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* position) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  position->u64PositionInBlocks = device_frames_;
  KeReleaseSpinLock(&lock_, irql);
  position->u64QPCPosition = static_cast<UINT64>(KeQueryPerformanceCounter(nullptr).QuadPart);
  return STATUS_SUCCESS;
}
NTSTATUS BrokenStream::GetPacketCount(ULONG* count) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONG packet = PacketFrames();
  *count = packet == 0 ? 0 : packet_carry_ + static_cast<ULONG>(device_frames_ / packet);
  KeReleaseSpinLock(&lock_, irql);
  return packet == 0 ? STATUS_NOT_SUPPORTED : STATUS_SUCCESS;
}

class BrokenMiniport : public IMiniportWaveRT, public CUnknown {
 public:
  DECLARE_STD_UNKNOWN();
  DEFINE_STD_CONSTRUCTOR(BrokenMiniport);
  static void operator delete(void* p) noexcept { ExFreePool(p); }
  IMP_IMiniportWaveRT;
};

NTSTATUS BrokenMiniport::NonDelegatingQueryInterface(REFIID iid, PVOID* out) {
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
      IsEqualGUIDAligned(iid, IID_IMiniportWaveRT)) {
    *out = PVOID(PMINIPORTWAVERT(this));
    PUNKNOWN(*out)->AddRef();
    return STATUS_SUCCESS;
  }
  *out = nullptr;
  return STATUS_INVALID_PARAMETER;
}
NTSTATUS BrokenMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  *description = &g_filter;
  return STATUS_SUCCESS;
}
NTSTATUS BrokenMiniport::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG capacity, PVOID result,
                                              PULONG result_bytes) {
  if (!g_breakage.intersection_ignores_client_range) return STATUS_NOT_IMPLEMENTED;  // the port's default
  // The bug: the device's favourite format, without looking at what the client asked for.
  struct Answer {
    KSDATAFORMAT format;
    WAVEFORMATEX wave;
  };
  *result_bytes = sizeof(Answer);
  if (capacity == 0) return STATUS_BUFFER_OVERFLOW;
  if (capacity < sizeof(Answer)) return STATUS_BUFFER_TOO_SMALL;
  Answer a{};
  a.format = {sizeof(Answer), 0, 4, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM),
              STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)};
  a.wave = {WAVE_FORMAT_PCM, 2, 48'000, 192'000, 4, 16, 0};
  std::memcpy(result, &a, sizeof a);
  return STATUS_SUCCESS;
}
NTSTATUS BrokenMiniport::Init(PUNKNOWN, PRESOURCELIST, PPORTWAVERT) { return STATUS_SUCCESS; }
NTSTATUS BrokenMiniport::GetDeviceDescription(PDEVICE_DESCRIPTION description) {
  std::memset(description, 0, sizeof *description);
  return STATUS_SUCCESS;
}
NTSTATUS BrokenMiniport::NewStream(PMINIPORTWAVERTSTREAM* out, PPORTWAVERTSTREAM port_stream, ULONG pin,
                                   BOOLEAN capture, PKSDATAFORMAT format) {
  const auto* wave = reinterpret_cast<const WAVEFORMATEX*>(format + 1);
  if (g_breakage.refuse_24_bit && wave->wBitsPerSample == 24) return STATUS_NOT_SUPPORTED;
  if (g_breakage.instance_limit_two && __atomic_load_n(&g_streams_alive, __ATOMIC_SEQ_CST) >= 2)
    return STATUS_INSUFFICIENT_RESOURCES;
  if (pin >= SIZEOF_ARRAY(kSlots)) return STATUS_INVALID_PARAMETER;
  if (__atomic_add_fetch(&g_slots_in_use[pin], 1, __ATOMIC_SEQ_CST) > kSlots[pin]) {
    __atomic_sub_fetch(&g_slots_in_use[pin], 1, __ATOMIC_SEQ_CST);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  auto* stream = new (NonPagedPoolNx, kPoolTag) BrokenStream(nullptr, port_stream, pin, capture != FALSE, *wave);
  if (stream == nullptr) {
    __atomic_sub_fetch(&g_slots_in_use[pin], 1, __ATOMIC_SEQ_CST);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *out = PMINIPORTWAVERTSTREAM(PMINIPORTWAVERTSTREAMNOTIFICATION(stream));
  (*out)->AddRef();
  return STATUS_SUCCESS;
}

NTSTATUS StartDevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  PPORT port = nullptr;
  NTSTATUS status = PcNewPort(&port, CLSID_PortWaveRT);
  if (!NT_SUCCESS(status)) return status;
  auto* miniport = new (NonPagedPoolNx, kPoolTag) BrokenMiniport(nullptr);
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
NTSTATUS AddDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) { return PcAddAdapterDevice(driver, pdo, StartDevice, 1, 0); }

}  // namespace

void SetBreakage(const Breakage& breakage) { g_breakage = breakage; }

NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  g_slots_in_use[0] = g_slots_in_use[1] = 0;  // a fresh device: whatever the last one leaked is gone
  return PcInitializeAdapterDriver(driver, registry_path, AddDevice);
}

}  // namespace broken_test
