// The recording WaveRT miniport (recording_miniport.hpp).
#include "recording_miniport.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdarg>
#include <cstring>

namespace wavert::testing {

namespace {

const char* state_name(KSSTATE state) {
  switch (state) {
    case KSSTATE_STOP: return "STOP";
    case KSSTATE_ACQUIRE: return "ACQUIRE";
    case KSSTATE_PAUSE: return "PAUSE";
    case KSSTATE_RUN: return "RUN";
  }
  return "?";
}

std::string format_call(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string format_call(const char* format, ...) {
  char text[160];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  return text;
}

// The test miniport's pool tag ('Rec ' in memory order).
constexpr ULONG kTag = 0x20636552;

// ---- Filter description --------------------------------------------------------------------------

KSDATARANGE_AUDIO g_pcm_range = {
    {sizeof(KSDATARANGE_AUDIO), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO), STATICGUIDOF(KSDATAFORMAT_SUBTYPE_PCM),
     STATICGUIDOF(KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)},
    2, 16, 16, 48000, 48000};
PKSDATARANGE g_stream_ranges[] = {PKSDATARANGE(&g_pcm_range)};
KSDATARANGE g_bridge_range = {sizeof(KSDATARANGE), 0, 0, 0, STATICGUIDOF(KSDATAFORMAT_TYPE_AUDIO),
                              STATICGUIDOF(KSDATAFORMAT_SUBTYPE_NONE), STATICGUIDOF(KSDATAFORMAT_SPECIFIER_NONE)};
PKSDATARANGE g_bridge_ranges[] = {&g_bridge_range};

PCPIN_DESCRIPTOR g_pins[] = {
    {2, 2, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_stream_ranges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_SINK, &KSCATEGORY_AUDIO,
      nullptr, 0}},
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_bridge_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_NONE, &KSNODETYPE_SPEAKER,
      nullptr, 0}},
    {2, 2, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_stream_ranges, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_SINK,
      &KSCATEGORY_AUDIO, nullptr, 0}},
    {0, 0, 0, nullptr,
     {0, nullptr, 0, nullptr, 1, g_bridge_ranges, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_NONE,
      &KSNODETYPE_MICROPHONE, nullptr, 0}},
};
PCCONNECTION_DESCRIPTOR g_connections[] = {
    {PCFILTER_NODE, kRenderPin, PCFILTER_NODE, kRenderBridgePin},
    {PCFILTER_NODE, kCaptureBridgePin, PCFILTER_NODE, kCapturePin},
};
const GUID g_categories[] = {
    {STATICGUIDOF(KSCATEGORY_AUDIO)},
    {STATICGUIDOF(KSCATEGORY_RENDER)},
    {STATICGUIDOF(KSCATEGORY_CAPTURE)},
    {STATICGUIDOF(KSCATEGORY_REALTIME)},
};
PCFILTER_DESCRIPTOR g_filter = {0,
                                nullptr,
                                sizeof(PCPIN_DESCRIPTOR),
                                SIZEOF_ARRAY(g_pins),
                                g_pins,
                                sizeof(PCNODE_DESCRIPTOR),
                                0,
                                nullptr,
                                SIZEOF_ARRAY(g_connections),
                                g_connections,
                                SIZEOF_ARRAY(g_categories),
                                g_categories};

ULONG block_align_of(const std::vector<std::byte>& format) {
  if (format.size() < sizeof(KSDATAFORMAT_WAVEFORMATEX)) return 1;
  const auto* wave = reinterpret_cast<const KSDATAFORMAT_WAVEFORMATEX*>(format.data());
  return wave->WaveFormatEx.nBlockAlign == 0 ? 1 : wave->WaveFormatEx.nBlockAlign;
}

PHYSICAL_ADDRESS all_memory() {
  PHYSICAL_ADDRESS high;
  high.QuadPart = -1;
  return high;
}

// ---- Stream --------------------------------------------------------------------------------------

class Stream final : public IMiniportWaveRTStreamNotification,
                     public IMiniportWaveRTInputStream,
                     public IMiniportWaveRTOutputStream,
                     public RecordingStream {
 public:
  Stream(std::shared_ptr<RecordingShared> shared, PPORTWAVERTSTREAM port_stream, ULONG pin, bool capture,
         std::vector<std::byte> format)
      : shared_(std::move(shared)), port_stream_(port_stream), pin_(pin), capture_(capture), format_(std::move(format)) {
    port_stream_->AddRef();
    std::lock_guard lock(shared_->streams_mutex);
    shared_->live_streams.push_back(this);
  }

  // Second step of construction: the register page (a position register at +0, a 64-bit wall clock
  // at +8), as an HDA driver maps its stream descriptor's registers.
  NTSTATUS init() {
    KeInitializeTimer(&timer_);
    KeInitializeDpc(&dpc_, &Stream::packet_dpc, this);
    register_mdl_ = port_stream_->AllocatePagesForMdl(all_memory(), PAGE_SIZE);
    if (register_mdl_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    registers_ = static_cast<volatile ULONG*>(port_stream_->MapAllocatedPages(register_mdl_, MmNonCached));
    if (registers_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    if (shared_->config.register_in_pool) {
      pool_register_ = static_cast<ULONG*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, kTag));
    }
    return STATUS_SUCCESS;
  }

  ~Stream() {
    (void)KeCancelTimer(&timer_);
    (void)KeRemoveQueueDpc(&dpc_);
    KeFlushQueuedDpcs();
    if (registers_ != nullptr) port_stream_->UnmapAllocatedPages(const_cast<ULONG*>(registers_), register_mdl_);
    if (register_mdl_ != nullptr) port_stream_->FreePagesFromMdl(register_mdl_);
    if (pool_register_ != nullptr) ExFreePool(pool_register_);
    port_stream_->Release();
    {
      std::lock_guard lock(shared_->streams_mutex);
      std::erase(shared_->live_streams, this);
    }
    shared_->streams_destroyed.fetch_add(1);
  }

  // ---- IUnknown (one implementation for all three interface bases) ----
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    const RecordingConfig& c = shared_->config;
    if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStream)) {
      *out = static_cast<PMINIPORTWAVERTSTREAM>(static_cast<IMiniportWaveRTStreamNotification*>(this));
    } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification) && c.notification_interface) {
      *out = static_cast<IMiniportWaveRTStreamNotification*>(this);
    } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream) && c.output_interface && !capture_) {
      *out = static_cast<IMiniportWaveRTOutputStream*>(this);
    } else if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTInputStream) && c.input_interface && capture_) {
      *out = static_cast<IMiniportWaveRTInputStream*>(this);
    } else {
      *out = nullptr;
    }
    if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTStreamNotification)) log(*out ? "QI(Notification)" : "QI(Notification)=miss");
    if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTOutputStream)) log(*out ? "QI(Output)" : "QI(Output)=miss");
    if (IsEqualGUIDAligned(iid, IID_IMiniportWaveRTInputStream)) log(*out ? "QI(Input)" : "QI(Input)=miss");
    if (*out == nullptr) return STATUS_INVALID_PARAMETER;
    AddRef();
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return ++references_; }
  STDMETHODIMP_(ULONG) Release() override {
    const ULONG left = --references_;
    if (left == 0) delete this;
    return left;
  }

  // ---- IMiniportWaveRTStream ----
  STDMETHODIMP_(NTSTATUS) SetFormat(PKSDATAFORMAT format) override {
    log("SetFormat");
    const NTSTATUS status = shared_->config.set_format_status;
    if (NT_SUCCESS(status)) {
      const auto* bytes = reinterpret_cast<const std::byte*>(format);
      format_.assign(bytes, bytes + format->FormatSize);
    }
    return status;
  }
  STDMETHODIMP_(NTSTATUS) SetState(KSSTATE state) override {
    log(format_call("SetState(%s)", state_name(state)));
    const RecordingConfig& c = shared_->config;
    if (c.on_set_state) c.on_set_state(state);
    if (c.fail_set_state_to && *c.fail_set_state_to == state) return c.set_state_status;
    if (c.clock_driven) clock_set_state(state);
    state_ = state;
    if (state == KSSTATE_STOP) {  // STOP resets position and packet counters (contract §1.5, §4.2)
      std::lock_guard lock(mutex_);
      play_offset_ = write_offset_ = 0;
      packet_count_ = 0;
    }
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) GetPosition(PKSAUDIO_POSITION position) override {
    log("GetPosition");
    std::lock_guard lock(mutex_);
    if (shared_->config.clock_driven) {
      position->PlayOffset = position->WriteOffset = clock_offset_locked();
      return STATUS_SUCCESS;
    }
    position->PlayOffset = play_offset_;
    position->WriteOffset = write_offset_;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) AllocateAudioBuffer(ULONG requested, PMDL* mdl, ULONG* actual, ULONG* offset,
                                              MEMORY_CACHING_TYPE* cache) override {
    log(format_call("AllocateAudioBuffer(%lu)", static_cast<unsigned long>(requested)));
    return allocate(requested, mdl, actual, offset, cache);
  }
  STDMETHODIMP_(VOID) FreeAudioBuffer(PMDL mdl, ULONG size) override {
    log(format_call("FreeAudioBuffer(%lu)", static_cast<unsigned long>(size)));
    free(mdl, size);
  }
  STDMETHODIMP_(VOID) GetHWLatency(KSRTAUDIO_HWLATENCY* latency) override {
    log("GetHWLatency");
    latency->FifoSize = 256;       // 64 frames of 16-bit stereo
    latency->ChipsetDelay = 0;
    latency->CodecDelay = 10000;   // 1 ms in 100 ns units
  }
  STDMETHODIMP_(NTSTATUS) GetPositionRegister(KSRTAUDIO_HWREGISTER* reg) override {
    log("GetPositionRegister");
    const RecordingConfig& c = shared_->config;
    if (!NT_SUCCESS(c.position_register_status)) return c.position_register_status;
    reg->Register = c.register_in_pool ? static_cast<PVOID>(pool_register_) : const_cast<ULONG*>(registers_);
    reg->Width = c.register_width_bits;
    reg->Accuracy = block_align_of(format_);
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) GetClockRegister(KSRTAUDIO_HWREGISTER* reg) override {
    log("GetClockRegister");
    const RecordingConfig& c = shared_->config;
    if (!NT_SUCCESS(c.clock_register_status)) return c.clock_register_status;
    reg->Register = c.register_in_pool ? static_cast<PVOID>(pool_register_ + 2) : const_cast<ULONG*>(registers_ + 2);
    reg->Width = c.register_width_bits;
    reg->Numerator = c.clock_numerator;
    reg->Denominator = c.clock_denominator;
    reg->Accuracy = 1;
    return STATUS_SUCCESS;
  }

  // ---- IMiniportWaveRTStreamNotification ----
  STDMETHODIMP_(NTSTATUS) AllocateBufferWithNotification(ULONG count, ULONG requested, PMDL* mdl, ULONG* actual,
                                                         ULONG* offset, MEMORY_CACHING_TYPE* cache) override {
    log(format_call("AllocateBufferWithNotification(%lu,%lu)", static_cast<unsigned long>(count),
                    static_cast<unsigned long>(requested)));
    notification_count_ = count;
    return allocate(requested, mdl, actual, offset, cache);
  }
  STDMETHODIMP_(VOID) FreeBufferWithNotification(PMDL mdl, ULONG size) override {
    log(format_call("FreeBufferWithNotification(%lu)", static_cast<unsigned long>(size)));
    free(mdl, size);
  }
  STDMETHODIMP_(NTSTATUS) RegisterNotificationEvent(PKEVENT event) override {
    log("RegisterNotificationEvent");
    std::lock_guard lock(mutex_);
    if (std::find(events_.begin(), events_.end(), event) != events_.end()) return STATUS_UNSUCCESSFUL;
    events_.push_back(event);
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) UnregisterNotificationEvent(PKEVENT event) override {
    log("UnregisterNotificationEvent");
    std::lock_guard lock(mutex_);
    auto it = std::find(events_.begin(), events_.end(), event);
    if (it == events_.end()) return STATUS_NOT_FOUND;
    events_.erase(it);
    return STATUS_SUCCESS;
  }

  // ---- IMiniportWaveRTInputStream ----
  STDMETHODIMP_(NTSTATUS) GetReadPacket(ULONG* packet, DWORD* flags, ULONG64* qpc, BOOL* more) override {
    log("GetReadPacket");
    const NTSTATUS status = shared_->config.read_packet_status;
    if (!NT_SUCCESS(status)) return status;
    std::lock_guard lock(mutex_);
    *packet = packet_count_;
    *flags = 0;
    *qpc = 1000u + packet_count_;
    *more = FALSE;
    return STATUS_SUCCESS;
  }

  // ---- IMiniportWaveRTOutputStream ----
  STDMETHODIMP_(NTSTATUS) SetWritePacket(ULONG packet, DWORD flags, ULONG eos_bytes) override {
    log(format_call("SetWritePacket(%lu,0x%lx,%lu)", static_cast<unsigned long>(packet),
                    static_cast<unsigned long>(flags), static_cast<unsigned long>(eos_bytes)));
    return shared_->config.set_write_packet_status;
  }
  STDMETHODIMP_(NTSTATUS) GetOutputStreamPresentationPosition(KSAUDIO_PRESENTATION_POSITION* position) override {
    log("GetOutputStreamPresentationPosition");
    std::lock_guard lock(mutex_);
    position->u64PositionInBlocks = 480ull * packet_count_;
    position->u64QPCPosition = 2000u + packet_count_;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) GetPacketCount(ULONG* count) override {
    log("GetPacketCount");
    std::lock_guard lock(mutex_);
    *count = packet_count_;
    return STATUS_SUCCESS;
  }

  // ---- RecordingStream ----
  void fire_notification() override {
    std::vector<PKEVENT> events;
    {
      std::lock_guard lock(mutex_);
      events = events_;
    }
    for (PKEVENT event : events) (void)KeSetEvent(event, IO_NO_INCREMENT, FALSE);
  }
  void set_position(ULONGLONG play, ULONGLONG write) override {
    std::lock_guard lock(mutex_);
    play_offset_ = play;
    write_offset_ = write;
  }
  void set_position_register(ULONG value) override { registers_[0] = value; }
  void set_packet_count(ULONG count) override {
    std::lock_guard lock(mutex_);
    packet_count_ = count;
  }
  KSSTATE state() const override { return state_; }
  ULONG registered_event_count() const override {
    std::lock_guard lock(mutex_);
    return static_cast<ULONG>(events_.size());
  }
  ULONG pin() const override { return pin_; }
  PUNKNOWN unknown() override { return static_cast<PMINIPORTWAVERTSTREAM>(static_cast<IMiniportWaveRTStreamNotification*>(this)); }

 private:
  void log(std::string call) { shared_->log.add(std::move(call)); }

  // ---- the clock-driven hardware model (RecordingConfig::clock_driven) ----
  const WAVEFORMATEX* wave() const {
    return format_.size() >= sizeof(KSDATAFORMAT_WAVEFORMATEX)
               ? &reinterpret_cast<const KSDATAFORMAT_WAVEFORMATEX*>(format_.data())->WaveFormatEx
               : nullptr;
  }
  // Frames played since STOP: a pure function of the clock (128-bit intermediate, no rounding
  // carried between calls). mutex_ held.
  ULONGLONG frames_locked() const {
    ULONGLONG frames = frames_before_run_;
    if (running_ && wave() != nullptr) {
      const unsigned __int128 elapsed = KeQueryInterruptTime() - run_start_100ns_;
      frames += static_cast<ULONGLONG>(elapsed * wave()->nSamplesPerSec / 10'000'000u);
    }
    return frames;
  }
  ULONGLONG clock_offset_locked() const {
    if (buffer_bytes_ == 0) return 0;
    return frames_locked() * block_align_of(format_) % buffer_bytes_;
  }
  void clock_set_state(KSSTATE state) {
    std::lock_guard lock(mutex_);
    if (state == KSSTATE_RUN && !running_ && wave() != nullptr && wave()->nAvgBytesPerSec != 0) {
      running_ = true;
      run_start_100ns_ = KeQueryInterruptTime();
      const ULONGLONG packet_bytes =
          buffer_bytes_ != 0 ? buffer_bytes_ / (notification_count_ == 0 ? 1 : notification_count_)
                             : wave()->nAvgBytesPerSec / 100;
      period_100ns_ = packet_bytes * 10'000'000u / wave()->nAvgBytesPerSec;
      next_deadline_100ns_ = run_start_100ns_ + period_100ns_;
      LARGE_INTEGER due;
      due.QuadPart = -static_cast<LONGLONG>(period_100ns_);
      (void)KeSetTimer(&timer_, due, &dpc_);
    } else if (state != KSSTATE_RUN && running_) {
      frames_before_run_ = frames_locked();
      running_ = false;
      (void)KeCancelTimer(&timer_);
      (void)KeRemoveQueueDpc(&dpc_);
    }
    if (state == KSSTATE_STOP) frames_before_run_ = 0;
  }
  // The buffer-complete interrupt's DPC: one packet, the register, the events; re-armed at the next
  // absolute deadline so a late DPC never becomes drift.
  static VOID packet_dpc(PKDPC, PVOID context, PVOID, PVOID) {
    auto* self = static_cast<Stream*>(context);
    std::vector<PKEVENT> events;
    {
      std::lock_guard lock(self->mutex_);
      if (!self->running_) return;
      ++self->packet_count_;
      self->registers_[0] = static_cast<ULONG>(self->clock_offset_locked());
      self->next_deadline_100ns_ += self->period_100ns_;
      const ULONGLONG now = KeQueryInterruptTime();
      LARGE_INTEGER due;
      due.QuadPart = -static_cast<LONGLONG>(self->next_deadline_100ns_ > now ? self->next_deadline_100ns_ - now : 1);
      (void)KeSetTimer(&self->timer_, due, &self->dpc_);
      events = self->events_;
    }
    for (PKEVENT event : events) (void)KeSetEvent(event, IO_NO_INCREMENT, FALSE);
  }

  NTSTATUS allocate(ULONG requested, PMDL* mdl_out, ULONG* actual_out, ULONG* offset_out, MEMORY_CACHING_TYPE* cache_out) {
    const RecordingConfig& c = shared_->config;
    *mdl_out = nullptr;
    if (!NT_SUCCESS(c.allocate_status)) return c.allocate_status;
    const ULONG block = block_align_of(format_);
    const ULONG actual = c.actual_size.value_or(requested / block * block);
    const SIZE_T mdl_bytes = c.mdl_bytes ? SIZE_T{*c.mdl_bytes}
                                         : SIZE_T{c.offset_from_first_page} + actual + c.extra_mdl_bytes;
    PMDL mdl = port_stream_->AllocatePagesForMdl(all_memory(), mdl_bytes);
    if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
    if (MmGetMdlByteCount(mdl) < mdl_bytes) {
      port_stream_->FreePagesFromMdl(mdl);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    buffer_mdl_ = mdl;
    buffer_bytes_ = actual;
    *mdl_out = mdl;
    *actual_out = actual;
    *offset_out = c.offset_from_first_page;
    *cache_out = static_cast<MEMORY_CACHING_TYPE>(c.cache_type);
    return STATUS_SUCCESS;
  }

  void free(PMDL mdl, ULONG size) {
    if (mdl != buffer_mdl_ || size != buffer_bytes_) shared_->free_mismatches.fetch_add(1);
    if (mdl != nullptr) port_stream_->FreePagesFromMdl(mdl);
    if (mdl == buffer_mdl_) buffer_mdl_ = nullptr;
  }

  std::shared_ptr<RecordingShared> shared_;
  PPORTWAVERTSTREAM port_stream_;
  ULONG pin_;
  bool capture_;
  std::vector<std::byte> format_;
  std::atomic<ULONG> references_{1};
  std::atomic<KSSTATE> state_{KSSTATE_STOP};
  PMDL register_mdl_ = nullptr;
  volatile ULONG* registers_ = nullptr;
  ULONG* pool_register_ = nullptr;
  PMDL buffer_mdl_ = nullptr;
  ULONG buffer_bytes_ = 0;
  ULONG notification_count_ = 0;
  mutable std::mutex mutex_;
  std::vector<PKEVENT> events_;  // guarded by mutex_
  ULONGLONG play_offset_ = 0;    // guarded by mutex_
  ULONGLONG write_offset_ = 0;   // guarded by mutex_
  ULONG packet_count_ = 0;       // guarded by mutex_
  KTIMER timer_{};
  KDPC dpc_{};
  bool running_ = false;                 // guarded by mutex_ (clock_driven)
  ULONGLONG run_start_100ns_ = 0;        // guarded by mutex_: interrupt time of SetState(RUN)
  ULONGLONG frames_before_run_ = 0;      // guarded by mutex_: frames played before this run
  ULONGLONG period_100ns_ = 0;           // guarded by mutex_: one packet
  ULONGLONG next_deadline_100ns_ = 0;    // guarded by mutex_
};

// ---- Miniport ------------------------------------------------------------------------------------

class Miniport final : public IMiniportWaveRT {
 public:
  explicit Miniport(std::shared_ptr<RecordingShared> shared) : shared_(std::move(shared)) {}

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override {
    if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IMiniport) ||
        (IsEqualGUIDAligned(iid, IID_IMiniportWaveRT) && shared_->config.expose_miniport_wavert)) {
      *out = static_cast<IMiniportWaveRT*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *out = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return ++references_; }
  STDMETHODIMP_(ULONG) Release() override {
    const ULONG left = --references_;
    if (left == 0) delete this;
    return left;
  }

  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override {
    shared_->log.add("GetDescription");
    *description = &g_filter;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE, ULONG, PVOID, PULONG) override {
    return STATUS_NOT_IMPLEMENTED;  // the port's default intersection handler
  }
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN, PRESOURCELIST, PPORTWAVERT port) override {
    shared_->log.add("Init");
    if (!NT_SUCCESS(shared_->config.init_status)) return shared_->config.init_status;
    // Not AddRef'd: the port holds the miniport until it dies, so a reference back would be a cycle
    // (the port outlives the miniport's use of it).
    port_ = port;
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) NewStream(PMINIPORTWAVERTSTREAM* out, PPORTWAVERTSTREAM port_stream, ULONG pin,
                                    BOOLEAN capture, PKSDATAFORMAT format) override {
    shared_->log.add(format_call("NewStream(%lu,%d)", static_cast<unsigned long>(pin), capture ? 1 : 0));
    *out = nullptr;
    if (!NT_SUCCESS(shared_->config.new_stream_status)) return shared_->config.new_stream_status;
    const auto* bytes = reinterpret_cast<const std::byte*>(format);
    auto* stream = new Stream(shared_, port_stream, pin, capture != FALSE,
                              std::vector<std::byte>(bytes, bytes + format->FormatSize));
    if (NTSTATUS status = stream->init(); !NT_SUCCESS(status)) {
      stream->Release();
      return status;
    }
    if (shared_->config.keep_extra_stream_reference) stream->AddRef();  // deliberately leaked
    *out = static_cast<PMINIPORTWAVERTSTREAM>(static_cast<IMiniportWaveRTStreamNotification*>(stream));
    return STATUS_SUCCESS;
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(PDEVICE_DESCRIPTION description) override {
    shared_->log.add("GetDeviceDescription");
    std::memset(description, 0, sizeof(*description));
    return shared_->config.device_description_status;
  }

 private:
  std::shared_ptr<RecordingShared> shared_;
  std::atomic<ULONG> references_{1};
  PPORTWAVERT port_ = nullptr;  // not AddRef'd (see Init)
};

// ---- Adapter -------------------------------------------------------------------------------------

// DriverEntry has no context argument: the adapter being loaded finds its shared state here. Set
// only by RecordingDriver::load, for the duration of one load.
std::shared_ptr<RecordingShared> g_loading;

NTSTATUS start_device(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  PPORT port = nullptr;
  NTSTATUS status = PcNewPort(&port, CLSID_PortWaveRT);
  if (!NT_SUCCESS(status)) return status;
  PUNKNOWN miniport = create_recording_miniport(g_loading);
  status = port->Init(device, irp, miniport, nullptr, resources);
  if (NT_SUCCESS(status)) {
    static WCHAR name[] = L"Wave";
    status = PcRegisterSubdevice(device, name, port);
  }
  miniport->Release();
  port->Release();
  return status;
}

NTSTATUS add_device(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo) {
  return PcAddAdapterDevice(driver, pdo, start_device, 4, 0);
}

NTSTATUS driver_entry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  return PcInitializeAdapterDriver(driver, registry_path, add_device);
}

}  // namespace

void CallLog::add(std::string call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
}
std::vector<std::string> CallLog::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}
std::vector<std::string> CallLog::calls_starting_with(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& call : calls_) {
    if (call.rfind(prefix, 0) == 0) out.push_back(call);
  }
  return out;
}
void CallLog::clear() {
  std::lock_guard lock(mutex_);
  calls_.clear();
}

PUNKNOWN create_recording_miniport(std::shared_ptr<RecordingShared> shared) {
  return static_cast<IMiniportWaveRT*>(new Miniport(std::move(shared)));
}

const PCFILTER_DESCRIPTOR* recording_filter_descriptor() { return &g_filter; }

NTSTATUS RecordingDriver::load(const RecordingConfig& config, const host::DriverConfig& driver_config,
                               std::unique_ptr<RecordingDriver>* out) {
  std::unique_ptr<RecordingDriver> driver(new RecordingDriver());
  driver->shared_ = std::make_shared<RecordingShared>();
  driver->shared_->config = config;
  g_loading = driver->shared_;
  const NTSTATUS status = host::LoadedDriver::load(driver_entry, driver_config, &driver->driver_);
  g_loading.reset();
  if (!NT_SUCCESS(status)) return status;
  *out = std::move(driver);
  return STATUS_SUCCESS;
}

RecordingDriver::~RecordingDriver() {
  if (driver_) driver_->unload();
}

RecordingStream* RecordingDriver::last_stream() {
  std::lock_guard lock(shared_->streams_mutex);
  return shared_->live_streams.empty() ? nullptr : shared_->live_streams.back();
}

}  // namespace wavert::testing
