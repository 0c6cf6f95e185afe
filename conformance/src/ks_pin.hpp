// A WaveRT pin opened through the KS boundary, with the property requests the suite sends. Only
// wavert/host/ks.hpp, events.hpp and clock.hpp: what any application could do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <span>
#include <vector>

#include <ks.h>
#include <ksmedia.h>

#include "wavert/client/endpoint.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/events.hpp"
#include "wavert/host/ks.hpp"

namespace wavert::conformance::detail {

namespace ks = wavert::host::ks;

template <class T>
std::span<const std::byte> in_bytes(const T& value) {
  return {reinterpret_cast<const std::byte*>(&value), sizeof(T)};
}
template <class T>
std::span<std::byte> out_bytes(T& value) {
  return {reinterpret_cast<std::byte*>(&value), sizeof(T)};
}
inline KSPROPERTY property(const GUID& set, ULONG id, ULONG flags) {
  KSPROPERTY p{};
  p.Set = set;
  p.Id = id;
  p.Flags = flags;
  return p;
}

// A notification event and the interrupt times (100 ns) of every signal the driver made on it.
class WatchedEvent {
 public:
  WatchedEvent() {
    if (host::create_user_event(false, false, &handle_) != STATUS_SUCCESS) return;
    if (host::reference_event_by_handle(handle_, KernelMode, &event_) != STATUS_SUCCESS) return;
    watch_ = host::EventSignalWatch(event_, [this] {
      std::lock_guard<std::mutex> guard(mutex_);
      times_.push_back(host::now_100ns());
    });
  }
  ~WatchedEvent() {
    watch_ = {};
    if (event_ != nullptr) host::dereference_event(event_);
    if (handle_ != nullptr) (void)host::close_user_event(handle_);
  }
  WatchedEvent(const WatchedEvent&) = delete;
  WatchedEvent& operator=(const WatchedEvent&) = delete;
  HANDLE handle() const { return handle_; }
  std::size_t count() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return times_.size();
  }
  std::vector<std::uint64_t> times_100ns() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return times_;
  }

 private:
  HANDLE handle_ = nullptr;
  PKEVENT event_ = nullptr;
  mutable std::mutex mutex_;  // leaf; the callback runs on the signalling DPC
  std::vector<std::uint64_t> times_;
  host::EventSignalWatch watch_;
};

// One pin instance. The destructor closes it (which steps it down to STOP and frees the buffer).
class Pin {
 public:
  Pin() = default;
  ~Pin() { close(); }
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;
  Pin(Pin&& o) noexcept { *this = std::move(o); }
  Pin& operator=(Pin&& o) noexcept {
    std::swap(handle_, o.handle_);
    std::swap(buffer_, o.buffer_);
    std::swap(registered_, o.registered_);
    return *this;
  }

  // KsCreatePin with KSPIN_CONNECT + KSDATAFORMAT_WAVEFORMATEXTENSIBLE; the NTSTATUS of the create.
  NTSTATUS open(const client::Endpoint& endpoint, const client::Format& format) {
    ks::Handle filter;
    if (NTSTATUS s = ks::open_filter(endpoint.symbolic_link, &filter); !NT_SUCCESS(s)) return s;
    const std::vector<std::byte> data_format = format.to_ks_data_format();
    KSPIN_CONNECT c{};
    c.Interface.Set = KSINTERFACESETID_Standard;
    c.Interface.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
    c.Medium.Set = KSMEDIUMSETID_Standard;
    c.Medium.Id = KSMEDIUM_TYPE_ANYINSTANCE;
    c.PinId = endpoint.pin_id;
    c.Priority.PriorityClass = KSPRIORITY_NORMAL;
    c.Priority.PrioritySubClass = 1;
    std::vector<std::byte> bytes(sizeof c + data_format.size());
    std::memcpy(bytes.data(), &c, sizeof c);
    std::memcpy(bytes.data() + sizeof c, data_format.data(), data_format.size());
    const NTSTATUS status = ks::create_pin(filter, bytes, &handle_);
    (void)ks::close(filter);  // the pin keeps its filter alive
    return status;
  }
  NTSTATUS close() {
    if (!handle_) return STATUS_SUCCESS;
    if (registered_ != nullptr) {
      (void)event(KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, registered_);
      registered_ = nullptr;
    }
    const NTSTATUS status = ks::close(handle_);
    handle_ = {};
    buffer_ = {};
    return status;
  }
  explicit operator bool() const { return static_cast<bool>(handle_); }

  template <class Value>
  NTSTATUS get(const GUID& set, ULONG id, Value* value) {
    const KSPROPERTY p = property(set, id, KSPROPERTY_TYPE_GET);
    return ks::device_io_control(handle_, IOCTL_KS_PROPERTY, in_bytes(p), out_bytes(*value)).status;
  }
  template <class Value>
  NTSTATUS set(const GUID& set, ULONG id, Value value) {
    const KSPROPERTY p = property(set, id, KSPROPERTY_TYPE_SET);
    return ks::device_io_control(handle_, IOCTL_KS_PROPERTY, in_bytes(p), out_bytes(value)).status;
  }
  NTSTATUS set_state(KSSTATE state) { return set(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, ULONG(state)); }

  NTSTATUS allocate(ULONG requested_bytes, ULONG notification_count) {
    KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION p{};
    p.Property = property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION, KSPROPERTY_TYPE_GET);
    p.RequestedBufferSize = requested_bytes;
    p.NotificationCount = notification_count;
    return ks::device_io_control(handle_, IOCTL_KS_PROPERTY, in_bytes(p), out_bytes(buffer_)).status;
  }
  const KSRTAUDIO_BUFFER& buffer() const { return buffer_; }

  NTSTATUS event(ULONG id, HANDLE handle) {
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_SET);
    p.NotificationEvent = handle;
    return ks::device_io_control(handle_, IOCTL_KS_PROPERTY, in_bytes(p), {}).status;
  }
  NTSTATUS register_event(HANDLE handle) {
    const NTSTATUS s = event(KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, handle);
    if (NT_SUCCESS(s)) registered_ = handle;
    return s;
  }
  NTSTATUS position_register(KSRTAUDIO_HWREGISTER* out) {
    KSRTAUDIO_HWREGISTER_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_POSITIONREGISTER, KSPROPERTY_TYPE_GET);
    return ks::device_io_control(handle_, IOCTL_KS_PROPERTY, in_bytes(p), out_bytes(*out)).status;
  }
  NTSTATUS position(KSAUDIO_POSITION* out) { return get(KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, out); }
  NTSTATUS packet_count(ULONG* out) { return get(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, out); }
  NTSTATUS set_write_packet(ULONG packet) {
    KSRTAUDIO_SETWRITEPACKET_INFO info{packet, 0, 0};
    return set(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, info);
  }

 private:
  ks::Handle handle_;
  KSRTAUDIO_BUFFER buffer_{};
  HANDLE registered_ = nullptr;
};

}  // namespace wavert::conformance::detail
