// Render -> loopback and speaker -> cable -> microphone are bit-exact, for every format the device
// takes: 8, 16, 24, 24-in-32, 32-bit PCM and 32-bit float, 1..8 channels, 44.1 and 48 kHz.
//
// One run per format: the microphone hears the speaker ("cable"); a loopback capture and a
// microphone capture start first, then a render stream plays a pseudo-random signal through the
// client API (event mode, 20 ms buffer) and drains. Both captures must contain the signal byte for
// byte, after the silence that precedes it.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "wavert/client/stream.hpp"

namespace {

using wavert::client::CaptureStream;
using wavert::client::Endpoint;
using wavert::client::Format;
using wavert::client::RenderStream;
using wavert::client::SampleType;
using wavert::client::StreamConfig;

enum class Kind { Pcm8, Pcm16, Pcm24, Pcm24in32, Pcm32, Float32 };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Pcm8: return "pcm8";
    case Kind::Pcm16: return "pcm16";
    case Kind::Pcm24: return "pcm24";
    case Kind::Pcm24in32: return "pcm24in32";
    case Kind::Pcm32: return "pcm32";
    case Kind::Float32: return "float32";
  }
  return "?";
}

Format make_format(Kind k, std::uint32_t rate, std::uint16_t channels) {
  switch (k) {
    case Kind::Pcm8: return Format::pcm8(rate, channels);
    case Kind::Pcm16: return Format::pcm16(rate, channels);
    case Kind::Pcm24: return Format::pcm24(rate, channels);
    case Kind::Pcm24in32: return Format::pcm24in32(rate, channels);
    case Kind::Pcm32: return Format::pcm32(rate, channels);
    case Kind::Float32: return Format::float32(rate, channels);
  }
  return {};
}

// A signal every format carries exactly: random samples at the format's own precision (24-in-32
// has its low byte zero; float holds 24-bit fractions in [-1, 1)), and no sample that is silence,
// so the start of the signal is unambiguous in a capture.
std::vector<std::byte> make_signal(const Format& f, std::uint32_t frames, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::uint32_t samples = frames * f.channels;
  const std::uint32_t bytes_per_sample = f.container_bits / 8u;
  std::vector<std::byte> out(std::size_t{samples} * bytes_per_sample);
  for (std::uint32_t s = 0; s < samples; ++s) {
    std::byte* at = out.data() + std::size_t{s} * bytes_per_sample;
    if (f.sample_type == SampleType::Float) {
      std::int32_t v = static_cast<std::int32_t>(rng() % (1u << 24)) - (1 << 23);
      if (v == 0) v = 1;
      const float x = static_cast<float>(v) / static_cast<float>(1 << 23);
      std::memcpy(at, &x, 4);
      continue;
    }
    std::uint32_t v = rng();
    if (f.container_bits == 32 && f.valid_bits == 24) v &= 0xFFFFFF00u;
    const std::uint32_t silence = f.container_bits == 8 ? 0x80u : 0u;
    const std::uint32_t mask = f.container_bits == 32 ? 0xFFFFFFFFu : (1u << f.container_bits) - 1;
    if ((v & mask) == silence) v ^= f.container_bits == 32 && f.valid_bits == 24 ? 0x100u : 1u;
    std::memcpy(at, &v, bytes_per_sample);
  }
  return out;
}

// Index of the first byte of the first frame in `captured` that is not all silence, or npos.
std::size_t first_sound(const std::vector<std::byte>& captured, const Format& f) {
  const std::byte silence{static_cast<unsigned char>(f.container_bits == 8 ? 0x80 : 0)};
  const std::size_t frame = f.frame_bytes();
  for (std::size_t at = 0; at + frame <= captured.size(); at += frame) {
    for (std::size_t b = 0; b < frame; ++b) {
      if (captured[at + b] != silence) return at;
    }
  }
  return std::string::npos;
}

// Where the rendered signal sits in a capture: capture_offset is the capture's first sound, and
// signal_offset the signal byte found there (0 unless the signal's start went missing).
struct Match {
  std::size_t capture_offset = 0;
  std::size_t signal_offset = 0;
};

bool locate(const std::vector<std::byte>& captured, const std::vector<std::byte>& signal, const Format& f,
            Match* out) {
  const std::size_t start = first_sound(captured, f);
  if (start == std::string::npos) {
    ADD_FAILURE() << "captured only silence";
    return false;
  }
  // 32 frames of random samples identify a place in the signal.
  const std::size_t probe = std::min<std::size_t>(32 * f.frame_bytes(), captured.size() - start);
  const auto head = captured.begin() + static_cast<std::ptrdiff_t>(start);
  const auto at = std::search(signal.begin(), signal.end(), head, head + static_cast<std::ptrdiff_t>(probe));
  if (at == signal.end()) {
    ADD_FAILURE() << "the capture's first sound (byte " << start << ") is nowhere in the signal";
    return false;
  }
  out->capture_offset = start;
  out->signal_offset = static_cast<std::size_t>(at - signal.begin());
  return true;
}

struct Param {
  Kind kind;
  std::uint32_t rate;
  std::uint16_t channels;
};

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return std::string(kind_name(info.param.kind)) + "_" + std::to_string(info.param.rate) + "_" +
         std::to_string(info.param.channels) + "ch";
}

class BitExact : public driver_test::DriverTest, public ::testing::WithParamInterface<Param> {
 protected:
  void SetUpParameters() override {
    wavert::host::registry::set_string(driver_test::kParametersKey, "MicrophoneSource", "cable");
  }
};

TEST_P(BitExact, RenderReachesLoopbackAndCableMicrophoneUnchanged) {
  const Format format = make_format(GetParam().kind, GetParam().rate, GetParam().channels);
  Endpoint speaker, loopback, microphone;
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Speaker", &speaker)));
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Loopback", &loopback)));
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Microphone", &microphone)));

  const std::uint32_t signal_frames = format.frames_for_us(60'000);
  const std::uint32_t capture_frames = format.frames_for_us(160'000);
  const std::vector<std::byte> signal = make_signal(format, signal_frames, GetParam().rate + GetParam().channels);
  // The client's drain() stops once the position register (LPIB: the DMA position) passes the
  // end of its data, while the FIFO still holds up to FifoSize bytes the DAC has not played. So
  // the stream plays 10 ms of silence after the signal, and the signal itself plays whole.
  std::vector<std::byte> played = signal;
  played.resize(signal.size() + std::size_t{format.frames_for_us(10'000)} * format.frame_bytes(),
                std::byte{static_cast<unsigned char>(format.container_bits == 8 ? 0x80 : 0)});

  CaptureStream loop_capture, mic_capture;
  ASSERT_TRUE(driver_test::Ok(loop_capture.open(loopback, StreamConfig{format})));
  ASSERT_TRUE(driver_test::Ok(mic_capture.open(microphone, StreamConfig{format})));
  RenderStream render;
  ASSERT_TRUE(driver_test::Ok(render.open(speaker, StreamConfig{format})));
  ASSERT_TRUE(driver_test::Ok(loop_capture.start()));
  ASSERT_TRUE(driver_test::Ok(mic_capture.start()));

  std::vector<std::byte> from_loopback(std::size_t{capture_frames} * format.frame_bytes());
  std::vector<std::byte> from_microphone(from_loopback.size());
  wavert::client::Status loop_status, mic_status;
  wavert::host::HostThread loop_thread("loopback", [&] { loop_status = loop_capture.read_all(from_loopback); });
  wavert::host::HostThread mic_thread("microphone", [&] { mic_status = mic_capture.read_all(from_microphone); });
  ASSERT_TRUE(driver_test::Ok(render.write_all(std::span<const std::byte>(played))));
  ASSERT_TRUE(driver_test::Ok(render.drain()));
  loop_thread.join();
  mic_thread.join();
  ASSERT_TRUE(driver_test::Ok(loop_status));
  ASSERT_TRUE(driver_test::Ok(mic_status));
  EXPECT_EQ(render.glitches().count, 0u);
  EXPECT_EQ(loop_capture.glitches().count, 0u);
  EXPECT_EQ(mic_capture.glitches().count, 0u);

  for (const auto* captured : {&from_loopback, &from_microphone}) {
    const char* what = captured == &from_loopback ? "loopback" : "microphone";
    SCOPED_TRACE(what);
    Match m;
    ASSERT_TRUE(locate(*captured, signal, format, &m));
    // Startup: the signal's first frames are in the capture too (see RenderStartLosesNoFrames).
    EXPECT_LE(m.signal_offset, std::size_t{format.frames_for_us(1'000) + 1} * format.frame_bytes())
        << "more than an engine tick of the signal's start is missing";
    const auto from = captured->begin() + static_cast<std::ptrdiff_t>(m.capture_offset);
    const auto rest = signal.size() - m.signal_offset;
    ASSERT_LE(m.capture_offset + rest, captured->size()) << "capture ended inside the signal";
    const auto mismatch = std::mismatch(signal.begin() + static_cast<std::ptrdiff_t>(m.signal_offset), signal.end(), from);
    EXPECT_TRUE(mismatch.first == signal.end())
        << "differs from what was rendered at signal byte " << (mismatch.first - signal.begin()) << " of "
        << signal.size() << " (signal found from byte " << m.signal_offset << " at capture byte " << m.capture_offset
        << ")" << [&] {
             std::string d = "\n signal:";
             char buf[8];
             const std::size_t at = static_cast<std::size_t>(mismatch.first - signal.begin());
             for (std::size_t b = at; b < at + 24 && b < signal.size(); ++b) { std::snprintf(buf, sizeof buf, " %02x", unsigned(signal[b])); d += buf; }
             d += "\n capture:";
             for (std::size_t b = at; b < at + 24 && b < signal.size(); ++b) { std::snprintf(buf, sizeof buf, " %02x", unsigned(*(from + static_cast<std::ptrdiff_t>(b - m.signal_offset)))); d += buf; }
             d += "\n mismatching frames:";
             const std::size_t fb = format.frame_bytes();
             int shown = 0;
             for (std::size_t b = m.signal_offset; b + fb <= signal.size() && shown < 20; b += fb) {
               if (!std::equal(signal.begin() + b, signal.begin() + b + fb, from + (b - m.signal_offset))) { d += " " + std::to_string(b / fb); ++shown; }
             }
             return d;
           }();
    // After the signal the speaker is silent again (the render stream drained and stopped).
    const std::vector<std::byte> after(from + static_cast<std::ptrdiff_t>(rest), captured->end());
    EXPECT_EQ(first_sound(after, format), std::string::npos) << "sound after the signal";
  }
}

// The render stream's first frame reaches the speaker output: no frame between RUN and the first
// DMA fetch is replaced by silence.
class RenderStart : public driver_test::DriverTest {
 protected:
  void SetUpParameters() override {
    wavert::host::registry::set_string(driver_test::kParametersKey, "MicrophoneSource", "cable");
  }
};

TEST_F(RenderStart, RenderStartLosesNoFrames) {
  const Format format = Format::pcm16(48'000, 2);
  wavert::host::run_for(std::chrono::microseconds(10'500));  // start between engine ticks, not at boot
  Endpoint speaker, loopback;
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Speaker", &speaker)));
  ASSERT_TRUE(driver_test::Ok(wavert::client::find_endpoint("Loopback", &loopback)));
  std::vector<std::byte> signal = make_signal(format, format.frames_for_us(40'000), 7);
  CaptureStream capture;
  ASSERT_TRUE(driver_test::Ok(capture.open(loopback, StreamConfig{format})));
  RenderStream render;
  ASSERT_TRUE(driver_test::Ok(render.open(speaker, StreamConfig{format})));
  ASSERT_TRUE(driver_test::Ok(capture.start()));
  std::vector<std::byte> captured(std::size_t{format.frames_for_us(100'000)} * format.frame_bytes());
  wavert::client::Status status;
  wavert::host::HostThread reader("loopback", [&] { status = capture.read_all(captured); });
  std::vector<std::byte> played = signal;
  played.resize(signal.size() + std::size_t{format.frames_for_us(10'000)} * format.frame_bytes());  // see BitExact
  ASSERT_TRUE(driver_test::Ok(render.write_all(std::span<const std::byte>(played))));
  ASSERT_TRUE(driver_test::Ok(render.drain()));
  reader.join();
  ASSERT_TRUE(driver_test::Ok(status));
  Match m;
  ASSERT_TRUE(locate(captured, signal, format, &m));
  EXPECT_EQ(m.signal_offset / format.frame_bytes(), 0u) << "frames of the signal's start replaced by silence";
}

std::vector<Param> all_formats() {
  std::vector<Param> out;
  for (Kind k : {Kind::Pcm8, Kind::Pcm16, Kind::Pcm24, Kind::Pcm24in32, Kind::Pcm32, Kind::Float32}) {
    for (std::uint32_t rate : {44'100u, 48'000u}) {
      for (std::uint16_t channels = 1; channels <= 8; ++channels) out.push_back({k, rate, channels});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, BitExact, ::testing::ValuesIn(all_formats()), param_name);

}  // namespace
