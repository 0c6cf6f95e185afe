// Format: one PCM or IEEE-float wave format as a value, and its two wire forms
// (KSDATAFORMAT + WAVEFORMATEXTENSIBLE for pin creation; WAVEFORMATEX / EXTENSIBLE for parsing
// what a driver answers).
//
// Sample types the client speaks: integer PCM in 8, 16, 24, 32-bit containers (24 valid bits in a
// 32-bit container is "24-in-32"), and 32-bit float; 1 to 8 channels with the standard Windows
// speaker masks (mono, stereo, 2.1 / 3.0, quad, 5.0, 5.1, 6.1, 7.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wavert/client/status.hpp"

namespace wavert::client {

enum class SampleType : std::uint8_t {
  Int,    // KSDATAFORMAT_SUBTYPE_PCM: signed (unsigned for 8-bit), little endian
  Float,  // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT: 32-bit, nominal range [-1, 1]
};

// The KSAUDIO_SPEAKER_* mask Windows uses for `channels` (1..8); 0 for other counts.
std::uint32_t standard_channel_mask(std::uint32_t channels);

struct Format {
  SampleType sample_type = SampleType::Int;
  std::uint32_t sample_rate_hz = 48'000;
  std::uint16_t channels = 2;
  std::uint16_t container_bits = 16;  // wBitsPerSample: bits each sample occupies
  std::uint16_t valid_bits = 16;      // wValidBitsPerSample: bits of precision (<= container)
  std::uint32_t channel_mask = 0x3;   // dwChannelMask

  // Standard formats with the standard channel mask.
  static Format pcm8(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Int, rate_hz, channels, 8, 8); }
  static Format pcm16(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Int, rate_hz, channels, 16, 16); }
  static Format pcm24(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Int, rate_hz, channels, 24, 24); }
  static Format pcm24in32(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Int, rate_hz, channels, 32, 24); }
  static Format pcm32(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Int, rate_hz, channels, 32, 32); }
  static Format float32(std::uint32_t rate_hz, std::uint16_t channels) { return make(SampleType::Float, rate_hz, channels, 32, 32); }
  static Format make(SampleType type, std::uint32_t rate_hz, std::uint16_t channels, std::uint16_t container_bits,
                     std::uint16_t valid_bits) {
    return Format{type, rate_hz, channels, container_bits, valid_bits, standard_channel_mask(channels)};
  }

  std::uint32_t frame_bytes() const { return static_cast<std::uint32_t>(channels) * (container_bits / 8u); }
  std::uint32_t bytes_per_second() const { return sample_rate_hz * frame_bytes(); }
  // Frames in `duration_us` microseconds, rounded up (a buffer is never shorter than asked).
  std::uint32_t frames_for_us(std::uint64_t duration_us) const;

  // Checks the rules above: 1..8 channels, a supported (type, container, valid) triple, a mask
  // with no more bits than channels, 1 Hz .. 1 MHz.
  Status validate() const;

  // KSDATAFORMAT_WAVEFORMATEXTENSIBLE (104 bytes) for KSPIN_CONNECT. The format must validate.
  std::vector<std::byte> to_ks_data_format() const;
  // Parses a KSDATAFORMAT followed by WAVEFORMATEX or WAVEFORMATEXTENSIBLE (what DATAINTERSECTION
  // and CONNECTION_DATAFORMAT return); a plain WAVEFORMATEX gets the standard mask.
  static Status from_ks_data_format(std::span<const std::byte> bytes, Format* out);

  // "48000 Hz 2 ch int16", "44100 Hz 6 ch int24in32", "96000 Hz 1 ch float32".
  std::string to_string() const;

  friend bool operator==(const Format&, const Format&) = default;
};

}  // namespace wavert::client
