// The format of one stream's samples, as the driver uses it internally.
//
// Built from the client's WAVEFORMATEX / WAVEFORMATEXTENSIBLE by the wave miniport
// (wave/format.h validates and converts); programmed into the stream descriptor's FMT register
// by the controller; used by the codec stage to decode and encode samples.
#pragma once

#include <ntddk.h>

namespace wavert {

enum class SampleType : UCHAR {
  Pcm,    // signed integers (unsigned for 8-bit containers), little-endian
  Float,  // IEEE 754 binary32
};

struct StreamFormat {
  SampleType type = SampleType::Pcm;
  UCHAR channels = 0;         // 1..8
  UCHAR container_bits = 0;   // 8, 16, 24 (packed), 32
  UCHAR valid_bits = 0;       // <= container_bits; 24 in a 32-bit container for "24-in-32"
  ULONG rate_hz = 0;          // 8000..192000
  ULONG channel_mask = 0;     // KSAUDIO_SPEAKER_* (SPEAKER_* bits); standard mask for the count

  ULONG block_align() const { return static_cast<ULONG>(channels) * (container_bits / 8u); }
  ULONG bytes_per_second() const { return block_align() * rate_hz; }
  bool operator==(const StreamFormat& other) const {
    return type == other.type && channels == other.channels && container_bits == other.container_bits &&
           valid_bits == other.valid_bits && rate_hz == other.rate_hz && channel_mask == other.channel_mask;
  }
  bool operator!=(const StreamFormat& other) const { return !(*this == other); }
};

}  // namespace wavert
