// The WaveRT pin (pin_wavert.hpp).
#include "pin_wavert.hpp"

#include <algorithm>
#include <cstring>

#include "format.hpp"
#include "port_wavert.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using host::Rule;
using host::verifier_report;

namespace {

// What a request gets when the miniport broke the contract and the verifier runs in Record mode.
constexpr NTSTATUS kMiniportContractStatus = STATUS_UNSUCCESSFUL;

const char* state_name(KSSTATE state) {
  switch (state) {
    case KSSTATE_STOP: return "STOP";
    case KSSTATE_ACQUIRE: return "ACQUIRE";
    case KSSTATE_PAUSE: return "PAUSE";
    case KSSTATE_RUN: return "RUN";
  }
  return "(invalid)";
}

// The caching types the audio stack accepts for the cyclic buffer (MapAllocatedPages lists
// MmNonCached, MmCached and MmWriteCombined; waveRT-contract.md §3).
bool valid_buffer_cache(MEMORY_CACHING_TYPE cache) {
  return cache == MmNonCached || cache == MmCached || cache == MmWriteCombined;
}

// The WAVEFORMATEX inside a validated audio KSDATAFORMAT, or nullptr for other specifiers.
const WAVEFORMATEX* wave_format_of(std::span<const std::byte> format) {
  if (format.size() < sizeof(KSDATAFORMAT)) return nullptr;
  const auto* header = reinterpret_cast<const KSDATAFORMAT*>(format.data());
  if (IsEqualGUIDAligned(header->Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) &&
      format.size() >= sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX)) {
    return reinterpret_cast<const WAVEFORMATEX*>(format.data() + sizeof(KSDATAFORMAT));
  }
  if (IsEqualGUIDAligned(header->Specifier, KSDATAFORMAT_SPECIFIER_DSOUND) &&
      format.size() >= sizeof(KSDATAFORMAT_DSOUND)) {
    return &reinterpret_cast<const KSDATAFORMAT_DSOUND*>(format.data())->BufferDesc.WaveFormatEx;
  }
  return nullptr;
}

}  // namespace

// ---- create / close ------------------------------------------------------------------------------

WaveRtPin::WaveRtPin(PinCreateArgs&& args, PortWaveRT& port) : PinObject(std::move(args)), port_(port) {
  const auto bytes = format_bytes();
  format_.assign(bytes.begin(), bytes.end());
  build_table();
}

KernelMutex& WaveRtPin::device_lock() const { return port_.common().device_lock(); }

NTSTATUS WaveRtPin::create(PinCreateArgs&& args, PortWaveRT& port, std::shared_ptr<WaveRtPin>* out) {
  std::shared_ptr<WaveRtPin> pin(new WaveRtPin(std::move(args), port));
  NTSTATUS status;
  {
    KernelMutexGuard lock(pin->device_lock());
    status = pin->open();
  }
  if (!NT_SUCCESS(status)) return status;  // ~WaveRtPin releases whatever open() obtained
  *out = std::move(pin);
  return STATUS_SUCCESS;
}

// §1.3, items 2, 4, 5. DeviceLock held.
NTSTATUS WaveRtPin::open() {
  port_stream_ = PortWaveRTStream::create();
  PMINIPORTWAVERTSTREAM stream = nullptr;
  const NTSTATUS status = port_.miniport()->NewStream(&stream, port_stream_, pin_id(), capture() ? TRUE : FALSE,
                                                      reinterpret_cast<PKSDATAFORMAT>(format_.data()));
  if (!NT_SUCCESS(status)) {
    if (stream != nullptr) {
      verifier_report(Rule::PortContract, WAVERT_HERE,
                      "IMiniportWaveRT::NewStream failed (0x%08lX) but returned a stream %p: a failed NewStream "
                      "hands out nothing", static_cast<unsigned long>(status), static_cast<void*>(stream));
    }
    return status;
  }
  if (stream == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IMiniportWaveRT::NewStream succeeded without a stream");
    return kMiniportContractStatus;
  }
  stream_ = stream;
  // Optional interfaces (§1.3 item 5). A missing Notification interface is a timer-driven
  // (Vista-era) miniport, not an error: BUFFER_WITH_NOTIFICATION then answers NOT_SUPPORTED.
  if (!NT_SUCCESS(stream_->QueryInterface(IID_IMiniportWaveRTStreamNotification,
                                          reinterpret_cast<PVOID*>(&notification_)))) {
    notification_ = nullptr;
  }
  if (!capture() && !NT_SUCCESS(stream_->QueryInterface(IID_IMiniportWaveRTOutputStream,
                                                        reinterpret_cast<PVOID*>(&output_)))) {
    output_ = nullptr;
  }
  if (capture() && !NT_SUCCESS(stream_->QueryInterface(IID_IMiniportWaveRTInputStream,
                                                       reinterpret_cast<PVOID*>(&input_)))) {
    input_ = nullptr;
  }
  return STATUS_SUCCESS;
}

// §1.6. The last reference: no request runs on this pin any more.
WaveRtPin::~WaveRtPin() {
  // 1. The client's views go first, so nothing can touch the buffer or registers while they are
  //    freed.
  if (buffer_.user_mapping != nullptr) {
    MmUnmapLockedPages(buffer_.user_mapping, buffer_.mdl);
    buffer_.user_mapping = nullptr;
  }
  for (RegisterView* view : {&position_register_, &clock_register_}) {
    if (view->user_mapping != nullptr) MmUnmapLockedPages(view->user_mapping, view->mdl);
    if (view->mdl != nullptr) IoFreeMdl(view->mdl);
    view->user_mapping = nullptr;
    view->mdl = nullptr;
  }
  if (stream_ != nullptr) {
    KernelMutexGuard lock(device_lock());
    // 2. Step down to STOP, one step at a time. A step the miniport refuses ends the walk: the
    //    port never skips a state, even while closing.
    while (state_.load() != KSSTATE_STOP) {
      const KSSTATE next = static_cast<KSSTATE>(state_.load() - 1);
      if (!NT_SUCCESS(step_to(next))) {
        DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
                   "WaveRT port: pin %lu close: SetState(%s) failed; the stream stays in %s\n",
                   static_cast<unsigned long>(pin_id()), state_name(next), state_name(state_.load()));
        break;
      }
    }
    // 3. Free the buffer the way it was allocated, with the MDL and size the miniport returned.
    if (buffer_.mdl != nullptr) {
      if (buffer_.with_notification) {
        notification_->FreeBufferWithNotification(buffer_.mdl, buffer_.actual_bytes);
      } else {
        stream_->FreeAudioBuffer(buffer_.mdl, buffer_.actual_bytes);
      }
      buffer_ = Buffer{};
      buffer_bytes_.store(0);
    }
    // 4. Events the client left registered.
    for (auto& registered : events_) {
      registered->watch = host::EventSignalWatch();
      if (notification_ != nullptr) (void)notification_->UnregisterNotificationEvent(registered->event);
      host::dereference_event(registered->event);
    }
    events_.clear();
  }
  // 5. Release the optional interfaces, then the stream: that Release must be its last.
  if (notification_ != nullptr) notification_->Release();
  if (output_ != nullptr) output_->Release();
  if (input_ != nullptr) input_->Release();
  bool stream_gone = true;
  if (stream_ != nullptr) {
    const ULONG left = stream_->Release();
    stream_gone = left == 0;
    if (left != 0) {
      verifier_report(Rule::PortContract, WAVERT_HERE,
                      "pin %lu close: the miniport stream still has %lu reference(s) after the port released its "
                      "last one; the stream must be gone when the pin closes (waveRT-contract.md §1.6)",
                      static_cast<unsigned long>(pin_id()), static_cast<unsigned long>(left));
    }
  }
  if (port_stream_ != nullptr) {
    // Only once the stream is gone: a stream kept alive by a stray reference still owns its pages.
    if (std::size_t left = port_stream_->outstanding_mdls(); left != 0 && stream_gone) {
      verifier_report(Rule::PortContract, WAVERT_HERE,
                      "pin %lu close: the miniport left %zu MDL(s) from IPortWaveRTStream allocated after its "
                      "stream was released", static_cast<unsigned long>(pin_id()), left);
      port_stream_->free_leftovers();
    }
    port_stream_->Release();
  }
  // 6. The instance count goes back with the base's reservation.
}

// ---- the property table --------------------------------------------------------------------------

void WaveRtPin::build_table() {
  const auto item = [this](const GUID& set, ULONG id, ULONG verbs, ULONG min_input, ULONG min_set_value,
                           LockPolicy lock, NTSTATUS (WaveRtPin::*handler)(PropertyRequest&)) {
    table_.add(PropertyItem{&set, id, verbs, min_input, min_set_value, lock,
                            [this, handler](PropertyRequest& r) { return (this->*handler)(r); }});
  };
  constexpr ULONG kGet = KSPROPERTY_TYPE_GET;
  constexpr ULONG kSet = KSPROPERTY_TYPE_SET;
  constexpr ULONG kHeader = sizeof(KSPROPERTY);
  const GUID& rt = KSPROPSETID_RtAudio;

  table_.add(PropertyItem{&rt, KSPROPERTY_RTAUDIO_BUFFER, kGet, sizeof(KSRTAUDIO_BUFFER_PROPERTY), 0,
                          LockPolicy::Device, [this](PropertyRequest& r) { return get_buffer(r, false); }});
  table_.add(PropertyItem{&rt, KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION, kGet,
                          sizeof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION), 0, LockPolicy::Device,
                          [this](PropertyRequest& r) { return get_buffer(r, true); }});
  item(rt, KSPROPERTY_RTAUDIO_HWLATENCY, kGet, kHeader, 0, LockPolicy::Device, &WaveRtPin::get_hw_latency);
  table_.add(PropertyItem{&rt, KSPROPERTY_RTAUDIO_POSITIONREGISTER, kGet, sizeof(KSRTAUDIO_HWREGISTER_PROPERTY), 0,
                          LockPolicy::Device, [this](PropertyRequest& r) { return get_register(r, false); }});
  table_.add(PropertyItem{&rt, KSPROPERTY_RTAUDIO_CLOCKREGISTER, kGet, sizeof(KSRTAUDIO_HWREGISTER_PROPERTY), 0,
                          LockPolicy::Device, [this](PropertyRequest& r) { return get_register(r, true); }});
  // Get and Set: the individual property pages say both; real clients send SET (§1.4).
  item(rt, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, kGet | kSet, sizeof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY),
       0, LockPolicy::Device, &WaveRtPin::register_event);
  item(rt, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, kGet | kSet,
       sizeof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY), 0, LockPolicy::Device, &WaveRtPin::unregister_event);
  item(rt, KSPROPERTY_RTAUDIO_QUERY_NOTIFICATION_SUPPORT, kGet, kHeader, 0, LockPolicy::Device,
       &WaveRtPin::query_notification_support);
  item(rt, KSPROPERTY_RTAUDIO_PACKETCOUNT, kGet, kHeader, 0, LockPolicy::Position, &WaveRtPin::get_packet_count);
  item(rt, KSPROPERTY_RTAUDIO_PRESENTATION_POSITION, kGet, kHeader, 0, LockPolicy::Position,
       &WaveRtPin::get_presentation_position);
  item(rt, KSPROPERTY_RTAUDIO_GETREADPACKET, kGet, kHeader, 0, LockPolicy::Position, &WaveRtPin::get_read_packet);
  item(rt, KSPROPERTY_RTAUDIO_SETWRITEPACKET, kSet, kHeader, sizeof(KSRTAUDIO_SETWRITEPACKET_INFO),
       LockPolicy::Position, &WaveRtPin::set_write_packet);
  // Undocumented for portcls (GETPOSITIONFUNCTION is for kernel clients, PACKETVREGISTER is ACX's):
  // answered as unsupported so a client falls back (§1.4, §4.4).
  for (ULONG id : {ULONG{KSPROPERTY_RTAUDIO_GETPOSITIONFUNCTION}, ULONG{KSPROPERTY_RTAUDIO_PACKETVREGISTER}}) {
    table_.add(PropertyItem{&rt, id, kGet, kHeader, 0, LockPolicy::None,
                            [](PropertyRequest&) { return STATUS_NOT_SUPPORTED; }});
  }

  item(KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, kGet, kHeader, 0, LockPolicy::Position,
       &WaveRtPin::get_position);
  item(KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITIONEX, kGet, kHeader, 0, LockPolicy::Position,
       &WaveRtPin::get_position_ex);
  item(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, kGet | kSet, kHeader, sizeof(KSSTATE),
       LockPolicy::Device, &WaveRtPin::state_property);
  item(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_DATAFORMAT, kGet | kSet, kHeader, sizeof(KSDATAFORMAT),
       LockPolicy::Device, &WaveRtPin::data_format_property);
}

ULONG WaveRtPin::block_align() const {
  const WAVEFORMATEX* wave = wave_format_of(format_);
  return wave == nullptr || wave->nBlockAlign == 0 ? 1 : wave->nBlockAlign;
}

// ---- KSPROPERTY_RTAUDIO_BUFFER(_WITH_NOTIFICATION) ------------------------------------------------

NTSTATUS WaveRtPin::get_buffer(PropertyRequest& request, bool with_notification) {
  // The size query comes first: it must not allocate anything.
  if (NTSTATUS status = request.need(sizeof(KSRTAUDIO_BUFFER)); !NT_SUCCESS(status)) return status;
  const auto* plain = request.input_as<KSRTAUDIO_BUFFER_PROPERTY>();
  const ULONG requested = plain->RequestedBufferSize;
  PVOID base_address = plain->BaseAddress;
  ULONG count = 0;
  if (with_notification) {
    if (notification_ == nullptr) return STATUS_NOT_SUPPORTED;
    count = request.input_as<KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION>()->NotificationCount;
    if (count != 1 && count != 2) return STATUS_INVALID_PARAMETER;  // §4.1: 1 (end) or 2 (mid and end)
  }
  if (buffer_.mdl != nullptr) return STATUS_DEVICE_BUSY;  // one buffer per pin

  // RequestedBufferSize goes through unchanged (§2, ActualBufferSize: "Emulator rule").
  PMDL mdl = nullptr;
  ULONG actual = 0, offset = 0;
  MEMORY_CACHING_TYPE cache = MmCached;
  const NTSTATUS status = with_notification
                              ? notification_->AllocateBufferWithNotification(count, requested, &mdl, &actual, &offset, &cache)
                              : stream_->AllocateAudioBuffer(requested, &mdl, &actual, &offset, &cache);
  if (!NT_SUCCESS(status)) return status;
  const char* method = with_notification ? "AllocateBufferWithNotification" : "AllocateAudioBuffer";
  if (mdl == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IMiniportWaveRTStream::%s succeeded without an MDL", method);
    return kMiniportContractStatus;
  }

  // The §6.3 buffer checks, first failure reported.
  const ULONG block = block_align();
  const ULONG mdl_bytes = MmGetMdlByteCount(mdl);
  char problem[256] = {};
  if (!valid_buffer_cache(cache)) {
    std::snprintf(problem, sizeof problem, "CacheType %d is not MmNonCached, MmCached or MmWriteCombined", int{cache});
  } else if (actual < block || actual % block != 0) {
    std::snprintf(problem, sizeof problem, "ActualSize %lu is not a whole number (>= 1) of %lu-byte frames (nBlockAlign)",
                  static_cast<unsigned long>(actual), static_cast<unsigned long>(block));
  } else if (offset > mdl_bytes || actual > mdl_bytes - offset) {
    std::snprintf(problem, sizeof problem, "ActualSize %lu at OffsetFromFirstPage %lu does not fit the MDL's %lu bytes",
                  static_cast<unsigned long>(actual), static_cast<unsigned long>(offset),
                  static_cast<unsigned long>(mdl_bytes));
  } else if (with_notification && actual % count != 0) {
    std::snprintf(problem, sizeof problem, "ActualSize %lu is not divisible by NotificationCount %lu",
                  static_cast<unsigned long>(actual), static_cast<unsigned long>(count));
  }
  const auto give_back = [&] {
    if (with_notification) notification_->FreeBufferWithNotification(mdl, actual);
    else stream_->FreeAudioBuffer(mdl, actual);
  };
  if (problem[0] != '\0') {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IMiniportWaveRTStream::%s(Requested %lu): %s "
                    "(waveRT-contract.md §2, ActualBufferSize; §6.3 item 2)", method,
                    static_cast<unsigned long>(requested), problem);
    give_back();
    return kMiniportContractStatus;
  }
  if (actual < requested) {
    // Allowed when memory is short, but WASAPI will not use a smaller buffer (§2): a warning.
    DbgPrintEx(DPFLTR_IHVAUDIO_ID, DPFLTR_WARNING_LEVEL,
               "WaveRT port: pin %lu: %s returned %lu bytes for a request of %lu\n",
               static_cast<unsigned long>(pin_id()), method, static_cast<unsigned long>(actual),
               static_cast<unsigned long>(requested));
  }

  // The client's view: the same memfd-backed pages, so a second process could map them too.
  PVOID user = MmMapLockedPagesSpecifyCache(mdl, UserMode, cache, base_address, FALSE, NormalPagePriority);
  if (user == nullptr) {
    give_back();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  buffer_ = Buffer{mdl, actual, offset, cache, with_notification, count, user};
  buffer_bytes_.store(actual);

  KSRTAUDIO_BUFFER reply{};
  reply.BufferAddress = static_cast<std::byte*>(user) + offset;  // ReactOS forgets the offset (§5)
  reply.ActualBufferSize = actual;
  reply.CallMemoryBarrier = cache == MmWriteCombined ? TRUE : FALSE;
  return request.reply_value(reply);
}

NTSTATUS WaveRtPin::get_hw_latency(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(KSRTAUDIO_HWLATENCY)); !NT_SUCCESS(status)) return status;
  KSRTAUDIO_HWLATENCY latency{};
  stream_->GetHWLatency(&latency);  // per request, not cached (§1.3 item 6)
  return request.reply_value(latency);
}

// ---- KSPROPERTY_RTAUDIO_POSITIONREGISTER / CLOCKREGISTER ------------------------------------------

NTSTATUS WaveRtPin::get_register(PropertyRequest& request, bool clock) {
  if (NTSTATUS status = request.need(sizeof(KSRTAUDIO_HWREGISTER)); !NT_SUCCESS(status)) return status;
  RegisterView& view = clock ? clock_register_ : position_register_;
  // "The mapping may be created only once per pin lifetime; a later request fails" (§2).
  if (view.requested) return STATUS_DEVICE_BUSY;
  const char* method = clock ? "GetClockRegister" : "GetPositionRegister";

  KSRTAUDIO_HWREGISTER reg{};
  const NTSTATUS status = clock ? stream_->GetClockRegister(&reg) : stream_->GetPositionRegister(&reg);
  if (!NT_SUCCESS(status)) return status;  // NOT_SUPPORTED passes through: the client falls back

  char problem[256] = {};
  const auto register_bytes = static_cast<std::size_t>(reg.Width / 8);
  const std::optional<host::MappingInfo> backing = reg.Register == nullptr ? std::nullopt : host::mapping_info(reg.Register);
  const std::size_t page_offset = reinterpret_cast<std::uintptr_t>(reg.Register) & (PAGE_SIZE - 1);
  if (reg.Width != 32 && reg.Width != 64) {
    std::snprintf(problem, sizeof problem, "Width %lu is neither 32 nor 64", static_cast<unsigned long>(reg.Width));
  } else if (clock && (reg.Numerator == 0 || reg.Denominator == 0)) {
    std::snprintf(problem, sizeof problem, "clock frequency Numerator %llu / Denominator %llu: both must be > 0",
                  static_cast<unsigned long long>(reg.Numerator), static_cast<unsigned long long>(reg.Denominator));
  } else if (!backing || backing->mode != KernelMode) {
    std::snprintf(problem, sizeof problem, "Register %p is not in memory with a physical address (MmGetPhysicalAddress "
                  "has nothing to map for the client)", reg.Register);
  } else if (page_offset + register_bytes > PAGE_SIZE) {
    std::snprintf(problem, sizeof problem, "Register %p straddles a page boundary", reg.Register);
  }
  if (problem[0] != '\0') {
    verifier_report(Rule::PortContract, WAVERT_HERE, "IMiniportWaveRTStream::%s: %s (waveRT-contract.md §2, "
                    "KSRTAUDIO_HWREGISTER; §6.3 item 4)", method, problem);
    return kMiniportContractStatus;
  }

  // Describe the register's page and map it for the client, like the buffer.
  auto* page = reinterpret_cast<PVOID>(reinterpret_cast<std::uintptr_t>(reg.Register) & ~std::uintptr_t{PAGE_SIZE - 1});
  PMDL mdl = IoAllocateMdl(page, PAGE_SIZE, FALSE, FALSE, nullptr);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  MmBuildMdlForNonPagedPool(mdl);
  // Read-only: the client reads the hardware's register; a stray write must fault, not reach it.
  PVOID user = MmMapLockedPagesSpecifyCache(mdl, UserMode, backing->effective, nullptr, FALSE,
                                            NormalPagePriority | MdlMappingNoWrite);
  if (user == nullptr) {
    IoFreeMdl(mdl);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  view.requested = true;
  view.mdl = mdl;
  view.user_mapping = user;
  reg.Register = static_cast<std::byte*>(user) + page_offset;
  return request.reply_value(reg);
}

// ---- notification events ---------------------------------------------------------------------------

void WaveRtPin::on_event_signalled() {
  if (events_allowed_.load()) return;
  verifier_report(Rule::PortContract, WAVERT_HERE,
                  "pin %lu: the miniport signalled a notification event in %s; events are signalled only while the "
                  "stream runs (waveRT-contract.md §4.1)", static_cast<unsigned long>(pin_id()),
                  state_name(state_.load()));
}

NTSTATUS WaveRtPin::register_event(PropertyRequest& request) {
  const HANDLE handle = request.input_as<KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY>()->NotificationEvent;
  // "Notification is available only after a successful BUFFER_WITH_NOTIFICATION" (§2).
  if (notification_ == nullptr) return STATUS_NOT_SUPPORTED;
  if (buffer_.mdl == nullptr || !buffer_.with_notification) return STATUS_INVALID_DEVICE_STATE;
  PKEVENT event = nullptr;
  if (NTSTATUS status = host::reference_event_by_handle(handle, UserMode, &event); !NT_SUCCESS(status)) return status;
  const bool duplicate = std::any_of(events_.begin(), events_.end(), [&](const auto& e) { return e->event == event; });
  if (duplicate) {
    host::dereference_event(event);
    return STATUS_INVALID_PARAMETER;  // the port keeps one registration per event
  }
  auto registered = std::make_unique<RegisteredEvent>();
  registered->handle = handle;
  registered->event = event;
  // Watch before the miniport sees the event: a signal from inside RegisterNotificationEvent in STOP
  // is already a break.
  registered->watch = host::EventSignalWatch(event, [this] { on_event_signalled(); });
  const NTSTATUS status = notification_->RegisterNotificationEvent(event);
  if (!NT_SUCCESS(status)) {
    registered->watch = host::EventSignalWatch();
    host::dereference_event(event);
    return status;
  }
  events_.push_back(std::move(registered));
  return STATUS_SUCCESS;
}

NTSTATUS WaveRtPin::unregister_event(PropertyRequest& request) {
  const HANDLE handle = request.input_as<KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY>()->NotificationEvent;
  if (notification_ == nullptr) return STATUS_NOT_SUPPORTED;
  PKEVENT event = nullptr;
  if (NTSTATUS status = host::reference_event_by_handle(handle, UserMode, &event); !NT_SUCCESS(status)) return status;
  auto it = std::find_if(events_.begin(), events_.end(), [&](const auto& e) { return e->event == event; });
  host::dereference_event(event);  // the lookup's reference; the registration holds its own
  if (it == events_.end()) return STATUS_NOT_FOUND;
  const NTSTATUS status = notification_->UnregisterNotificationEvent(event);
  if (!NT_SUCCESS(status)) return status;
  (*it)->watch = host::EventSignalWatch();
  host::dereference_event((*it)->event);  // ReactOS leaks this reference (§5); we do not
  events_.erase(it);
  return STATUS_SUCCESS;
}

NTSTATUS WaveRtPin::query_notification_support(PropertyRequest& request) {
  const BOOL supported = notification_ != nullptr ? TRUE : FALSE;
  return request.reply_value(supported);
}

// ---- packet mode (§4.2): Input/Output stream interfaces, position lock -----------------------------

NTSTATUS WaveRtPin::get_packet_count(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(ULONG)); !NT_SUCCESS(status)) return status;
  if (output_ == nullptr) return STATUS_NOT_SUPPORTED;
  ULONG count = 0;
  if (NTSTATUS status = output_->GetPacketCount(&count); !NT_SUCCESS(status)) return status;
  return request.reply_value(count);
}

NTSTATUS WaveRtPin::get_presentation_position(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(KSAUDIO_PRESENTATION_POSITION)); !NT_SUCCESS(status)) return status;
  if (output_ == nullptr) return STATUS_NOT_SUPPORTED;
  KSAUDIO_PRESENTATION_POSITION position{};
  if (NTSTATUS status = output_->GetOutputStreamPresentationPosition(&position); !NT_SUCCESS(status)) return status;
  return request.reply_value(position);
}

NTSTATUS WaveRtPin::get_read_packet(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(KSRTAUDIO_GETREADPACKET_INFO)); !NT_SUCCESS(status)) return status;
  if (input_ == nullptr) return STATUS_NOT_SUPPORTED;
  KSRTAUDIO_GETREADPACKET_INFO info{};
  DWORD flags = 0;
  BOOL more = FALSE;
  const NTSTATUS status = input_->GetReadPacket(&info.PacketNumber, &flags, &info.PerformanceCounterValue, &more);
  if (!NT_SUCCESS(status)) return status;  // STATUS_DEVICE_NOT_READY: no new packet
  info.Flags = flags;
  info.MoreData = more;
  return request.reply_value(info);
}

NTSTATUS WaveRtPin::set_write_packet(PropertyRequest& request) {
  if (output_ == nullptr) return STATUS_NOT_SUPPORTED;
  const auto* info = request.value_as<KSRTAUDIO_SETWRITEPACKET_INFO>();
  // LATE / OVERRUN / INVALID_DEVICE_STATE come from the miniport and go to the client as they are.
  return output_->SetWritePacket(info->PacketNumber, info->Flags, info->EosPacketLength);
}

// ---- KSPROPERTY_AUDIO_POSITION / POSITIONEX ---------------------------------------------------------

NTSTATUS WaveRtPin::query_position(KSAUDIO_POSITION* position) {
  const NTSTATUS status = stream_->GetPosition(position);
  if (!NT_SUCCESS(status)) return status;
  // Offsets are from the start of the cyclic buffer and wrap: never at or past its end (§2).
  const ULONG size = buffer_bytes_.load();
  if (size != 0 && (position->PlayOffset >= size || position->WriteOffset >= size)) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "IMiniportWaveRTStream::GetPosition: PlayOffset %llu / WriteOffset %llu lie outside the %lu-byte "
                    "cyclic buffer (waveRT-contract.md §2, KSAUDIO_POSITION)",
                    static_cast<unsigned long long>(position->PlayOffset),
                    static_cast<unsigned long long>(position->WriteOffset), static_cast<unsigned long>(size));
    return kMiniportContractStatus;
  }
  return STATUS_SUCCESS;
}

NTSTATUS WaveRtPin::get_position(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(KSAUDIO_POSITION)); !NT_SUCCESS(status)) return status;
  KSAUDIO_POSITION position{};
  if (NTSTATUS status = query_position(&position); !NT_SUCCESS(status)) return status;
  return request.reply_value(position);
}

// The port wraps GetPosition with the QPC before and after, so the client can bound when the
// position was sampled (§1.4, POSITIONEX).
NTSTATUS WaveRtPin::get_position_ex(PropertyRequest& request) {
  if (NTSTATUS status = request.need(sizeof(KSAUDIO_POSITIONEX)); !NT_SUCCESS(status)) return status;
  KSAUDIO_POSITIONEX ex{};
  ex.TimeStamp1 = KeQueryPerformanceCounter(&ex.TimerFrequency);
  if (NTSTATUS status = query_position(&ex.Position); !NT_SUCCESS(status)) return status;
  ex.TimeStamp2 = KeQueryPerformanceCounter(nullptr);
  return request.reply_value(ex);
}

// ---- KSPROPERTY_CONNECTION_STATE / DATAFORMAT ------------------------------------------------------

NTSTATUS WaveRtPin::step_to(KSSTATE next) {
  const KSSTATE current = state_.load();
  if (next == KSSTATE_RUN) events_allowed_.store(true);  // the miniport may start DMA inside SetState(RUN)
  const NTSTATUS status = stream_->SetState(next);
  if (!NT_SUCCESS(status)) {
    if (next == KSSTATE_RUN) events_allowed_.store(false);
    return status;
  }
  if (current == KSSTATE_RUN) events_allowed_.store(false);  // DMA has stopped once SetState(PAUSE) returned
  state_.store(next);  // cached only on success [§1.5, ReactOS]
  return STATUS_SUCCESS;
}

NTSTATUS WaveRtPin::set_state(KSSTATE target) {
  // §1.5: one step per call, intermediate steps synthesized, never the current state again.
  while (state_.load() != target) {
    const KSSTATE current = state_.load();
    const KSSTATE next = static_cast<KSSTATE>(target > current ? current + 1 : current - 1);
    if (NTSTATUS status = step_to(next); !NT_SUCCESS(status)) return status;
  }
  return STATUS_SUCCESS;
}

NTSTATUS WaveRtPin::state_property(PropertyRequest& request) {
  if (request.verb == KSPROPERTY_TYPE_GET) return request.reply_value(state_.load());
  const auto requested = *request.value_as<ULONG>();
  if (requested > KSSTATE_RUN) return STATUS_INVALID_PARAMETER;  // nothing reaches the miniport
  return set_state(static_cast<KSSTATE>(requested));
}

NTSTATUS WaveRtPin::data_format_property(PropertyRequest& request) {
  if (request.verb == KSPROPERTY_TYPE_GET) return request.reply(format_.data(), static_cast<ULONG>(format_.size()));
  // The new format is untrusted: the same checks as a pin-create format, and it must lie in one of
  // the pin's data ranges, before SetFormat sees it.
  const std::span<const std::byte> bytes(request.value.data(), request.value.size());
  if (NTSTATUS status = validate_data_format(bytes); !NT_SUCCESS(status)) return status;
  const auto* format = reinterpret_cast<const KSDATAFORMAT*>(bytes.data());
  const auto& ranges = pin_view().ranges;
  if (std::none_of(ranges.begin(), ranges.end(),
                   [&](const DataRangeView& range) { return format_in_range(*format, bytes, range); })) {
    return STATUS_NO_MATCH;
  }
  std::vector<std::byte> copy(bytes.begin(), bytes.end());  // 16-aligned host copy the miniport may keep
  const NTSTATUS status = stream_->SetFormat(reinterpret_cast<PKSDATAFORMAT>(copy.data()));
  if (!NT_SUCCESS(status)) return status;  // e.g. STATUS_INVALID_PARAMETER: cannot change while running
  retired_formats_.push_back(std::move(format_));
  format_ = std::move(copy);
  return STATUS_SUCCESS;
}

}  // namespace wavert::portcls
