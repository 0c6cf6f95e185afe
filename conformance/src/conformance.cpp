// The conformance checks (conformance.hpp). Every check talks to the driver through KS requests
// (ks_pin.hpp) or the client API, and judges what it sees against the WaveRT contract as the
// Windows documentation states it for the interface method named in the check.
#include "wavert/conformance/conformance.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <sstream>
#include <thread>

#include "ks_pin.hpp"
#include "wavert/client/stream.hpp"

namespace wavert::conformance {
namespace {

using client::Direction;
using client::Endpoint;
using client::Format;
using client::Status;
using detail::Pin;
using detail::WatchedEvent;

std::string hex(NTSTATUS s) { return client::status_hex(s); }

std::string fmt(double v, int precision = 4) {
  std::ostringstream o;
  o.precision(precision);
  o << v;
  return o.str();
}

class Recorder {
 public:
  Recorder(Report* report, std::string endpoint) : report_(report), endpoint_(std::move(endpoint)) {}
  void pass(const std::string& name, std::string message) { add(name, true, std::move(message)); }
  void fail(const std::string& name, std::string message) { add(name, false, std::move(message)); }
  void verdict(const std::string& name, bool ok, std::string message) { add(name, ok, std::move(message)); }

 private:
  void add(const std::string& name, bool ok, std::string message) {
    report_->checks.push_back({endpoint_, name, ok, std::move(message)});
  }
  Report* report_;
  std::string endpoint_;
};

void advance_100ns(std::uint64_t duration_100ns) { host::run_until_100ns(host::now_100ns() + duration_100ns); }

// The format every timing check uses: stereo 16-bit at `rate_hz` when the pin takes it, else the
// first standard format at that rate. Rate 0 means 48 kHz (the Windows shared-mode default) or,
// for a pin without it, the first standard format its ranges admit.
bool pick_format(const Endpoint& e, std::uint32_t rate_hz, Format* out) {
  const std::uint32_t rate = rate_hz != 0 ? rate_hz : 48'000;
  if (e.supports(Format::pcm16(rate, 2))) {
    *out = Format::pcm16(rate, 2);
    return true;
  }
  for (const Format& f : e.formats()) {
    if (rate_hz != 0 && f.sample_rate_hz != rate_hz) continue;
    *out = f;
    return true;
  }
  return false;
}

std::uint32_t read_register(const KSRTAUDIO_HWREGISTER& r) {
  return __atomic_load_n(static_cast<const volatile std::uint32_t*>(r.Register), __ATOMIC_ACQUIRE);
}

// ---- Position accuracy: the KS position test's method ---------------------------------------------

// Least-squares line through (t, frames); residuals in ms against it.
PositionFigures fit(const std::string& source, const std::vector<double>& t_s, const std::vector<double>& frames,
                    double rate_hz, double granularity_ms) {
  PositionFigures f;
  f.source = source;
  f.pairs = t_s.size();
  if (t_s.size() < 3) return f;
  f.seconds = t_s.back() - t_s.front();
  double mt = 0, mf = 0;
  for (std::size_t i = 0; i < t_s.size(); ++i) mt += t_s[i], mf += frames[i];
  mt /= t_s.size();
  mf /= t_s.size();
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < t_s.size(); ++i) sxx += (t_s[i] - mt) * (t_s[i] - mt), sxy += (t_s[i] - mt) * (frames[i] - mf);
  const double slope = sxy / sxx;
  f.rate_error_ppm = (slope / rate_hz - 1.0) * 1e6;
  double ss = 0;
  const std::size_t step = std::max<std::size_t>(1, t_s.size() / 1500);
  for (std::size_t i = 0; i < t_s.size(); ++i) {
    const double residual_ms = (frames[i] - (mf + slope * (t_s[i] - mt))) / rate_hz * 1000.0;
    ss += residual_ms * residual_ms;
    f.max_deviation_ms = std::max(f.max_deviation_ms, std::fabs(residual_ms));
    if (i % step == 0) f.error_over_time.emplace_back(t_s[i] - t_s.front(), residual_ms);
  }
  f.sigma_ms = std::sqrt(ss / t_s.size());
  f.granularity_ms = granularity_ms;
  f.frame_floor_sigma_ms = 1000.0 / rate_hz / std::sqrt(12.0);
  return f;
}

// Unwraps byte offsets in a cyclic buffer into frames since the first sample. Correct as long as
// the position moves less than a buffer between two samples (the sampling interval guarantees it).
class Unwrapper {
 public:
  Unwrapper(std::uint64_t buffer_bytes, std::uint32_t frame_bytes) : buffer_(buffer_bytes), frame_(frame_bytes) {}
  double push(std::uint64_t offset) {
    if (first_) {
      first_ = false;
    } else {
      total_ += (offset + buffer_ - last_) % buffer_;
    }
    last_ = offset;
    return static_cast<double>(total_) / frame_;
  }

 private:
  std::uint64_t buffer_, frame_;
  std::uint64_t last_ = 0, total_ = 0;
  bool first_ = true;
};

void position_and_notifications(const Options& options, const Endpoint& e, const Format& format, Report* report,
                                EndpointReport* er) {
  Recorder rec(report, e.name);
  Pin pin;
  if (NTSTATUS s = pin.open(e, format); !NT_SUCCESS(s)) {
    rec.fail("position.open", "KsCreatePin in " + format.to_string() + " failed with " + hex(s) +
                                  " although the pin's data ranges admit it");
    return;
  }
  const std::uint32_t frame_bytes = format.frame_bytes();
  std::uint32_t frames = format.frames_for_us(options.buffer_duration_us);
  frames += frames % 2;
  if (NTSTATUS s = pin.allocate(frames * frame_bytes, 2); !NT_SUCCESS(s)) {
    rec.fail("position.buffer", "KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION (" + std::to_string(frames * frame_bytes) +
                                    " bytes, 2 notifications) failed with " + hex(s));
    return;
  }
  const std::uint64_t buffer_bytes = pin.buffer().ActualBufferSize;
  er->buffer_frames = static_cast<std::uint32_t>(buffer_bytes / frame_bytes);
  WatchedEvent event;
  if (NTSTATUS s = pin.register_event(event.handle()); !NT_SUCCESS(s)) {
    rec.fail("notification.register", "REGISTER_NOTIFICATION_EVENT failed with " + hex(s) +
                                          " on a buffer allocated WITH_NOTIFICATION (IMiniportWaveRTStreamNotification::"
                                          "RegisterNotificationEvent must accept it)");
    return;
  }
  KSRTAUDIO_HWREGISTER reg{};
  const NTSTATUS reg_status = pin.position_register(&reg);
  const bool have_register = NT_SUCCESS(reg_status);
  if (!have_register && reg_status != STATUS_NOT_SUPPORTED && reg_status != STATUS_NOT_IMPLEMENTED) {
    rec.fail("register.map", "KSPROPERTY_RTAUDIO_POSITIONREGISTER failed with " + hex(reg_status) +
                                 "; GetPositionRegister must succeed or say STATUS_NOT_SUPPORTED");
  }
  if (have_register) {
    const bool width_ok = reg.Width == 32;
    const bool accuracy_ok = reg.Accuracy > 0 && reg.Accuracy < buffer_bytes;
    rec.verdict("register.description", width_ok && accuracy_ok,
                "position register Width " + std::to_string(reg.Width) + " bits, Accuracy " +
                    std::to_string(reg.Accuracy) + " bytes" +
                    (width_ok ? "" : "; a position register must be 32 bits wide (KSRTAUDIO_HWREGISTER.Width)") +
                    (accuracy_ok ? "" : "; Accuracy must be > 0 and less than the buffer"));
  }
  if (NTSTATUS s = pin.set_state(KSSTATE_RUN); !NT_SUCCESS(s)) {
    rec.fail("position.run", "KSSTATE_RUN failed with " + hex(s));
    return;
  }

  // Dense sampling first: how long does the position stand still? 2000 samples 10 us apart.
  double granularity_get_ms = 0, granularity_reg_ms = 0;
  {
    std::uint64_t last_get = ~0ull, last_reg = ~0ull, since_get = 0, since_reg = 0;
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t now = host::now_100ns();
      KSAUDIO_POSITION p{};
      (void)pin.position(&p);
      if (p.PlayOffset != last_get) {
        if (last_get != ~0ull && i > 1) granularity_get_ms = std::max(granularity_get_ms, (now - since_get) / 1e4);
        last_get = p.PlayOffset, since_get = now;
      }
      if (have_register) {
        const std::uint64_t r = read_register(reg);
        if (r != last_reg) {
          if (last_reg != ~0ull && i > 1) granularity_reg_ms = std::max(granularity_reg_ms, (now - since_reg) / 1e4);
          last_reg = r, since_reg = now;
        }
      }
      advance_100ns(100);
    }
  }

  // The KS position test: (QPC, position) pairs for position_seconds.
  const std::size_t pairs = static_cast<std::size_t>(options.position_seconds * 1e7 / options.position_interval_100ns);
  std::vector<double> t_s, frames_get, frames_reg;
  t_s.reserve(pairs), frames_get.reserve(pairs), frames_reg.reserve(pairs);
  Unwrapper unwrap_get(buffer_bytes, frame_bytes), unwrap_reg(buffer_bytes, frame_bytes);
  const std::uint64_t qpc0 = host::qpc_now();
  NTSTATUS position_status = STATUS_SUCCESS;
  for (std::size_t i = 0; i < pairs; ++i) {
    const std::uint64_t before = host::qpc_now();
    KSAUDIO_POSITION p{};
    if (NTSTATUS s = pin.position(&p); !NT_SUCCESS(s)) position_status = s;
    const std::uint64_t reg_value = have_register ? read_register(reg) : 0;
    const std::uint64_t after = host::qpc_now();
    t_s.push_back(((before + after) / 2.0 - qpc0) / host::qpc_frequency());
    frames_get.push_back(unwrap_get.push(p.PlayOffset % buffer_bytes));
    if (have_register) frames_reg.push_back(unwrap_reg.push(reg_value % buffer_bytes));
    advance_100ns(options.position_interval_100ns);
  }
  const std::vector<std::uint64_t> signals = event.times_100ns();
  (void)pin.set_state(KSSTATE_STOP);
  if (!NT_SUCCESS(position_status)) {
    rec.fail("position.request", "KSPROPERTY_AUDIO_POSITION failed with " + hex(position_status) + " while running");
  }

  er->positions.push_back(fit("GetPosition", t_s, frames_get, format.sample_rate_hz, granularity_get_ms));
  if (have_register) er->positions.push_back(fit("register", t_s, frames_reg, format.sample_rate_hz, granularity_reg_ms));
  // A register that moves in steps of its declared Accuracy carries that quantisation noise by
  // construction (a uniform error over one step: step / sqrt(12) sigma, up to one step off); the
  // certification limits apply on top of it. register.accuracy holds the step to its declaration.
  const double accuracy_ms =
      have_register ? reg.Accuracy / static_cast<double>(frame_bytes) / format.sample_rate_hz * 1000.0 : 0.0;
  for (const PositionFigures& f : er->positions) {
    const bool is_register = f.source == "register";
    const double sigma_limit = kMaxPositionSigmaMs + (is_register ? accuracy_ms / std::sqrt(12.0) : 0.0);
    const double deviation_limit = kMaxPositionDeviationMs + (is_register ? accuracy_ms : 0.0);
    const std::string what = is_register ? "the position register" : "KSPROPERTY_AUDIO_POSITION";
    const std::string pre = "position." + std::string(f.source == "register" ? "register." : "get.");
    rec.verdict(pre + "rate", std::fabs(f.rate_error_ppm) <= kMaxRateErrorPpm,
                what + " advances at " + fmt(f.rate_error_ppm) + " ppm from the nominal " +
                    std::to_string(format.sample_rate_hz) + " Hz over " + fmt(f.seconds) + " s (limit " +
                    fmt(kMaxRateErrorPpm) + " ppm): the position must follow the sample clock, frames = elapsed x rate");
    rec.verdict(pre + "noise", f.sigma_ms <= sigma_limit,
                what + " scatters " + fmt(f.sigma_ms) + " ms (sigma) around its least-squares line (limit " +
                    fmt(sigma_limit) + " ms): interpolate the position from the clock between DMA bursts");
    rec.verdict(pre + "deviation", f.max_deviation_ms <= deviation_limit,
                what + " strays up to " + fmt(f.max_deviation_ms) + " ms from its line (limit " +
                    fmt(deviation_limit) + " ms)");
  }
  if (have_register) {
    // The register may move in steps, but no coarser than the Accuracy it declares (+ one sample).
    rec.verdict("register.accuracy", granularity_reg_ms <= accuracy_ms + 0.011,
                "the position register stood still for up to " + fmt(granularity_reg_ms) +
                    " ms; it declares Accuracy " + std::to_string(reg.Accuracy) + " bytes (" + fmt(accuracy_ms) +
                    " ms): update it at least as often as Accuracy promises, or declare the real step");
  }

  // Notification timing.
  NotificationFigures& n = er->notifications;
  n.expected_ms = buffer_bytes / frame_bytes / 2.0 / format.sample_rate_hz * 1000.0;
  for (std::size_t i = 1; i < signals.size(); ++i) n.intervals_ms.push_back((signals[i] - signals[i - 1]) / 1e4);
  n.intervals = n.intervals_ms.size();
  if (n.intervals < 2) {
    rec.fail("notification.period", "only " + std::to_string(signals.size()) + " notifications in " +
                                         fmt(options.position_seconds) + " s of RUN with a " + fmt(n.expected_ms) +
                                         " ms period: signal the event at each buffer/NotificationCount boundary");
    return;
  }
  double sum = 0;
  for (double v : n.intervals_ms) sum += v;
  n.mean_ms = sum / n.intervals;
  double ss = 0;
  for (double v : n.intervals_ms) {
    ss += (v - n.mean_ms) * (v - n.mean_ms);
    n.max_deviation_ms = std::max(n.max_deviation_ms, std::fabs(v - n.expected_ms));
  }
  n.jitter_sigma_ms = std::sqrt(ss / n.intervals);
  const double mean_error_percent = std::fabs(n.mean_ms / n.expected_ms - 1.0) * 100.0;
  rec.verdict("notification.period", mean_error_percent <= kMaxNotificationMeanErrorPercent,
              "events came every " + fmt(n.mean_ms) + " ms on average; buffer / NotificationCount is " +
                  fmt(n.expected_ms) + " ms (" + fmt(mean_error_percent, 3) + " % off, limit " +
                  fmt(kMaxNotificationMeanErrorPercent) + " %)");
  rec.verdict("notification.jitter", n.max_deviation_ms <= kMaxNotificationDeviationMs,
              "event intervals deviate up to " + fmt(n.max_deviation_ms) + " ms (sigma " + fmt(n.jitter_sigma_ms) +
                  " ms) from " + fmt(n.expected_ms) + " ms (limit " + fmt(kMaxNotificationDeviationMs) +
                  " ms): signal at absolute deadlines, not after a fresh timer each time");
}

// ---- Contract ---------------------------------------------------------------------------------------

void contract_buffer(const Endpoint& e, const Format& format, Recorder& rec) {
  Pin pin;
  if (!NT_SUCCESS(pin.open(e, format))) return;
  // 10 ms and one stray byte: not whole frames. The driver must round to whole frames, up.
  const std::uint32_t fb = format.frame_bytes();
  const ULONG requested = format.frames_for_us(10'000) * fb + 1;
  const NTSTATUS s = pin.allocate(requested, 1);
  if (!NT_SUCCESS(s)) {
    rec.fail("contract.buffer", "a buffer of " + std::to_string(requested) + " bytes (not whole " + std::to_string(fb) +
                                    "-byte frames) was refused with " + hex(s) +
                                    "; AllocateBufferWithNotification should round to whole frames");
    return;
  }
  const ULONG actual = pin.buffer().ActualBufferSize;
  std::string problems;
  if (actual % fb != 0) problems += "; it is not whole frames";
  if (actual < requested) problems += "; it is smaller than requested (WASAPI will not use a shorter buffer)";
  // Every byte the driver handed out must be mapped: touch them all.
  auto* base = static_cast<volatile std::uint8_t*>(pin.buffer().BufferAddress);
  for (ULONG i = 0; i < actual; ++i) base[i] = base[i];
  rec.verdict("contract.buffer", problems.empty(),
              "asked for " + std::to_string(requested) + " bytes, got " + std::to_string(actual) + problems);
}

void contract_states(const Endpoint& e, const Format& format, Recorder& rec) {
  Pin pin;
  if (!NT_SUCCESS(pin.open(e, format))) return;
  std::uint32_t frames = format.frames_for_us(20'000);
  frames += frames % 2;
  const std::uint32_t fb = format.frame_bytes();
  if (!NT_SUCCESS(pin.allocate(frames * fb, 2))) return;
  WatchedEvent event;
  if (!NT_SUCCESS(pin.register_event(event.handle()))) return;
  const std::uint64_t period_100ns = std::uint64_t{frames / 2} * 10'000'000 / format.sample_rate_hz;
  auto position = [&] {
    KSAUDIO_POSITION p{~0ull, ~0ull};
    (void)pin.position(&p);
    return p.PlayOffset;
  };
  // STOP, ACQUIRE, PAUSE: nothing moves and nothing is signalled.
  std::string outside;
  for (KSSTATE state : {KSSTATE_STOP, KSSTATE_ACQUIRE, KSSTATE_PAUSE}) {
    const std::size_t before = event.count();  // a signal made inside SetState counts too
    if (NTSTATUS s = pin.set_state(state); !NT_SUCCESS(s)) {
      rec.fail("contract.state_stepping", "setting state " + std::to_string(state) + " failed with " + hex(s));
      return;
    }
    const std::uint64_t pos = position();
    advance_100ns(3 * period_100ns);
    if (event.count() != before) {
      outside += " " + std::to_string(event.count() - before) + " in state " +
                 (state == KSSTATE_STOP ? "STOP" : state == KSSTATE_ACQUIRE ? "ACQUIRE" : "PAUSE") + ";";
    }
    if (position() != pos) {
      rec.fail("contract.position_frozen", "the position moved from " + std::to_string(pos) + " to " +
                                               std::to_string(position()) + " bytes while not in RUN (state " +
                                               std::to_string(state) + "): DMA must run only in RUN");
    }
  }
  // RUN three periods, then PAUSE (the position holds), then more silence.
  const std::size_t event_count_before_run = event.count();
  (void)pin.set_state(KSSTATE_RUN);
  advance_100ns(3 * period_100ns + period_100ns / 2);
  const std::size_t at_pause = event.count();
  const std::size_t in_run = at_pause - event_count_before_run;
  (void)pin.set_state(KSSTATE_PAUSE);
  const std::uint64_t paused = position();
  advance_100ns(3 * period_100ns);
  if (event.count() != at_pause) outside += " " + std::to_string(event.count() - at_pause) + " in PAUSE after RUN;";
  rec.verdict("contract.notification_only_in_run", outside.empty() && in_run >= 3,
              outside.empty() ? std::to_string(in_run) + " notifications in 3.5 periods of RUN, none outside RUN"
                              : "the notification event was signalled outside RUN:" + outside +
                                    " signal only while the stream is in KSSTATE_RUN");
  const std::uint64_t still = position();
  if (still != paused) {
    rec.fail("contract.position_frozen",
             "the position moved in PAUSE (" + std::to_string(paused) + " -> " + std::to_string(still) + " bytes)");
  } else {
    rec.pass("contract.position_frozen", "the position stands still outside RUN");
  }
  // STOP resets the position (and the register) to 0.
  KSRTAUDIO_HWREGISTER reg{};
  const bool have_register = NT_SUCCESS(pin.position_register(&reg));
  (void)pin.set_state(KSSTATE_ACQUIRE);
  (void)pin.set_state(KSSTATE_STOP);
  const std::uint64_t after_stop = position();
  const std::uint32_t reg_after_stop = have_register ? read_register(reg) : 0;
  rec.verdict("contract.stop_resets_position", after_stop == 0 && reg_after_stop == 0,
              "after RUN -> STOP the position is " + std::to_string(after_stop) + " bytes" +
                  (have_register ? " and the register " + std::to_string(reg_after_stop) : std::string()) +
                  "; KSSTATE_STOP must reset the DMA position to 0");
}

void contract_packets(const Endpoint& e, const Format& format, Recorder& rec) {
  if (e.direction != Direction::Render) return;
  Pin pin;
  if (!NT_SUCCESS(pin.open(e, format))) return;
  std::uint32_t frames = format.frames_for_us(20'000);
  frames += frames % 2;
  if (!NT_SUCCESS(pin.allocate(frames * format.frame_bytes(), 2))) return;
  ULONG count = ~0u;
  const NTSTATUS s = pin.packet_count(&count);
  if (s == STATUS_NOT_SUPPORTED || s == STATUS_NOT_IMPLEMENTED || s == STATUS_INVALID_DEVICE_REQUEST) {
    rec.pass("packet.counters", "no packet mode (KSPROPERTY_RTAUDIO_PACKETCOUNT: " + hex(s) + "): not applicable");
    return;
  }
  const std::uint64_t period_100ns = std::uint64_t{frames / 2} * 10'000'000 / format.sample_rate_hz;
  std::string problems;
  if (!NT_SUCCESS(s) || count != 0) problems += " PACKETCOUNT before RUN is " + std::to_string(count) + " (" + hex(s) + "), not 0;";
  // Prime packet 0 in STOP, run 3.5 periods: 3 packets are complete.
  if (NTSTATUS w = pin.set_write_packet(0); w != STATUS_SUCCESS) problems += " SETWRITEPACKET(0) before RUN: " + hex(w) + ";";
  (void)pin.set_state(KSSTATE_RUN);
  advance_100ns(3 * period_100ns + period_100ns / 2);
  (void)pin.packet_count(&count);
  if (count != 3) problems += " PACKETCOUNT after 3.5 periods is " + std::to_string(count) + ", not 3;";
  // Packet 1 is long gone: too late.
  if (NTSTATUS w = pin.set_write_packet(1); w != STATUS_DATA_LATE_ERROR)
    problems += " a late SETWRITEPACKET returned " + hex(w) + ", not STATUS_DATA_LATE_ERROR;";
  // Packet count + 5 is too early.
  if (NTSTATUS w = pin.set_write_packet(count + 5); w != STATUS_DATA_OVERRUN)
    problems += " an early SETWRITEPACKET returned " + hex(w) + ", not STATUS_DATA_OVERRUN;";
  (void)pin.set_state(KSSTATE_STOP);
  count = ~0u;
  (void)pin.packet_count(&count);
  if (count != 0) problems += " PACKETCOUNT after STOP is " + std::to_string(count) + ", not 0 (STOP resets the count);";
  rec.verdict("packet.counters", problems.empty(),
              problems.empty() ? "PACKETCOUNT 0 -> 3 -> 0 over STOP/RUN/STOP; late and early SETWRITEPACKET refused "
                                 "with DATA_LATE_ERROR / DATA_OVERRUN"
                               : "IMiniportWaveRTOutputStream:" + problems);
}

// KSPROPERTY_PIN_CINSTANCES.PossibleCount of the endpoint's pin.
NTSTATUS possible_instances(const Endpoint& e, ULONG* possible) {
  detail::ks::Handle filter;
  if (NTSTATUS s = detail::ks::open_filter(e.symbolic_link, &filter); !NT_SUCCESS(s)) return s;
  KSP_PIN p{};
  p.Property = detail::property(KSPROPSETID_Pin, KSPROPERTY_PIN_CINSTANCES, KSPROPERTY_TYPE_GET);
  p.PinId = e.pin_id;
  KSPIN_CINSTANCES inst{};
  const NTSTATUS s =
      detail::ks::device_io_control(filter, IOCTL_KS_PROPERTY, detail::in_bytes(p), detail::out_bytes(inst)).status;
  (void)detail::ks::close(filter);
  *possible = inst.PossibleCount;
  return s;
}

// Opens `count` pins side by side, each with a 20 ms buffer, into `pins`; "" when all of them
// opened, else what went wrong.
std::string open_concurrently(const Endpoint& e, const Format& format, ULONG count, ULONG possible,
                              std::vector<std::unique_ptr<Pin>>& pins) {
  for (ULONG i = 0; i < count; ++i) {
    auto pin = std::make_unique<Pin>();
    if (NTSTATUS c = pin->open(e, format); !NT_SUCCESS(c))
      return "instance " + std::to_string(i + 1) + " of the " + std::to_string(possible) +
             " the pin declares (PCPIN_DESCRIPTOR.MaxGlobalInstanceCount) was refused with " + hex(c);
    if (NTSTATUS a = pin->allocate(format.frames_for_us(10'000) * 2 * format.frame_bytes(), 2); !NT_SUCCESS(a))
      return "instance " + std::to_string(i + 1) + " could not allocate its buffer: " + hex(a);
    pins.push_back(std::move(pin));
  }
  return "";
}

// The most pins a check opens at once: enough for any real device, cheap for a huge declaration.
constexpr ULONG kMaxConcurrentPins = 64;

void contract_close_in_every_state(const Endpoint& e, const Format& format, Recorder& rec) {
  std::string problems;
  const std::size_t handles = detail::ks::open_handle_count();
  // A pin closed straight after creation, before it had a buffer: the stream goes from NewStream
  // to its last Release with no FreeAudioBuffer in between.
  {
    Pin pin;
    if (!NT_SUCCESS(pin.open(e, format))) return;
    if (NTSTATUS s = pin.close(); s != STATUS_SUCCESS)
      problems += " close before a buffer was allocated returned " + hex(s) + ";";
  }
  for (KSSTATE state : {KSSTATE_STOP, KSSTATE_ACQUIRE, KSSTATE_PAUSE, KSSTATE_RUN}) {
    WatchedEvent event;
    std::size_t at_close = 0;
    {
      Pin pin;
      if (!NT_SUCCESS(pin.open(e, format))) return;
      std::uint32_t frames = format.frames_for_us(10'000);
      frames += frames % 2;
      if (!NT_SUCCESS(pin.allocate(frames * format.frame_bytes(), 2))) return;
      (void)pin.register_event(event.handle());
      if (state != KSSTATE_STOP) (void)pin.set_state(KSSTATE_ACQUIRE);
      if (state == KSSTATE_PAUSE || state == KSSTATE_RUN) (void)pin.set_state(KSSTATE_PAUSE);
      if (state == KSSTATE_RUN) (void)pin.set_state(KSSTATE_RUN);
      advance_100ns(150'000);
      at_close = event.count();
      if (NTSTATUS s = pin.close(); s != STATUS_SUCCESS)
        problems += " close in state " + std::to_string(state) + " returned " + hex(s) + ";";
    }
    advance_100ns(300'000);
    if (event.count() != at_close)
      problems += " the event was signalled after the pin was closed in state " + std::to_string(state) + ";";
  }
  if (detail::ks::open_handle_count() != handles) problems += " handles leaked;";
  // Whatever the closed streams held (a DMA engine, a slot in a table) must be free again: every
  // instance the pin declares opens once more.
  ULONG possible = 0;
  if (NT_SUCCESS(possible_instances(e, &possible))) {
    std::vector<std::unique_ptr<Pin>> pins;
    if (std::string refused = open_concurrently(e, format, std::min(possible, kMaxConcurrentPins), possible, pins);
        !refused.empty())
      problems += " after those five closes, " + refused +
                  ": a closed stream must give back everything it took in NewStream, whichever state and whether or "
                  "not it had a buffer;";
  }
  rec.verdict("contract.close_in_every_state", problems.empty(),
              problems.empty() ? "pins close cleanly before a buffer and from STOP, ACQUIRE, PAUSE and RUN, and give "
                                 "back their instance"
                               : "pin close:" + problems);
}

void contract_instances(const Endpoint& e, const Format& format, Recorder& rec) {
  ULONG possible = 0;
  if (NTSTATUS s = possible_instances(e, &possible); !NT_SUCCESS(s)) {
    rec.fail("contract.instances", "KSPROPERTY_PIN_CINSTANCES failed with " + hex(s));
    return;
  }
  const ULONG want = std::min(possible, kMaxConcurrentPins);
  std::vector<std::unique_ptr<Pin>> pins;
  std::string problem = open_concurrently(e, format, want, possible, pins);
  if (problem.empty() && possible <= kMaxConcurrentPins) {
    Pin extra;
    if (NT_SUCCESS(extra.open(e, format)))
      problem = "a pin beyond PossibleCount " + std::to_string(possible) + " was created";
  }
  rec.verdict("contract.instances", problem.empty(),
              problem.empty() ? std::to_string(want) + " concurrent instances open, as declared" : problem);
}

void contract_formats(const Options& options, const Endpoint& e, Recorder& rec) {
  std::vector<Format> formats = e.formats();
  if (formats.size() > options.max_formats) formats.resize(options.max_formats);
  std::string refused;
  std::size_t refused_count = 0;
  for (const Format& f : formats) {
    Pin pin;
    const NTSTATUS s = pin.open(e, f);
    if (!NT_SUCCESS(s)) {
      if (refused_count++ < 3) refused += " " + f.to_string() + " (" + hex(s) + ");";
      continue;
    }
    // A pin that opened must also take a buffer in its format.
    if (NTSTATUS a = pin.allocate(f.frames_for_us(10'000) * 2 * f.frame_bytes(), 2); !NT_SUCCESS(a)) {
      if (refused_count++ < 3) refused += " " + f.to_string() + " buffer (" + hex(a) + ");";
    }
    // A client range that admits exactly this format (up to its channel count) must get a format
    // inside it from data intersection: this rate, this sample type and size, no more channels.
    Format answer;
    const Status n = client::negotiate(e, f, &answer);
    const bool inside = n && answer.sample_rate_hz == f.sample_rate_hz && answer.sample_type == f.sample_type &&
                        answer.container_bits == f.container_bits && answer.channels <= f.channels;
    if (!inside && refused_count++ < 3)
      refused += " KSPROPERTY_PIN_DATAINTERSECTION for exactly " + f.to_string() + " " +
                 (n ? "answered " + answer.to_string() : "failed: " + n.message()) + ";";
  }
  rec.verdict("contract.format_acceptance", refused_count == 0,
              refused_count == 0
                  ? "all " + std::to_string(formats.size()) +
                        " formats the data ranges admit open, and data intersection offers each of them"
                  : std::to_string(refused_count) + " of " + std::to_string(formats.size()) +
                        " formats the data ranges admit were refused or not offered, e.g." + refused +
                        " NewStream and DataRangeIntersection must accept every format the KSDATARANGE_AUDIOs "
                        "declare, or the ranges must not declare it");
  // Rejection: one step outside every range, by pin creation and by data intersection. The port
  // may screen pin creation itself, but KSPROPERTY_PIN_DATAINTERSECTION goes to the miniport's
  // DataRangeIntersection first, and its answer is what a client then opens.
  std::string accepted, answered;
  for (const client::FormatRange& r : e.ranges) {
    Format outside = r.sample_type == client::SampleType::Float ? Format::float32(r.max_rate_hz + 1, 2)
                                                                : Format::pcm16(r.max_rate_hz + 1, 2);
    if (e.supports(outside)) continue;
    Pin pin;
    if (NT_SUCCESS(pin.open(e, outside))) accepted += " " + outside.to_string() + ";";
    Format answer;
    if (client::negotiate(e, outside, &answer))
      answered += " a client range admitting only " + outside.to_string() + " got " + answer.to_string() + ";";
  }
  std::string problems;
  if (!accepted.empty()) problems += " formats outside every data range were accepted:" + accepted;
  if (!answered.empty())
    problems += " KSPROPERTY_PIN_DATAINTERSECTION answered with a format although the ranges do not meet:" + answered +
                " DataRangeIntersection must return a format inside both the client's range and the pin's, or "
                "STATUS_NO_MATCH";
  rec.verdict("contract.format_rejection", problems.empty(),
              problems.empty() ? "formats outside the data ranges are refused, by pin creation and by data intersection"
                               : problems.substr(1));
}

// ---- Zero-glitch: a frame counter in the samples, checked where the audio comes back ----------------

// Stream 0 renders a counter n = 1, 2, ...: left = n & 0x7FFF, right = (n >> 15) & 0x7FFF (never
// negative, so any mixer that adds silence leaves it exact). The other render streams render
// silence. Every capture stream that hears the counter checks it steps by one, frame by frame.
void zero_glitch(const Options& options, const std::vector<Endpoint>& all, Report* report) {
  Recorder rec(report, "");
  GlitchFigures& g = report->glitch;
  g.render_streams = options.glitch_render_streams;
  g.capture_streams = options.glitch_capture_streams;
  g.busy_cores = options.busy_cores;
  std::vector<const Endpoint*> renders, captures;
  const Format format = Format::pcm16(48'000, 2);
  for (const Endpoint& e : all) (e.direction == Direction::Render ? renders : captures).push_back(&e);
  std::erase_if(renders, [&](const Endpoint* e) { return !e->supports(format); });
  std::erase_if(captures, [&](const Endpoint* e) { return !e->supports(format); });
  if (renders.empty() || captures.empty()) {
    rec.fail("zero_glitch", "needs a render and a capture endpoint that take " + format.to_string());
    return;
  }
  std::atomic<bool> stop_spinning{false};
  std::vector<std::thread> spinners;
  if (options.busy_cores) {
    for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i)
      spinners.emplace_back([&] {
        volatile std::uint64_t x = 0;
        while (!stop_spinning.load(std::memory_order_relaxed)) x = x + 1;
      });
  }
  client::StreamConfig config{format, options.glitch_buffer_duration_us, client::Mode::Event};
  std::vector<client::RenderStream> render(options.glitch_render_streams);
  std::vector<client::CaptureStream> capture(options.glitch_capture_streams);
  std::string problems;
  for (std::size_t i = 0; i < render.size(); ++i)
    if (Status s = render[i].open(*renders[i % renders.size()], config); !s) problems += " " + s.message() + ";";
  for (std::size_t i = 0; i < capture.size(); ++i)
    if (Status s = capture[i].open(*captures[i % captures.size()], config); !s) problems += " " + s.message() + ";";
  if (!problems.empty()) {
    stop_spinning = true;
    for (auto& t : spinners) t.join();
    rec.fail("zero_glitch", "could not open the streams:" + problems);
    return;
  }
  std::uint64_t next_counter = 1;
  std::vector<std::int16_t> frames(2 * 48'000);
  auto fill = [&](client::RenderStream& s, bool counter) {
    std::uint32_t room = 0;
    if (!s.writable_frames(&room) || room == 0) return;
    room = std::min<std::uint32_t>(room, 48'000);
    for (std::uint32_t f = 0; f < room; ++f) {
      const std::uint64_t n = counter ? next_counter + f : 0;
      frames[2 * f] = static_cast<std::int16_t>(n & 0x7FFF);
      frames[2 * f + 1] = static_cast<std::int16_t>((n >> 15) & 0x7FFF);
    }
    std::uint32_t written = 0;
    (void)s.write(std::as_bytes(std::span(frames.data(), 2 * room)), &written);
    if (counter) next_counter += written;
  };
  for (std::size_t i = 0; i < render.size(); ++i) fill(render[i], i == 0);
  for (auto& s : render) (void)s.start();
  for (auto& s : capture) (void)s.start();
  std::vector<std::uint64_t> last(capture.size(), 0);
  std::vector<std::int16_t> in(2 * 48'000);
  const std::uint64_t end = host::now_100ns() + static_cast<std::uint64_t>(options.glitch_seconds * 1e7);
  const std::uint64_t step_100ns = options.glitch_buffer_duration_us * 10 / 4;  // a quarter buffer
  while (host::now_100ns() < end) {
    for (std::size_t i = 0; i < render.size(); ++i) fill(render[i], i == 0);
    for (std::size_t c = 0; c < capture.size(); ++c) {
      std::uint32_t got = 0;
      if (!capture[c].read(std::as_writable_bytes(std::span(in)), &got)) continue;
      for (std::uint32_t f = 0; f < got; ++f) {
        const std::uint64_t v = static_cast<std::uint16_t>(in[2 * f]) | (std::uint64_t(static_cast<std::uint16_t>(in[2 * f + 1])) << 15);
        if (last[c] == 0) {
          if (v != 0) last[c] = v;
          continue;
        }
        ++g.frames_checked;
        if (v != last[c] + 1) ++g.discontinuities;
        last[c] = v;
      }
    }
    // Simulated time: moves the machine on; real time: a sleep during which the host runs.
    host::run_for(std::chrono::nanoseconds(step_100ns * 100));
  }
  for (auto& s : capture) (void)s.stop();
  for (auto& s : render) {
    g.client_glitches += s.glitches().count;
    s.close();
  }
  for (auto& s : capture) {
    g.client_glitches += s.glitches().count;
    s.close();
  }
  stop_spinning = true;
  for (auto& t : spinners) t.join();
  g.seconds = options.glitch_seconds;
  const std::size_t hearing = static_cast<std::size_t>(std::count_if(last.begin(), last.end(), [](std::uint64_t v) { return v != 0; }));
  std::string what = std::to_string(g.render_streams) + " render + " + std::to_string(g.capture_streams) +
                     " capture streams for " + fmt(g.seconds) + " s" + (g.busy_cores ? " with every core busy" : "") +
                     ": " + std::to_string(hearing) + " capture streams heard the render counter, " +
                     std::to_string(g.frames_checked) + " frames checked, " + std::to_string(g.discontinuities) +
                     " discontinuities (the client counted " + std::to_string(g.client_glitches) + " glitches)";
  if (hearing == 0) {
    rec.fail("zero_glitch", what + "; no capture endpoint returns the render output (a loopback pin, or a "
                                   "microphone fed from the speaker), so the counter could not be checked");
  } else {
    rec.verdict("zero_glitch", g.discontinuities == 0,
                what + (g.discontinuities == 0 ? "" : ": frames were lost or repeated on the way (render underrun "
                                                      "or capture overrun)"));
  }
}

}  // namespace

bool Report::passed() const { return failures() == 0 && !checks.empty(); }
std::size_t Report::failures() const {
  return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(), [](const Check& c) { return !c.passed; }));
}
const Check* Report::failed(const std::string& name) const {
  for (const Check& c : checks)
    if (!c.passed && c.name == name) return &c;
  return nullptr;
}

Status run(const Options& options, Report* out) {
  *out = Report{};
  out->clock = host::clock_kind() == host::ClockKind::Simulated ? "simulated" : "real";
  std::vector<Endpoint> all;
  if (Status s = client::enumerate_endpoints(&all); !s) return s;
  if (all.empty()) return Status::failure(STATUS_NOT_FOUND, "conformance: no WaveRT endpoints are loaded");
  std::vector<Endpoint> selected;
  if (options.endpoint == "all") {
    selected = all;
  } else {
    Endpoint e;
    if (Status s = client::find_endpoint(options.endpoint, &e); !s) return s;
    selected.push_back(e);
  }
  for (const Endpoint& e : options.endpoint_checks ? selected : std::vector<Endpoint>{}) {
    EndpointReport er;
    er.name = e.name;
    er.direction = e.direction;
    Format format;
    Recorder rec(out, e.name);
    if (!pick_format(e, options.sample_rate_hz, &format)) {
      rec.fail("contract.format_acceptance",
               "the pin's data ranges admit no standard PCM or float format" +
                   (options.sample_rate_hz != 0 ? " at " + std::to_string(options.sample_rate_hz) + " Hz" : ""));
      out->endpoints.push_back(std::move(er));
      continue;
    }
    er.format = format.to_string();
    contract_formats(options, e, rec);
    contract_instances(e, format, rec);
    contract_buffer(e, format, rec);
    contract_states(e, format, rec);
    contract_packets(e, format, rec);
    contract_close_in_every_state(e, format, rec);
    position_and_notifications(options, e, format, out, &er);
    out->endpoints.push_back(std::move(er));
  }
  if (options.zero_glitch) zero_glitch(options, all, out);
  return Status::success();
}

}  // namespace wavert::conformance
