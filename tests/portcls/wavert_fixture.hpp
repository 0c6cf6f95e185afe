// Shared fixture for the WaveRT port tests: a simulated-time kernel, the recording adapter loaded
// through DriverEntry/PnP, and helpers that speak raw KS requests through the boundary
// (wavert/host/ks.hpp), as an application would.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "recording_miniport.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/events.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/ks.hpp"
#include "wavert/host/memory.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::testing {

namespace ks = host::ks;

// 48 kHz, 16-bit stereo: 4-byte frames; 9600 bytes = 50 ms.
inline constexpr ULONG kFrameBytes = 4;
inline constexpr ULONG kBufferBytes = 9600;

inline std::vector<std::byte> wave_format_bytes(WORD channels = 2, DWORD rate = 48000, WORD bits = 16) {
  KSDATAFORMAT_WAVEFORMATEX f{};
  f.DataFormat.FormatSize = sizeof f;
  f.DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.DataFormat.SubFormat = KSDATAFORMAT_SUBTYPE_PCM;
  f.DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  f.WaveFormatEx.wFormatTag = WAVE_FORMAT_PCM;
  f.WaveFormatEx.nChannels = channels;
  f.WaveFormatEx.nSamplesPerSec = rate;
  f.WaveFormatEx.wBitsPerSample = bits;
  f.WaveFormatEx.nBlockAlign = static_cast<WORD>(channels * bits / 8);
  f.WaveFormatEx.nAvgBytesPerSec = rate * f.WaveFormatEx.nBlockAlign;
  f.DataFormat.SampleSize = f.WaveFormatEx.nBlockAlign;
  std::vector<std::byte> out(sizeof f);
  std::memcpy(out.data(), &f, sizeof f);
  return out;
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

class WaveRtPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host::KernelConfig config;
    config.clock = host::ClockKind::Simulated;
    session_ = std::make_unique<host::KernelSession>(config);
  }
  void TearDown() override {
    for (ks::Handle h : open_) (void)ks::close(h);
    open_.clear();
    driver_.reset();
    session_.reset();
  }

  // Loads the recording adapter; ASSERTs success.
  void load(const RecordingConfig& config = {}, const host::DriverConfig& driver_config = {}) {
    ASSERT_EQ(RecordingDriver::load(config, driver_config, &driver_), STATUS_SUCCESS);
  }

  ks::Handle open_filter() {
    for (const auto& i : ks::enumerate_interfaces(KSCATEGORY_REALTIME)) {
      if (i.subdevice_name == "Wave") {
        ks::Handle h;
        EXPECT_EQ(ks::open_filter(i.symbolic_link, &h), STATUS_SUCCESS);
        open_.push_back(h);
        return h;
      }
    }
    ADD_FAILURE() << "no KSCATEGORY_REALTIME interface for the Wave subdevice";
    return {};
  }

  NTSTATUS try_create_pin(ULONG pin_id, ks::Handle* out, const std::vector<std::byte>& format = wave_format_bytes()) {
    if (!filter_) filter_ = open_filter();
    const auto bytes = connect_bytes(pin_id, format);
    const NTSTATUS status = ks::create_pin(filter_, bytes, out);
    if (NT_SUCCESS(status)) open_.push_back(*out);
    return status;
  }
  ks::Handle create_pin(ULONG pin_id = kRenderPin) {
    ks::Handle h;
    EXPECT_EQ(try_create_pin(pin_id, &h), STATUS_SUCCESS);
    return h;
  }
  NTSTATUS close(ks::Handle h) {
    std::erase(open_, h);
    return ks::close(h);
  }

  // IOCTL_KS_PROPERTY with `input` as the request and `output` as the value buffer.
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
  NTSTATUS set_state(ks::Handle h, ULONG state) {
    return set(h, KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, state).status;
  }
  KSSTATE get_state(ks::Handle h) {
    KSSTATE s = static_cast<KSSTATE>(99);
    EXPECT_EQ(get(h, KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, &s).status, STATUS_SUCCESS);
    return s;
  }
  ks::IoResult get_buffer(ks::Handle h, ULONG requested, ULONG notification_count, KSRTAUDIO_BUFFER* out) {
    KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION p{};
    p.Property = property(KSPROPSETID_RtAudio,
                          notification_count == 0 ? KSPROPERTY_RTAUDIO_BUFFER : KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION,
                          KSPROPERTY_TYPE_GET);
    p.RequestedBufferSize = requested;
    p.NotificationCount = notification_count;
    const std::span<const std::byte> in = notification_count == 0
                                              ? std::span<const std::byte>(bytes_of(p).data(), sizeof(KSRTAUDIO_BUFFER_PROPERTY))
                                              : bytes_of(p);
    return request(h, in, writable_bytes_of(*out));
  }
  ks::IoResult event_request(ks::Handle h, ULONG id, HANDLE event, ULONG verb = KSPROPERTY_TYPE_SET) {
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, verb);
    p.NotificationEvent = event;
    return request(h, bytes_of(p), {});
  }
  ks::IoResult get_register(ks::Handle h, ULONG id, KSRTAUDIO_HWREGISTER* out) {
    KSRTAUDIO_HWREGISTER_PROPERTY p{};
    p.Property = property(KSPROPSETID_RtAudio, id, KSPROPERTY_TYPE_GET);
    return request(h, bytes_of(p), writable_bytes_of(*out));
  }

  std::vector<std::string> calls() { return driver_->log().calls(); }
  // Calls of the miniport stream only (from "NewStream" on), for state and buffer sequences.
  std::vector<std::string> calls_since(std::size_t first) {
    auto all = calls();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(first, all.size())), all.end()};
  }
  std::vector<std::string> set_state_calls() { return driver_->log().calls_starting_with("SetState"); }

  std::unique_ptr<host::KernelSession> session_;
  std::unique_ptr<RecordingDriver> driver_;
  ks::Handle filter_;
  std::vector<ks::Handle> open_;
};

}  // namespace wavert::testing
