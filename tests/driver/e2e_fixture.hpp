// End-to-end tests of the wavert driver: the real driver loaded into the host (driver_fixture.hpp)
// and driven through the KS boundary, either with raw property requests (what the port passes to
// the miniport, statuses included) or through the client API (what an application sees).
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <portcls.h>
#include <ksmedia.h>

#include "driver_fixture.hpp"
#include "wavert/client/format.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/events.hpp"
#include "wavert/host/ks.hpp"

namespace e2e {

namespace ks = wavert::host::ks;

inline constexpr ULONG kSpeakerRenderPin = 0;
inline constexpr ULONG kSpeakerLoopbackPin = 2;
inline constexpr ULONG kMicrophoneCapturePin = 0;

template <class T>
std::span<const std::byte> bytes_of(const T& value) {
  return {reinterpret_cast<const std::byte*>(&value), sizeof(T)};
}
template <class T>
std::span<std::byte> writable_bytes_of(T& value) {
  return {reinterpret_cast<std::byte*>(&value), sizeof(T)};
}

inline KSPROPERTY property(const GUID& set, ULONG id, ULONG flags) {
  KSPROPERTY p{};
  p.Set = set;
  p.Id = id;
  p.Flags = flags;
  return p;
}

inline std::vector<std::byte> connect_bytes(ULONG pin_id, const std::vector<std::byte>& format) {
  KSPIN_CONNECT c{};
  c.Interface.Set = KSINTERFACESETID_Standard;
  c.Interface.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;
  c.Medium.Set = KSMEDIUMSETID_Standard;
  c.Medium.Id = KSMEDIUM_TYPE_ANYINSTANCE;
  c.PinId = pin_id;
  c.Priority.PriorityClass = KSPRIORITY_NORMAL;
  c.Priority.PrioritySubClass = 1;
  std::vector<std::byte> out(sizeof c + format.size());
  std::memcpy(out.data(), &c, sizeof c);
  std::memcpy(out.data() + sizeof c, format.data(), format.size());
  return out;
}

// Raw KS requests on the driver's wave filters. Handles opened here are closed by the destructor.
class RawKs {
 public:
  ~RawKs() { close_all(); }
  // Before the driver unloads (the fixture's TearDown): an application closes its handles first.
  void close_all() {
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) (void)ks::close(*it);
    open_.clear();
  }

  ks::Handle filter(const std::string& subdevice) {
    for (const auto& i : ks::enumerate_interfaces(KSCATEGORY_REALTIME)) {
      if (i.subdevice_name == subdevice) {
        ks::Handle h;
        EXPECT_EQ(ks::open_filter(i.symbolic_link, &h), STATUS_SUCCESS);
        open_.push_back(h);
        return h;
      }
    }
    ADD_FAILURE() << "no KSCATEGORY_REALTIME interface named " << subdevice;
    return {};
  }

  NTSTATUS create_pin(ks::Handle filter, ULONG pin_id, const std::vector<std::byte>& format, ks::Handle* out) {
    const auto bytes = connect_bytes(pin_id, format);
    const NTSTATUS status = ks::create_pin(filter, bytes, out);
    if (NT_SUCCESS(status)) open_.push_back(*out);
    return status;
  }
  NTSTATUS close(ks::Handle h) {
    std::erase(open_, h);
    return ks::close(h);
  }

  ks::IoResult request(ks::Handle h, std::span<const std::byte> input, std::span<std::byte> output) {
    return ks::device_io_control(h, IOCTL_KS_PROPERTY, input, output);
  }
  template <class Value>
  ks::IoResult get(ks::Handle h, const GUID& set, ULONG id, Value* value) {
    const KSPROPERTY p = property(set, id, KSPROPERTY_TYPE_GET);
    return request(h, bytes_of(p), writable_bytes_of(*value));
  }
  template <class Value>
  ks::IoResult set(ks::Handle h, const GUID& set, ULONG id, Value value) {
    const KSPROPERTY p = property(set, id, KSPROPERTY_TYPE_SET);
    return request(h, bytes_of(p), writable_bytes_of(value));
  }
  NTSTATUS set_state(ks::Handle h, KSSTATE state) {
    return set(h, KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, static_cast<ULONG>(state)).status;
  }
  ks::IoResult get_buffer(ks::Handle h, ULONG requested, ULONG notification_count, KSRTAUDIO_BUFFER* out,
                          bool with_notification) {
    KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION p{};
    p.Property = property(KSPROPSETID_RtAudio,
                          with_notification ? KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION : KSPROPERTY_RTAUDIO_BUFFER,
                          KSPROPERTY_TYPE_GET);
    p.RequestedBufferSize = requested;
    p.NotificationCount = notification_count;
    const std::span<const std::byte> in =
        with_notification ? bytes_of(p) : std::span<const std::byte>(bytes_of(p).data(), sizeof(KSRTAUDIO_BUFFER_PROPERTY));
    return request(h, in, writable_bytes_of(*out));
  }
  ks::IoResult event_request(ks::Handle h, ULONG id, HANDLE event) {
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_SET);
    p.NotificationEvent = event;
    return request(h, bytes_of(p), {});
  }
  ks::IoResult get_register(ks::Handle h, ULONG id, KSRTAUDIO_HWREGISTER* out) {
    KSRTAUDIO_HWREGISTER_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_GET);
    return request(h, bytes_of(p), writable_bytes_of(*out));
  }
  NTSTATUS set_write_packet(ks::Handle h, ULONG packet, DWORD flags, ULONG eos_length) {
    KSRTAUDIO_SETWRITEPACKET_INFO info{packet, flags, eos_length};
    return set(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, info).status;
  }
  ULONG packet_count(ks::Handle h) {
    ULONG count = 0xFFFFFFFF;
    EXPECT_EQ(get(h, KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, &count).status, STATUS_SUCCESS);
    return count;
  }
  KSAUDIO_POSITION position(ks::Handle h) {
    KSAUDIO_POSITION p{~0ull, ~0ull};
    EXPECT_EQ(get(h, KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, &p).status, STATUS_SUCCESS);
    return p;
  }

 private:
  std::vector<ks::Handle> open_;
};

// A WAVEFORMATEXTENSIBLE KSDATAFORMAT for a client Format (the client builds it; the driver checks it).
inline std::vector<std::byte> ks_format(const wavert::client::Format& f) { return f.to_ks_data_format(); }

// A notification event the test can count: every KeSetEvent the driver makes on it, with the
// interrupt time it happened at.
class CountedEvent {
 public:
  CountedEvent() {
    EXPECT_EQ(wavert::host::create_user_event(false, false, &handle_), STATUS_SUCCESS);
    EXPECT_EQ(wavert::host::reference_event_by_handle(handle_, KernelMode, &event_), STATUS_SUCCESS);
    watch_ = wavert::host::EventSignalWatch(event_, [this] { times_.push_back(wavert::host::now_100ns()); });
  }
  ~CountedEvent() {
    watch_ = {};
    wavert::host::dereference_event(event_);
    (void)wavert::host::close_user_event(handle_);
  }
  HANDLE handle() const { return handle_; }
  std::size_t count() const { return times_.size(); }
  const std::vector<std::uint64_t>& times_100ns() const { return times_; }

 private:
  HANDLE handle_ = nullptr;
  PKEVENT event_ = nullptr;
  std::vector<std::uint64_t> times_;  // written by the signalling DPC; read when time stands still
  wavert::host::EventSignalWatch watch_;
};

}  // namespace e2e
