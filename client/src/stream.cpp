// Render and capture streams on a WaveRT pin (stream.hpp has the state diagram and modes).
//
// Position bookkeeping: the device reports a byte offset inside the cyclic buffer (position
// register or KSPROPERTY_AUDIO_POSITION's PlayOffset). The stream unwraps it into frames since
// start: the forward distance from the previous offset, plus whole buffer laps when more time
// passed than one lap takes (the elapsed QPC time says how many laps are plausible). The write
// (render) or read (capture) position is the client's own count; the difference of the two is
// what is buffered, and a sign change is a glitch.
#include "wavert/client/stream.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "ks_request.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/events.hpp"

namespace wavert::client {

using detail::failed;
namespace ks = wavert::host::ks;

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::Event: return "event";
    case Mode::Poll: return "poll";
    case Mode::Packet: return "packet";
  }
  return "?";
}

struct Stream::Impl {
  explicit Impl(Direction d) : direction(d) {}

  Direction direction;
  StreamState state = StreamState::Closed;
  StreamConfig config;
  std::string name;  // endpoint name, for messages
  ks::Handle pin;
  HANDLE event = nullptr;        // Event / Packet mode: the registered notification event
  bool event_registered = false;

  std::byte* buffer = nullptr;   // the mapped cyclic buffer (the port's mapping; lives with the pin)
  std::uint32_t buffer_bytes = 0;
  std::uint32_t buffer_frames = 0;
  std::uint32_t frame_bytes = 0;
  bool call_memory_barrier = false;

  // Position register, when mapped: read with an atomic load, no request, no lock.
  const void* position_register = nullptr;
  std::uint32_t register_width_bits = 0;

  KSRTAUDIO_HWLATENCY hw_latency{};
  std::uint32_t fifo_frames = 0;  // FifoSize in whole frames, rounded up

  // Unwrapped positions in frames since start (the last stop).
  std::uint64_t device_frames = 0;   // played (render) / recorded (capture)
  std::uint64_t client_frames = 0;   // written (render) / read (capture)
  std::uint64_t last_offset_bytes = 0;
  std::uint64_t last_position_qpc = 0;  // when last_offset_bytes was read (set at start())
  Glitches glitches;

  // Packet mode.
  std::uint32_t packet_frames = 0;
  std::uint32_t next_packet = 0;     // render: the next packet number to write; capture: to read

  // ---- helpers --------------------------------------------------------------------------------
  Status check_open(const char* what) const {
    if (state == StreamState::Closed)
      return Status::failure(STATUS_INVALID_DEVICE_STATE, std::string(what) + ": the stream is not open");
    return Status::success();
  }

  Status set_state(KSSTATE ks_state, const char* what) {
    KSPROPERTY p = detail::make_property(KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE, KSPROPERTY_TYPE_SET);
    ks::IoResult r = detail::property(pin, &p, sizeof p, &ks_state, sizeof ks_state);
    if (!NT_SUCCESS(r.status)) return failed(std::string(what) + " on " + name + ": KSPROPERTY_CONNECTION_STATE failed", r.status);
    return Status::success();
  }

  // The device's byte offset inside the buffer.
  Status read_offset(std::uint64_t* offset) {
    if (position_register != nullptr) {
      // The register is device memory the miniport updates concurrently: one aligned atomic load.
      if (register_width_bits == 64) {
        *offset = __atomic_load_n(static_cast<const volatile std::uint64_t*>(position_register), __ATOMIC_ACQUIRE);
      } else {
        *offset = __atomic_load_n(static_cast<const volatile std::uint32_t*>(position_register), __ATOMIC_ACQUIRE);
      }
    } else {
      KSPROPERTY p = detail::make_property(KSPROPSETID_Audio, KSPROPERTY_AUDIO_POSITION, KSPROPERTY_TYPE_GET);
      KSAUDIO_POSITION position{};
      if (NTSTATUS s = detail::get_fixed(pin, p, &position); !NT_SUCCESS(s))
        return failed("KSPROPERTY_AUDIO_POSITION failed on " + name, s);
      *offset = position.PlayOffset;
    }
    if (*offset >= buffer_bytes)
      return Status::failure(STATUS_INVALID_DEVICE_STATE, name + ": the driver reported position " +
                                                              std::to_string(*offset) + " outside the " +
                                                              std::to_string(buffer_bytes) + "-byte buffer");
    return Status::success();
  }

  // Advances device_frames to the device's current position.
  Status update_position() {
    std::uint64_t offset = 0;
    if (Status s = read_offset(&offset); !s) return s;
    const std::uint64_t now_qpc = wavert::host::qpc_now();
    std::uint64_t delta_bytes = (offset + buffer_bytes - last_offset_bytes) % buffer_bytes;
    if (state == StreamState::Running) {
      // Whole laps the offset cannot show: how many bytes the elapsed time would have moved, less
      // the visible distance, in buffers, rounded to nearest (the device clock is a few ppm off
      // the host's, far less than half a buffer over any gap a client survives).
      const std::uint64_t elapsed_qpc = now_qpc - last_position_qpc;
      const unsigned __int128 expected_bytes = static_cast<unsigned __int128>(elapsed_qpc) *
                                               config.format.bytes_per_second() / wavert::host::qpc_frequency();
      if (expected_bytes > delta_bytes + buffer_bytes / 2) {
        const std::uint64_t laps = static_cast<std::uint64_t>((expected_bytes - delta_bytes + buffer_bytes / 2) / buffer_bytes);
        delta_bytes += laps * buffer_bytes;
      }
    }
    // The register moves in DMA bursts, which need not end on a frame boundary (a 128-byte burst
    // is 21 1/3 frames of 24-bit stereo): count whole frames only and keep the partial frame for
    // the next read, or each read would lose up to a frame and the position fall behind for good.
    const std::uint64_t whole_frames = delta_bytes / frame_bytes;
    device_frames += whole_frames;
    last_offset_bytes = (last_offset_bytes + whole_frames * frame_bytes) % buffer_bytes;
    last_position_qpc = now_qpc;
    return Status::success();
  }

  void reset_counters() {
    device_frames = client_frames = 0;
    last_offset_bytes = 0;
    next_packet = 0;
  }

  void barrier() const {
    // KSRTAUDIO_BUFFER.CallMemoryBarrier: a write-combined buffer needs a fence before the device
    // may read what the CPU wrote.
    if (call_memory_barrier) std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  // Copies between the caller and the cyclic buffer at unwrapped frame position `at`.
  void copy_in(std::uint64_t at, const std::byte* src, std::uint32_t frames) {
    std::uint32_t offset = static_cast<std::uint32_t>((at % buffer_frames) * frame_bytes);
    std::uint32_t bytes = frames * frame_bytes;
    std::uint32_t first = std::min(bytes, buffer_bytes - offset);
    std::memcpy(buffer + offset, src, first);
    std::memcpy(buffer, src + first, bytes - first);
  }
  void copy_out(std::uint64_t at, std::byte* dst, std::uint32_t frames) const {
    std::uint32_t offset = static_cast<std::uint32_t>((at % buffer_frames) * frame_bytes);
    std::uint32_t bytes = frames * frame_bytes;
    std::uint32_t first = std::min(bytes, buffer_bytes - offset);
    std::memcpy(dst, buffer + offset, first);
    std::memcpy(dst + first, buffer, bytes - first);
  }
  void fill_silence() {
    // 8-bit PCM is unsigned: silence is 0x80. Everything else is zero.
    const bool unsigned8 = config.format.sample_type == SampleType::Int && config.format.container_bits == 8;
    std::memset(buffer, unsigned8 ? 0x80 : 0, buffer_bytes);
  }

  Status open(const Endpoint& endpoint, const StreamConfig& cfg);
  void close();
  Status wait(std::uint64_t timeout_us);
  Status packet_count(ULONG* count);
};

// ---- open / close ---------------------------------------------------------------------------------

Status Stream::Impl::open(const Endpoint& endpoint, const StreamConfig& cfg) {
  if (state != StreamState::Closed) return Status::failure(STATUS_INVALID_DEVICE_STATE, "open: the stream is already open");
  if (endpoint.direction != direction)
    return Status::failure(STATUS_INVALID_PARAMETER, "open: " + endpoint.name + " is a " +
                                                         direction_name(endpoint.direction) + " endpoint, this is a " +
                                                         direction_name(direction) + " stream");
  if (Status s = cfg.format.validate(); !s) return s;
  if (cfg.buffer_duration_us < 1'000 || cfg.buffer_duration_us > 10'000'000)
    return Status::failure(STATUS_INVALID_PARAMETER,
                           "open: buffer duration " + std::to_string(cfg.buffer_duration_us) + " us is outside 1 ms .. 10 s");
  config = cfg;
  name = endpoint.name;
  frame_bytes = cfg.format.frame_bytes();

  // KsCreatePin: KSPIN_CONNECT then the format, one buffer.
  KSPIN_CONNECT connect{};
  connect.Interface.Set = KSINTERFACESETID_Standard;
  connect.Interface.Id = KSINTERFACE_STANDARD_LOOPED_STREAMING;  // WaveRT pins are looped (contract §2)
  connect.Medium.Set = KSMEDIUMSETID_Standard;
  connect.Medium.Id = KSMEDIUM_STANDARD_DEVIO;
  connect.PinId = endpoint.pin_id;
  connect.Priority.PriorityClass = KSPRIORITY_NORMAL;
  connect.Priority.PrioritySubClass = 1;
  std::vector<std::byte> format_bytes = cfg.format.to_ks_data_format();
  std::vector<std::byte> create(sizeof connect + format_bytes.size());
  std::memcpy(create.data(), &connect, sizeof connect);
  std::memcpy(create.data() + sizeof connect, format_bytes.data(), format_bytes.size());
  ks::Handle filter;
  if (NTSTATUS s = ks::open_filter(endpoint.symbolic_link, &filter); !NT_SUCCESS(s))
    return failed("open: cannot open filter " + endpoint.symbolic_link, s);
  NTSTATUS created = ks::create_pin(filter, create, &pin);
  (void)ks::close(filter);  // the pin keeps its filter alive (ks.hpp)
  if (!NT_SUCCESS(created))
    return failed("open: " + name + " refused a pin in " + cfg.format.to_string(), created);
  state = StreamState::Stopped;  // from here on close() unwinds

  // The cyclic buffer. Two notifications per buffer in event and packet mode: each half is a
  // period (and a packet), so the request is a whole, even number of frames.
  std::uint32_t frames = cfg.format.frames_for_us(cfg.buffer_duration_us);
  frames += frames % 2;
  KSRTAUDIO_BUFFER reply{};
  NTSTATUS s;
  if (cfg.mode == Mode::Poll) {
    KSRTAUDIO_BUFFER_PROPERTY request{};
    request.Property = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_BUFFER, KSPROPERTY_TYPE_GET);
    request.RequestedBufferSize = frames * frame_bytes;
    s = detail::get_fixed(pin, request, &reply);
  } else {
    KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION request{};
    request.Property =
        detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION, KSPROPERTY_TYPE_GET);
    request.RequestedBufferSize = frames * frame_bytes;
    request.NotificationCount = 2;
    s = detail::get_fixed(pin, request, &reply);
  }
  if (!NT_SUCCESS(s)) {
    close();
    return failed("open: " + name + " could not allocate a " + std::to_string(frames) + "-frame buffer", s);
  }
  if (reply.BufferAddress == nullptr || reply.ActualBufferSize < 2 * frame_bytes ||
      reply.ActualBufferSize % (2 * frame_bytes) != 0) {
    close();
    return Status::failure(STATUS_INVALID_BUFFER_SIZE, "open: " + name + " returned a " +
                                                           std::to_string(reply.ActualBufferSize) +
                                                           "-byte buffer, not an even number of frames");
  }
  buffer = static_cast<std::byte*>(reply.BufferAddress);
  buffer_bytes = reply.ActualBufferSize;
  buffer_frames = buffer_bytes / frame_bytes;
  call_memory_barrier = reply.CallMemoryBarrier != FALSE;
  packet_frames = buffer_frames / 2;
  if (direction == Direction::Render) fill_silence();

  // Notification event (event and packet mode).
  if (cfg.mode != Mode::Poll) {
    if (NTSTATUS e = wavert::host::create_user_event(false, false, &event); !NT_SUCCESS(e)) {
      close();
      return failed("open: cannot create the notification event", e);
    }
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY request{};
    request.Property =
        detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT, KSPROPERTY_TYPE_SET);
    request.NotificationEvent = event;
    ks::IoResult r = detail::property(pin, &request, sizeof request, nullptr, 0);
    if (!NT_SUCCESS(r.status)) {
      close();
      return failed("open: " + name + " refused the notification event", r.status);
    }
    event_registered = true;
  }

  // Position register: mapped once per pin; STATUS_NOT_SUPPORTED means "use KSPROPERTY_AUDIO_POSITION".
  {
    KSRTAUDIO_HWREGISTER_PROPERTY request{};
    request.Property = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_POSITIONREGISTER, KSPROPERTY_TYPE_GET);
    KSRTAUDIO_HWREGISTER reg{};
    NTSTATUS r = detail::get_fixed(pin, request, &reg);
    if (NT_SUCCESS(r)) {
      if ((reg.Width != 32 && reg.Width != 64) || reg.Register == nullptr) {
        close();
        return Status::failure(STATUS_INVALID_PARAMETER, "open: " + name + " mapped a position register of width " +
                                                             std::to_string(reg.Width) + " (32 or 64 expected)");
      }
      position_register = reg.Register;
      register_width_bits = reg.Width;
    } else if (!detail::is_not_offered(r)) {
      close();
      return failed("open: KSPROPERTY_RTAUDIO_POSITIONREGISTER failed on " + name, r);
    }
  }

  // Hardware latency: the FIFO the DMA engine keeps between buffer and converter.
  {
    KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_HWLATENCY, KSPROPERTY_TYPE_GET);
    NTSTATUS r = detail::get_fixed(pin, request, &hw_latency);
    if (!NT_SUCCESS(r) && !detail::is_not_offered(r)) {
      close();
      return failed("open: KSPROPERTY_RTAUDIO_HWLATENCY failed on " + name, r);
    }
    fifo_frames = (hw_latency.FifoSize + frame_bytes - 1) / frame_bytes;
    if (fifo_frames >= buffer_frames / 2) {
      close();
      return Status::failure(STATUS_INVALID_BUFFER_SIZE, "open: " + name + "'s FIFO (" +
                                                             std::to_string(hw_latency.FifoSize) +
                                                             " bytes) is not smaller than half the buffer; ask for a longer buffer");
    }
  }

  // Packet mode needs the packet properties on this stream.
  if (cfg.mode == Mode::Packet) {
    NTSTATUS r;
    if (direction == Direction::Render) {
      KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, KSPROPERTY_TYPE_GET);
      ULONG count = 0;
      r = detail::get_fixed(pin, request, &count);
    } else {
      KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, KSPROPERTY_TYPE_GET);
      KSRTAUDIO_GETREADPACKET_INFO info{};
      r = detail::get_fixed(pin, request, &info);
      // Stopped: "no packet yet" in whatever words the driver uses is fine; "no such request" is not.
      if (!detail::is_not_offered(r)) r = STATUS_SUCCESS;
    }
    if (!NT_SUCCESS(r)) {
      close();
      return failed("open: " + name + " does not support packet mode", r);
    }
  }
  reset_counters();
  return Status::success();
}

void Stream::Impl::close() {
  if (state == StreamState::Closed) return;
  if (event_registered) {
    // Unregister after STOP and before close, as clients should (contract §1.6); failures leave
    // nothing to undo -- closing the pin unregisters leftovers.
    (void)set_state(KSSTATE_STOP, "close");
    KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY request{};
    request.Property =
        detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT, KSPROPERTY_TYPE_SET);
    request.NotificationEvent = event;
    (void)detail::property(pin, &request, sizeof request, nullptr, 0);
    event_registered = false;
  }
  (void)ks::close(pin);  // steps the pin down to STOP, frees the buffer and the register mapping
  pin = {};
  if (event != nullptr) {
    (void)wavert::host::close_user_event(event);
    event = nullptr;
  }
  buffer = nullptr;
  position_register = nullptr;
  state = StreamState::Closed;
}

Status Stream::Impl::packet_count(ULONG* count) {
  KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_PACKETCOUNT, KSPROPERTY_TYPE_GET);
  NTSTATUS s = detail::get_fixed(pin, request, count);
  if (!NT_SUCCESS(s)) return failed("KSPROPERTY_RTAUDIO_PACKETCOUNT failed on " + name, s);
  return Status::success();
}

Status Stream::Impl::wait(std::uint64_t timeout_us) {
  if (Status s = check_open("wait"); !s) return s;
  if (event != nullptr) {
    NTSTATUS s = wavert::host::wait_user_event(event, timeout_us * 10);
    if (s == STATUS_TIMEOUT)
      return Status::failure(STATUS_TIMEOUT, name + ": no notification within " + std::to_string(timeout_us) + " us");
    if (!NT_SUCCESS(s)) return failed("waiting for " + name + "'s notification failed", s);
    return Status::success();
  }
  // Poll mode: half a period, so a period boundary is seen at most a quarter buffer late.
  const std::uint64_t period_us = std::uint64_t{packet_frames} * 1'000'000 / config.format.sample_rate_hz;
  wavert::host::run_for(std::chrono::microseconds(std::max<std::uint64_t>(1, std::min(period_us / 2, timeout_us))));
  return Status::success();
}

// ---- Stream ----------------------------------------------------------------------------------------

Stream::Stream() : Stream(Direction::Render) {}
Stream::Stream(Direction direction) : impl_(std::make_unique<Impl>(direction)) {}
Stream::~Stream() { close(); }
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Status Stream::open(const Endpoint& endpoint, const StreamConfig& config) { return impl_->open(endpoint, config); }

Status Stream::start() {
  if (Status s = impl_->check_open("start"); !s) return s;
  if (impl_->state == StreamState::Running) return Status::success();
  if (Status s = impl_->set_state(KSSTATE_RUN, "start"); !s) return s;
  impl_->state = StreamState::Running;
  impl_->last_position_qpc = wavert::host::qpc_now();
  return Status::success();
}

Status Stream::pause() {
  if (Status s = impl_->check_open("pause"); !s) return s;
  if (impl_->state != StreamState::Running) return Status::success();
  if (Status s = impl_->update_position(); !s) return s;
  if (Status s = impl_->set_state(KSSTATE_PAUSE, "pause"); !s) return s;
  impl_->state = StreamState::Paused;
  return Status::success();
}

Status Stream::stop() {
  if (Status s = impl_->check_open("stop"); !s) return s;
  if (Status s = impl_->set_state(KSSTATE_STOP, "stop"); !s) return s;
  impl_->state = StreamState::Stopped;
  impl_->reset_counters();  // STOP resets the device position to 0 (contract §1.5)
  if (impl_->direction == Direction::Render) impl_->fill_silence();
  return Status::success();
}

void Stream::close() {
  if (impl_) impl_->close();
}

StreamState Stream::state() const { return impl_->state; }
const Format& Stream::format() const { return impl_->config.format; }
Mode Stream::mode() const { return impl_->config.mode; }
std::uint32_t Stream::buffer_frames() const { return impl_->buffer_frames; }
std::uint32_t Stream::period_frames() const { return impl_->packet_frames; }
bool Stream::position_register_mapped() const { return impl_->position_register != nullptr; }
Glitches Stream::glitches() const { return impl_->glitches; }
std::span<std::byte> Stream::buffer_bytes() const { return {impl_->buffer, impl_->buffer_bytes}; }

int Stream::notification_fd() const {
  if (impl_->event == nullptr) return -1;
  return wavert::host::event_fd(impl_->event);
}

Latency Stream::latency() const {
  const Impl& i = *impl_;
  Latency l;
  l.buffer_frames = i.buffer_frames;
  l.fifo_bytes = i.hw_latency.FifoSize;
  l.chipset_delay_100ns = i.hw_latency.ChipsetDelay;
  l.codec_delay_100ns = i.hw_latency.CodecDelay;
  const std::uint64_t rate = i.config.format.sample_rate_hz;
  if (rate != 0 && i.frame_bytes != 0) {
    const std::uint64_t frames = std::uint64_t{i.buffer_frames} + i.fifo_frames;
    l.total_us = frames * 1'000'000 / rate + (std::uint64_t{l.chipset_delay_100ns} + l.codec_delay_100ns) / 10;
  }
  return l;
}

Status Stream::device_position(std::uint64_t* frames) {
  if (Status s = impl_->check_open("device_position"); !s) return s;
  if (impl_->state == StreamState::Running) {
    if (Status s = impl_->update_position(); !s) return s;
  }
  *frames = impl_->device_frames;
  return Status::success();
}

Status Stream::wait(std::uint64_t timeout_us) { return impl_->wait(timeout_us); }

// ---- RenderStream ----------------------------------------------------------------------------------

RenderStream::RenderStream() : Stream(Direction::Render) {}
Status RenderStream::open(const Endpoint& endpoint, const StreamConfig& config) { return Stream::open(endpoint, config); }

Status RenderStream::writable_frames(std::uint32_t* frames) {
  Impl& i = *impl_;
  if (Status s = i.check_open("writable_frames"); !s) return s;
  if (i.config.mode == Mode::Packet) {
    // Packet n may be written once packet n-1 is in flight: n <= PacketCount (+1 while running).
    ULONG count = 0;
    if (Status s = i.packet_count(&count); !s) return s;
    const std::uint64_t allowed = std::uint64_t{count} + (i.state == StreamState::Running ? 1 : 0);
    if (i.next_packet < count && i.state == StreamState::Running) {
      // The device finished packets we never announced: it played silence or stale data.
      i.glitches.count += 1;
      i.glitches.frames_lost += std::uint64_t{count - i.next_packet} * i.packet_frames;
      i.next_packet = count;
    }
    *frames = i.next_packet <= allowed ? i.packet_frames : 0;
    return Status::success();
  }
  if (i.state == StreamState::Running) {
    if (Status s = i.update_position(); !s) return s;
    if (i.device_frames > i.client_frames) {
      // Underrun: the play position passed the write position. Resume writing at the play
      // position, and silence the buffer so what plays until then is not a stale loop.
      i.glitches.count += 1;
      i.glitches.frames_lost += i.device_frames - i.client_frames;
      i.client_frames = i.device_frames;
      i.fill_silence();
    }
  }
  // What the DMA engine already fetched into its FIFO beyond the play position is off limits.
  const std::uint64_t queued = i.client_frames - i.device_frames;
  const std::uint64_t limit = i.state == StreamState::Running ? i.buffer_frames - i.fifo_frames : i.buffer_frames;
  *frames = queued >= limit ? 0 : static_cast<std::uint32_t>(limit - queued);
  return Status::success();
}

Status RenderStream::write(std::span<const std::byte> interleaved, std::uint32_t* frames_written) {
  Impl& i = *impl_;
  *frames_written = 0;
  if (Status s = i.check_open("write"); !s) return s;
  if (interleaved.size() % i.frame_bytes != 0)
    return Status::failure(STATUS_INVALID_PARAMETER, "write: " + std::to_string(interleaved.size()) +
                                                         " bytes is not a whole number of " +
                                                         std::to_string(i.frame_bytes) + "-byte frames");
  std::uint32_t room = 0;
  if (Status s = writable_frames(&room); !s) return s;
  const std::uint32_t offered = static_cast<std::uint32_t>(std::min<std::size_t>(interleaved.size() / i.frame_bytes, UINT32_MAX));
  if (i.config.mode == Mode::Packet) {
    if (room == 0) return Status::success();
    // One packet per call; a short final packet is padded with silence.
    const std::uint32_t frames = std::min(offered, i.packet_frames);
    const std::uint64_t at = std::uint64_t{i.next_packet % 2} * i.packet_frames;
    i.copy_in(at, interleaved.data(), frames);
    if (frames < i.packet_frames) {
      std::memset(i.buffer + (at + frames) * i.frame_bytes, 0, std::size_t{i.packet_frames - frames} * i.frame_bytes);
    }
    i.barrier();
    KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_SETWRITEPACKET, KSPROPERTY_TYPE_SET);
    KSRTAUDIO_SETWRITEPACKET_INFO info{};
    info.PacketNumber = i.next_packet;
    ks::IoResult r = detail::property(i.pin, &request, sizeof request, &info, sizeof info);
    if (r.status == STATUS_DATA_LATE_ERROR) {
      // The device is already past this packet: count it and resynchronize on the next call.
      i.glitches.count += 1;
      i.glitches.frames_lost += i.packet_frames;
      ULONG count = 0;
      if (Status s = i.packet_count(&count); !s) return s;
      i.next_packet = count + 1;
      return Status::success();
    }
    if (r.status == STATUS_DATA_OVERRUN) return Status::success();  // no room after all: the caller waits
    if (!NT_SUCCESS(r.status)) return failed("write: KSPROPERTY_RTAUDIO_SETWRITEPACKET failed on " + i.name, r.status);
    i.next_packet += 1;
    i.client_frames += i.packet_frames;
    *frames_written = frames;
    return Status::success();
  }
  const std::uint32_t frames = std::min(offered, room);
  i.copy_in(i.client_frames, interleaved.data(), frames);
  i.barrier();
  i.client_frames += frames;
  *frames_written = frames;
  return Status::success();
}

Status RenderStream::write_all(std::span<const std::byte> interleaved) {
  Impl& i = *impl_;
  if (Status s = i.check_open("write_all"); !s) return s;
  const std::uint64_t period_us = std::uint64_t{i.packet_frames} * 1'000'000 / i.config.format.sample_rate_hz;
  while (!interleaved.empty()) {
    std::uint32_t written = 0;
    if (Status s = write(interleaved, &written); !s) return s;
    interleaved = interleaved.subspan(std::size_t{written} * i.frame_bytes);
    if (written != 0) continue;
    if (i.state != StreamState::Running) {
      // The buffer is full before the first start: start now, as a player would.
      if (Status s = start(); !s) return s;
      continue;
    }
    // Four periods without a notification means the device stopped moving.
    if (Status s = wait(4 * period_us + 1'000); !s) return s;
  }
  return Status::success();
}

Status RenderStream::drain() {
  Impl& i = *impl_;
  if (Status s = i.check_open("drain"); !s) return s;
  if (i.client_frames == 0) return Status::success();
  if (i.state != StreamState::Running) {
    if (Status s = start(); !s) return s;
  }
  // The position register is the DMA position, which runs a FIFO ahead of the converter, and the
  // codec delays the converter's output further (KSRTAUDIO_HWLATENCY): the last frame has been
  // heard only once the position is that far past the end of the data.
  const std::uint64_t rate = i.config.format.sample_rate_hz;
  const std::uint64_t codec_frames =
      ((std::uint64_t{i.hw_latency.ChipsetDelay} + i.hw_latency.CodecDelay) * rate + 9'999'999) / 10'000'000;
  const std::uint64_t end = i.client_frames + i.fifo_frames + codec_frames;
  const std::uint64_t period_us = std::uint64_t{i.packet_frames} * 1'000'000 / rate;
  // Keep the buffer fed with silence so nothing stale plays while the tail drains, then stop
  // once the play position reaches the end of the data.
  std::vector<std::byte> silence(std::size_t{i.packet_frames} * i.frame_bytes,
                                 std::byte{i.config.format.container_bits == 8 ? std::uint8_t{0x80} : std::uint8_t{0}});
  for (;;) {
    std::uint64_t played = 0;
    if (Status s = device_position(&played); !s) return s;
    if (played >= end) break;
    std::uint32_t written = 0;
    if (Status s = write(silence, &written); !s) return s;
    if (Status s = wait(4 * period_us + 1'000); !s) return s;
  }
  return stop();
}

// ---- CaptureStream ---------------------------------------------------------------------------------

CaptureStream::CaptureStream() : Stream(Direction::Capture) {}
Status CaptureStream::open(const Endpoint& endpoint, const StreamConfig& config) { return Stream::open(endpoint, config); }

Status CaptureStream::readable_frames(std::uint32_t* frames) {
  Impl& i = *impl_;
  *frames = 0;
  if (Status s = i.check_open("readable_frames"); !s) return s;
  if (i.config.mode == Mode::Packet) {
    // A packet is ready once GETREADPACKET names it; the answer is kept until read() takes it.
    if (i.client_frames < i.device_frames) {
      *frames = static_cast<std::uint32_t>(i.device_frames - i.client_frames);
      return Status::success();
    }
    KSPROPERTY request = detail::make_property(KSPROPSETID_RtAudio, KSPROPERTY_RTAUDIO_GETREADPACKET, KSPROPERTY_TYPE_GET);
    KSRTAUDIO_GETREADPACKET_INFO info{};
    NTSTATUS s = detail::get_fixed(i.pin, request, &info);
    if (s == STATUS_DEVICE_NOT_READY || s == STATUS_INVALID_DEVICE_STATE) return Status::success();
    if (!NT_SUCCESS(s)) return failed("KSPROPERTY_RTAUDIO_GETREADPACKET failed on " + i.name, s);
    if (info.PacketNumber > i.next_packet) {
      // Packets between were overwritten before we asked: an overrun.
      i.glitches.count += 1;
      i.glitches.frames_lost += std::uint64_t{info.PacketNumber - i.next_packet} * i.packet_frames;
    }
    i.next_packet = info.PacketNumber + 1;
    i.client_frames = std::uint64_t{info.PacketNumber} * i.packet_frames;
    i.device_frames = i.client_frames + i.packet_frames;
    *frames = i.packet_frames;
    return Status::success();
  }
  if (i.state == StreamState::Running) {
    if (Status s = i.update_position(); !s) return s;
  }
  // Samples the ADC took in the last FIFO's worth of time are still in the FIFO, not the buffer.
  const std::uint64_t in_memory = i.device_frames > i.fifo_frames ? i.device_frames - i.fifo_frames : 0;
  if (in_memory > i.client_frames + i.buffer_frames) {
    // Overrun: the record position lapped the read position; what was not read is gone.
    i.glitches.count += 1;
    i.glitches.frames_lost += in_memory - i.client_frames;
    i.client_frames = in_memory;
  }
  *frames = in_memory > i.client_frames ? static_cast<std::uint32_t>(in_memory - i.client_frames) : 0;
  return Status::success();
}

Status CaptureStream::read(std::span<std::byte> interleaved, std::uint32_t* frames_read) {
  Impl& i = *impl_;
  *frames_read = 0;
  if (Status s = i.check_open("read"); !s) return s;
  if (interleaved.size() % i.frame_bytes != 0)
    return Status::failure(STATUS_INVALID_PARAMETER, "read: " + std::to_string(interleaved.size()) +
                                                         " bytes is not a whole number of " +
                                                         std::to_string(i.frame_bytes) + "-byte frames");
  std::uint32_t available = 0;
  if (Status s = readable_frames(&available); !s) return s;
  const std::uint32_t frames =
      static_cast<std::uint32_t>(std::min<std::size_t>(available, interleaved.size() / i.frame_bytes));
  i.barrier();
  i.copy_out(i.client_frames, interleaved.data(), frames);
  i.client_frames += frames;
  *frames_read = frames;
  return Status::success();
}

Status CaptureStream::read_all(std::span<std::byte> interleaved) {
  Impl& i = *impl_;
  if (Status s = i.check_open("read_all"); !s) return s;
  if (i.state != StreamState::Running) {
    if (Status s = start(); !s) return s;
  }
  const std::uint64_t period_us = std::uint64_t{i.packet_frames} * 1'000'000 / i.config.format.sample_rate_hz;
  while (!interleaved.empty()) {
    std::uint32_t got = 0;
    if (Status s = read(interleaved, &got); !s) return s;
    interleaved = interleaved.subspan(std::size_t{got} * i.frame_bytes);
    if (got == 0) {
      if (Status s = wait(4 * period_us + 1'000); !s) return s;
    }
  }
  return Status::success();
}

// ---- play ------------------------------------------------------------------------------------------

Status play(const Format& format, std::span<const std::byte> interleaved, std::string_view endpoint_name) {
  Endpoint endpoint;
  Status found = endpoint_name.empty() ? find_endpoint(Direction::Render, &endpoint) : find_endpoint(endpoint_name, &endpoint);
  if (!found) return found;
  RenderStream stream;
  if (Status s = stream.open(endpoint, StreamConfig{format}); !s) return s;
  if (Status s = stream.write_all(interleaved); !s) return s;
  return stream.drain();
}

}  // namespace wavert::client
