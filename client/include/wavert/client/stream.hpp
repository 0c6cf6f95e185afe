// Render and capture streams on a WaveRT pin. One shape: open -> start / pause / stop -> close.
//
//            open()               start()
//   Closed ---------> Stopped  ----------->  Running
//      ^                ^  ^  <----------      | ^
//      |   close()      |  |     stop()        | | start()
//      +----------------+  |                   v |
//     (from any state)     +------ stop() --- Paused   <- pause()
//
// Data goes straight into (comes straight out of) the driver's cyclic buffer, mapped once at
// open: write() copies the caller's frames into the buffer and nothing else. When the driver
// maps its position register, the per-period path -- available_frames(), write(), read(),
// wait() -- makes no KS request and takes no lock; otherwise each position read is one
// KSPROPERTY_AUDIO_POSITION request.
//
// Modes:
//   Event   KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION (2 notifications per buffer) and a host
//           notification event registered with REGISTER_NOTIFICATION_EVENT; wait() blocks on it.
//   Poll    KSPROPERTY_RTAUDIO_BUFFER; wait() sleeps (or, in simulated time, lets the machine run)
//           for half a period.
//   Packet  buffer with notification plus the packet properties: render announces each packet
//           with SETWRITEPACKET and paces by PACKETCOUNT; capture takes packets from
//           GETREADPACKET. Whole packets (half the buffer) only.
//
// Threading: one stream is used by one thread at a time (the caller serializes); different
// streams are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "wavert/client/endpoint.hpp"
#include "wavert/client/format.hpp"
#include "wavert/client/status.hpp"

namespace wavert::client {

enum class Mode { Event, Poll, Packet };
const char* mode_name(Mode mode);  // "event" / "poll" / "packet"

struct StreamConfig {
  Format format;
  // The cyclic buffer's length. 20 ms = two 10 ms periods, the Windows shared-mode default.
  std::uint32_t buffer_duration_us = 20'000;
  Mode mode = Mode::Event;
};

enum class StreamState { Closed, Stopped, Paused, Running };

struct Latency {
  std::uint32_t buffer_frames = 0;      // the cyclic buffer
  std::uint32_t fifo_bytes = 0;         // KSRTAUDIO_HWLATENCY.FifoSize
  std::uint32_t chipset_delay_100ns = 0;
  std::uint32_t codec_delay_100ns = 0;
  // Buffer + FIFO + chipset + codec delay in microseconds: how long a sample written now at the
  // write position takes to reach the DAC (render) when the buffer is full.
  std::uint64_t total_us = 0;
};

struct Glitches {
  // Render: the play position passed the write position (the device played stale data).
  // Capture: the record position lapped the read position (data was overwritten unread).
  // Packet mode: a SETWRITEPACKET came too late, or GETREADPACKET skipped packets.
  std::uint64_t count = 0;
  std::uint64_t frames_lost = 0;  // frames of silence inserted (render) or dropped (capture)
};

class Stream {
 public:
  Stream();
  ~Stream();  // close()
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Creates the pin (KSPIN_CONNECT + KSDATAFORMAT_WAVEFORMATEXTENSIBLE), allocates the buffer,
  // registers the event (Event / Packet), maps the position register when offered and reads the
  // hardware latency. The endpoint's direction must match the stream type.
  Status open(const Endpoint& endpoint, const StreamConfig& config);
  // KSPROPERTY_CONNECTION_STATE: RUN, PAUSE, STOP. stop() resets the device position to 0 and the
  // stream's counters with it (a new start() begins a new stream on the same buffer).
  Status start();
  Status pause();
  Status stop();
  // Unregisters the event, closes the pin (which steps it down to STOP and frees the buffer).
  // Safe in any state, idempotent.
  void close();

  StreamState state() const;
  const Format& format() const;
  Mode mode() const;
  std::uint32_t buffer_frames() const;
  std::uint32_t period_frames() const;  // half the buffer: the notification / packet period
  bool position_register_mapped() const;
  Latency latency() const;
  Glitches glitches() const;

  // Frames the device has played (render) or recorded (capture) since start, unwrapped.
  Status device_position(std::uint64_t* frames);
  // Blocks until the next period boundary (Event: the notification event; Poll / Packet without
  // events: a timer of half a period), or `timeout_us`. STATUS_TIMEOUT when it expired.
  Status wait(std::uint64_t timeout_us);

  // Event / Packet mode: a descriptor that poll() sees readable after each notification (the
  // host's eventfd mirror of the notification event, wavert/host/events.hpp); read it to clear.
  // Owned by the stream, valid until close(). -1 in Poll mode or when closed.
  int notification_fd() const;

  // The mapped buffer, for tests and tools that inspect it.
  std::span<std::byte> buffer_bytes() const;

 protected:
  struct Impl;
  explicit Stream(Direction direction);
  std::unique_ptr<Impl> impl_;
};

class RenderStream : public Stream {
 public:
  RenderStream();
  Status open(const Endpoint& endpoint, const StreamConfig& config);

  // Frames that fit now.
  Status writable_frames(std::uint32_t* frames);
  // Copies up to writable_frames() whole frames of `interleaved` into the buffer; how many went in
  // is `*frames_written`. Never blocks.
  Status write(std::span<const std::byte> interleaved, std::uint32_t* frames_written);
  // Writes all of `interleaved`, waiting for room; starts the stream when the buffer is first full
  // and it was not started. Packet mode pads the last packet with silence.
  Status write_all(std::span<const std::byte> interleaved);
  // Feeds silence while the tail plays, waits until everything written has been played, then
  // stops the stream (the position resets; the stream stays open).
  Status drain();
  template <class Sample>
  Status write_all(std::span<const Sample> samples) {
    return write_all(std::as_bytes(samples));
  }
};

class CaptureStream : public Stream {
 public:
  CaptureStream();
  Status open(const Endpoint& endpoint, const StreamConfig& config);

  Status readable_frames(std::uint32_t* frames);
  // Copies up to readable_frames() whole frames into `interleaved`. Never blocks.
  Status read(std::span<std::byte> interleaved, std::uint32_t* frames_read);
  // Fills all of `interleaved`, waiting for data; starts the stream if it is not running.
  Status read_all(std::span<std::byte> interleaved);
};

// The five-line program's helper: opens the first render endpoint (or `endpoint_name`), plays
// `interleaved` in `format`, drains, closes.
Status play(const Format& format, std::span<const std::byte> interleaved, std::string_view endpoint_name = {});

}  // namespace wavert::client
