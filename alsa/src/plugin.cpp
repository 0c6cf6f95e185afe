// libasound_module_pcm_wavert.so: an ALSA external PCM (ioplug) that streams through the wavert
// driver, hosted in the program that opens the PCM. README "The ALSA plugin" says how to use it.
//
// Buffer model. ALSA's ring is the driver's cyclic buffer: two periods, one notification each
// (client Event mode). transfer() copies straight into (out of) the mapped buffer through the
// client stream; the hardware pointer is the device position (the mapped position register),
// unwrapped and reported modulo ALSA's boundary (SND_PCM_IOPLUG_FLAG_BOUNDARY_WA). poll() waits on
// the host's eventfd mirror of the notification event.
//
// Locking: ioplug serializes the callbacks of one PCM except drain; `mutex` serializes them with
// drain and with the exit handler (shared_machine.hpp). Callbacks run on the program's threads.
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats.hpp"
#include "shared_machine.hpp"
#include "wavert/client/endpoint.hpp"
#include "wavert/client/stream.hpp"

namespace wavert::alsa {
namespace {

// Buffer limits in bytes (ioplug constrains sizes in bytes, not time). buffer_ms scales the
// maximum; at the default of 500 ms: 500 ms of 48 kHz stereo 32-bit, 1 s of 48 kHz stereo 16-bit,
// 167 ms of 48 kHz 6-channel float.
constexpr unsigned kDefaultBufferMs = 500;
constexpr unsigned kBytesPerMsAt48kStereo32 = 384;
// 2.7 ms of 48 kHz stereo 16-bit: below that a real-clock program cannot keep up.
constexpr unsigned kMinPeriodBytes = 512;
// What one BDL can describe (docs/wave-miniport.md, Buffer).
constexpr unsigned kDriverMaxBufferBytes = 4080u * 1024u;

void say(const std::string& line) { std::fprintf(stderr, "wavert: %s\n", line.c_str()); }

struct Settings {
  std::string endpoint;  // empty: the first endpoint of the stream's direction
  unsigned buffer_ms = kDefaultBufferMs;
  runtime::MachineOptions machine;
};

class Pcm final : public Client {
 public:
  snd_pcm_ioplug_t io{};
  client::Endpoint endpoint;
  Settings settings;

  // Guarded by mutex.
  std::mutex mutex;
  bool holds_machine = false;
  bool dead = false;                    // shut down at exit: every callback fails
  std::optional<client::RenderStream> render;
  std::optional<client::CaptureStream> capture;
  std::uint64_t transferred_frames = 0;  // ALSA's application pointer, unwrapped
  // S24_LE holds 24 bits at the bottom of 32 (sign-extended); the WAVEFORMATEXTENSIBLE 24-in-32
  // it maps to holds them at the top. transfer() shifts between the two.
  bool lsb_justified_24 = false;
  std::vector<std::int32_t> scratch;     // render: the shifted copy of the program's frames
  bool drained = false;                  // the client drained and stopped: all played
  snd_pcm_uframes_t boundary = 0;        // ALSA's pointer wrap (sw_params)

  bool playback() const { return io.stream == SND_PCM_STREAM_PLAYBACK; }
  client::Stream* stream() { return render ? static_cast<client::Stream*>(&*render) : capture ? &*capture : nullptr; }

  void shut_down() override {
    std::lock_guard lock(mutex);
    close_stream();
    dead = true;
  }

  void close_stream() {
    if (render) render->close();
    if (capture) capture->close();
    render.reset();
    capture.reset();
  }

  snd_pcm_uframes_t wrap(std::uint64_t frames) const { return boundary == 0 ? frames % io.buffer_size : frames % boundary; }
};

Pcm* pcm_of(snd_pcm_ioplug_t* io) { return static_cast<Pcm*>(io->private_data); }

int fail(const client::Status& status, int error) {
  say(status.message());
  return error;
}

int cb_start(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  p->drained = false;
  if (client::Status status = s->start(); !status) return fail(status, -EIO);
  arm_exit_handler();
  return 0;
}

int cb_stop(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return 0;
  if (client::Status status = s->stop(); !status) return fail(status, -EIO);
  return 0;
}

snd_pcm_sframes_t cb_pointer(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -ENODEV;
  if (p->drained) return static_cast<snd_pcm_sframes_t>(p->wrap(p->transferred_frames));
  std::uint64_t position = 0;
  if (client::Status status = s->device_position(&position); !status) return fail(status, -EIO);
  if (p->playback()) {
    // The device played past what the program wrote: it is playing stale data. An underrun.
    if (s->state() == client::StreamState::Running && position > p->transferred_frames) return -EPIPE;
  } else if (position > p->transferred_frames + io->buffer_size) {
    return -EPIPE;  // the device overwrote frames the program had not read: an overrun
  }
  return static_cast<snd_pcm_sframes_t>(p->wrap(position));
}

snd_pcm_sframes_t cb_transfer(snd_pcm_ioplug_t* io, const snd_pcm_channel_area_t* areas, snd_pcm_uframes_t offset,
                              snd_pcm_uframes_t size) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  const std::size_t frame_bytes = s->format().frame_bytes();
  // Interleaved: every channel's area starts in the same frame; channel 0's is the frame's start.
  auto* base = static_cast<std::byte*>(areas[0].addr) + areas[0].first / 8 + offset * frame_bytes;
  std::uint32_t done = 0;
  const std::size_t samples = size * frame_bytes / 4;
  if (p->render) {
    std::span<const std::byte> data{base, size * frame_bytes};
    if (p->lsb_justified_24) {
      p->scratch.resize(samples);
      std::memcpy(p->scratch.data(), base, samples * 4);
      for (std::int32_t& sample : p->scratch) sample = static_cast<std::int32_t>(static_cast<std::uint32_t>(sample) << 8);
      data = std::as_bytes(std::span<const std::int32_t>(p->scratch));
    }
    if (client::Status status = p->render->write(data, &done); !status) return fail(status, -EIO);
  } else {
    if (client::Status status = p->capture->read({base, size * frame_bytes}, &done); !status) return fail(status, -EIO);
    if (p->lsb_justified_24) {
      for (std::size_t k = 0; k < std::size_t{done} * frame_bytes / 4; ++k) {
        std::int32_t sample;
        std::memcpy(&sample, base + 4 * k, 4);
        sample >>= 8;  // arithmetic: keeps the sign, as S24_LE wants
        std::memcpy(base + 4 * k, &sample, 4);
      }
    }
  }
  p->transferred_frames += done;
  return done;
}

int cb_close(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  {
    std::lock_guard lock(p->mutex);
    p->close_stream();
  }
  if (p->holds_machine) release_machine(p);
  delete p;
  return 0;
}

int cb_hw_params(snd_pcm_ioplug_t* io, snd_pcm_hw_params_t* /*params*/) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  if (p->dead) return -EBADFD;
  p->close_stream();
  std::optional<client::Format> format = client_format(io->format, io->channels, io->rate);
  if (!format || !p->endpoint.supports(*format)) return -EINVAL;  // the constraints should have prevented it
  client::StreamConfig config;
  config.format = *format;
  config.mode = client::Mode::Event;
  // Rounded up so the driver's buffer holds at least ALSA's (it rounds down to whole frames).
  config.buffer_duration_us = static_cast<std::uint32_t>((std::uint64_t{io->buffer_size} * 1'000'000 + io->rate - 1) / io->rate);
  client::Status status;
  if (p->playback()) {
    p->render.emplace();
    status = p->render->open(p->endpoint, config);
  } else {
    p->capture.emplace();
    status = p->capture->open(p->endpoint, config);
  }
  if (!status) {
    p->close_stream();
    return fail(status, -EIO);
  }
  if (p->stream()->buffer_frames() < io->buffer_size) {
    say("the driver made a buffer of " + std::to_string(p->stream()->buffer_frames()) + " frames for ALSA's " +
        std::to_string(io->buffer_size));
    p->close_stream();
    return -EINVAL;
  }
  if (p->stream()->notification_fd() < 0) {
    say("the stream has no notification descriptor to poll");
    p->close_stream();
    return -EIO;
  }
  p->transferred_frames = 0;
  p->drained = false;
  p->lsb_justified_24 = io->format == SND_PCM_FORMAT_S24_LE;
  arm_exit_handler();
  return 0;
}

int cb_hw_free(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  p->close_stream();
  return 0;
}

int cb_sw_params(snd_pcm_ioplug_t* io, snd_pcm_sw_params_t* params) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  snd_pcm_uframes_t boundary = 0;
  if (snd_pcm_sw_params_get_boundary(params, &boundary) == 0) p->boundary = boundary;
  return 0;
}

int cb_prepare(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  // stop() rewinds the device position and the stream's counters to 0, as prepare does ALSA's.
  if (s->state() != client::StreamState::Stopped) {
    if (client::Status status = s->stop(); !status) return fail(status, -EIO);
  }
  p->transferred_frames = 0;
  p->drained = false;
  // A prepared playback stream can take a whole buffer at once: let a poll() see that.
  if (p->playback()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(s->notification_fd(), &one, sizeof one);
  }
  return 0;
}

int cb_drain(snd_pcm_ioplug_t* io) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  if (p->render) {
    // Plays what was written, silence after it, then stops; the pointer then says "all played".
    if (client::Status status = p->render->drain(); !status) return fail(status, -EIO);
  } else if (client::Status status = s->stop(); !status) {
    return fail(status, -EIO);
  }
  p->drained = true;
  return 0;
}

int cb_pause(snd_pcm_ioplug_t* io, int enable) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  if (client::Status status = enable ? s->pause() : s->start(); !status) return fail(status, -EIO);
  return 0;
}

int cb_poll_descriptors_count(snd_pcm_ioplug_t* /*io*/) { return 1; }

int cb_poll_descriptors(snd_pcm_ioplug_t* io, struct pollfd* pfd, unsigned int space) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (space < 1) return -EINVAL;
  if (p->dead || s == nullptr) return -EBADFD;
  pfd[0] = pollfd{s->notification_fd(), POLLIN, 0};
  return 1;
}

int cb_poll_revents(snd_pcm_ioplug_t* io, struct pollfd* pfd, unsigned int nfds, unsigned short* revents) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (nfds < 1) return -EINVAL;
  if (p->dead || s == nullptr) {
    *revents = POLLERR;
    return 0;
  }
  if (pfd[0].revents & POLLIN) {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(pfd[0].fd, &count, sizeof count);  // clears the mirror
  }
  std::uint64_t position = 0;
  if (client::Status status = s->device_position(&position); !status) {
    *revents = POLLERR;
    return 0;
  }
  // An xrun wakes the program as "ready", not POLLERR: alsa-lib turns POLLERR in a state that is
  // not yet XRUN into -EIO, while the next avail/pointer call reports the xrun as -EPIPE.
  const bool running = s->state() == client::StreamState::Running;
  if (p->playback()) {
    const std::uint64_t queued = p->transferred_frames > position ? p->transferred_frames - position : 0;
    const bool xrun = running && position > p->transferred_frames;
    *revents = xrun || io->buffer_size - queued >= io->period_size || !running ? POLLOUT : 0;
  } else {
    const std::uint64_t ready = position > p->transferred_frames ? position - p->transferred_frames : 0;
    *revents = ready >= io->period_size ? POLLIN : 0;
  }
  return 0;
}

int cb_delay(snd_pcm_ioplug_t* io, snd_pcm_sframes_t* delay) {
  Pcm* p = pcm_of(io);
  std::lock_guard lock(p->mutex);
  client::Stream* s = p->stream();
  if (p->dead || s == nullptr) return -EBADFD;
  std::uint64_t position = 0;
  if (client::Status status = s->device_position(&position); !status) return fail(status, -EIO);
  // Frames in the buffer plus the hardware's own delay (KSPROPERTY_RTAUDIO_HWLATENCY): FIFO,
  // chipset and codec.
  const client::Latency latency = s->latency();
  const client::Format& format = s->format();
  const std::uint64_t hw_frames = latency.fifo_bytes / format.frame_bytes() +
                                  (std::uint64_t{latency.chipset_delay_100ns} + latency.codec_delay_100ns) *
                                      format.sample_rate_hz / 10'000'000;
  const std::int64_t buffered = p->playback() ? static_cast<std::int64_t>(p->transferred_frames) - static_cast<std::int64_t>(position)
                                              : static_cast<std::int64_t>(position) - static_cast<std::int64_t>(p->transferred_frames);
  *delay = static_cast<snd_pcm_sframes_t>(std::max<std::int64_t>(buffered, 0) + static_cast<std::int64_t>(hw_frames));
  return 0;
}

const snd_pcm_ioplug_callback_t kCallbacks = [] {
  snd_pcm_ioplug_callback_t c{};
  c.start = cb_start;
  c.stop = cb_stop;
  c.pointer = cb_pointer;
  c.transfer = cb_transfer;
  c.close = cb_close;
  c.hw_params = cb_hw_params;
  c.hw_free = cb_hw_free;
  c.sw_params = cb_sw_params;
  c.prepare = cb_prepare;
  c.drain = cb_drain;
  c.pause = cb_pause;
  c.poll_descriptors_count = cb_poll_descriptors_count;
  c.poll_descriptors = cb_poll_descriptors;
  c.poll_revents = cb_poll_revents;
  c.delay = cb_delay;
  return c;
}();

// The PCM's configuration node: endpoint, sink, source, config, buffer_ms. Unknown keys and wrong
// types are errors. Empty strings mean "not set".
int parse_settings(const char* name, snd_config_t* conf, Settings* out) {
  snd_config_iterator_t i, next;
  snd_config_for_each(i, next, conf) {
    snd_config_t* node = snd_config_iterator_entry(i);
    const char* id = nullptr;
    if (snd_config_get_id(node, &id) < 0) continue;
    const std::string key = id;
    if (key == "comment" || key == "type" || key == "hint") continue;
    if (key == "buffer_ms") {
      long value = 0;
      if (snd_config_get_integer(node, &value) < 0 || value < 1 || value > 10'000) {
        say(std::string("PCM '") + name + "': buffer_ms must be an integer from 1 to 10000");
        return -EINVAL;
      }
      out->buffer_ms = static_cast<unsigned>(value);
      continue;
    }
    if (key != "endpoint" && key != "sink" && key != "source" && key != "config") {
      say(std::string("PCM '") + name + "': unknown option '" + key +
          "' (the options are endpoint, sink, source, config, buffer_ms)");
      return -EINVAL;
    }
    const char* text = nullptr;
    if (snd_config_get_string(node, &text) < 0) {
      say(std::string("PCM '") + name + "': " + key + " must be a string");
      return -EINVAL;
    }
    const std::string value = text;
    if (key == "endpoint") {
      out->endpoint = value;
    } else if (key == "sink") {
      if (!value.empty()) out->machine.string_parameters["SpeakerSink"] = value;
    } else if (key == "source") {
      if (!value.empty()) out->machine.string_parameters["MicrophoneSource"] = value;
    } else {
      out->machine.config_file = value;
    }
  }
  return 0;
}

int set_list(snd_pcm_ioplug_t* io, int what, const std::vector<unsigned>& values) {
  return snd_pcm_ioplug_set_param_list(io, what, static_cast<unsigned>(values.size()), values.data());
}

int constrain(Pcm* p) {
  const Offer offer = offer_of(p->endpoint);
  if (offer.formats.empty()) {
    say("endpoint '" + p->endpoint.name + "' offers no format ALSA can name");
    return -EINVAL;
  }
  static const unsigned kAccess[] = {SND_PCM_ACCESS_RW_INTERLEAVED, SND_PCM_ACCESS_MMAP_INTERLEAVED};
  const unsigned max_buffer_bytes = std::min(p->settings.buffer_ms * kBytesPerMsAt48kStereo32, kDriverMaxBufferBytes);
  int err = 0;
  if ((err = snd_pcm_ioplug_set_param_list(&p->io, SND_PCM_IOPLUG_HW_ACCESS, 2, kAccess)) < 0 ||
      (err = set_list(&p->io, SND_PCM_IOPLUG_HW_FORMAT, offer.formats)) < 0 ||
      (err = set_list(&p->io, SND_PCM_IOPLUG_HW_CHANNELS, offer.channels)) < 0 ||
      (err = set_list(&p->io, SND_PCM_IOPLUG_HW_RATE, offer.rates_hz)) < 0 ||
      // Two periods: the driver notifies twice per buffer.
      (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 2)) < 0 ||
      (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, kMinPeriodBytes,
                                             std::max(max_buffer_bytes / 2, kMinPeriodBytes))) < 0 ||
      (err = snd_pcm_ioplug_set_param_minmax(&p->io, SND_PCM_IOPLUG_HW_BUFFER_BYTES, 2 * kMinPeriodBytes,
                                             std::max(max_buffer_bytes, 2 * kMinPeriodBytes))) < 0) {
    return err;
  }
  return 0;
}

int open_pcm(snd_pcm_t** pcmp, const char* name, snd_config_t* conf, snd_pcm_stream_t stream, int mode) {
  auto p = std::make_unique<Pcm>();
  if (int err = parse_settings(name, conf, &p->settings); err < 0) return err;
  p->settings.machine.clock = host::ClockKind::Real;
  // A broken rule is reported on stderr, not an abort of the program that loaded us.
  p->settings.machine.verifier = host::VerifierMode::Record;

  if (client::Status status = acquire_machine(p->settings.machine, p.get()); !status) {
    say(status.message());
    return -ENODEV;
  }
  p->holds_machine = true;
  const client::Direction direction =
      stream == SND_PCM_STREAM_PLAYBACK ? client::Direction::Render : client::Direction::Capture;
  client::Status found = p->settings.endpoint.empty() ? client::find_endpoint(direction, &p->endpoint)
                                                      : client::find_endpoint(p->settings.endpoint, &p->endpoint);
  if (found && p->endpoint.direction != direction) {
    found = client::Status::failure(STATUS_INVALID_PARAMETER, "endpoint '" + p->endpoint.name + "' is a " +
                                                                  client::direction_name(p->endpoint.direction) +
                                                                  " endpoint; it cannot be opened for " +
                                                                  (direction == client::Direction::Render ? "playback" : "capture"));
  }
  if (!found) {
    say(found.message());
    release_machine(p.get());
    return -ENODEV;
  }

  p->io.version = SND_PCM_IOPLUG_VERSION;
  p->io.name = "wavert";
  p->io.callback = &kCallbacks;
  p->io.private_data = p.get();
  p->io.flags = SND_PCM_IOPLUG_FLAG_MONOTONIC | SND_PCM_IOPLUG_FLAG_BOUNDARY_WA;
  p->io.poll_fd = -1;
  p->io.poll_events = POLLIN;
  p->io.mmap_rw = 0;
  if (int err = snd_pcm_ioplug_create(&p->io, name, stream, mode); err < 0) {
    release_machine(p.get());
    return err;
  }
  if (int err = constrain(p.get()); err < 0) {
    Pcm* raw = p.release();
    snd_pcm_ioplug_delete(&raw->io);  // calls cb_close, which frees it
    return err;
  }
  arm_exit_handler();
  *pcmp = p->io.pcm;
  p.release();
  return 0;
}

}  // namespace
}  // namespace wavert::alsa

extern "C" {
SND_PCM_PLUGIN_DEFINE_FUNC(wavert) {
  (void)root;
  try {
    return wavert::alsa::open_pcm(pcmp, name, conf, stream, mode);
  } catch (const std::exception& e) {
    wavert::alsa::say(std::string("cannot open PCM: ") + e.what());
    return -ENOMEM;
  }
}
SND_PCM_PLUGIN_SYMBOL(wavert);
}
