#include "codec/sample_convert.h"

namespace wavert::codec {
namespace {

// Little-endian loads and stores of one container: the cyclic buffer has no alignment guarantee
// for 24-bit frames, and a sample may straddle two of its pages in the DMA model anyway, so bytes
// are assembled explicitly.
LONG load_signed(const UCHAR* p, ULONG container_bytes) {
  switch (container_bytes) {
    case 2:
      return static_cast<SHORT>(static_cast<USHORT>(p[0] | (p[1] << 8)));
    case 3: {
      const ULONG u = p[0] | (static_cast<ULONG>(p[1]) << 8) | (static_cast<ULONG>(p[2]) << 16);
      return static_cast<LONG>(u << 8) >> 8;  // sign-extend bit 23
    }
    case 4:
      return static_cast<LONG>(p[0] | (static_cast<ULONG>(p[1]) << 8) | (static_cast<ULONG>(p[2]) << 16) |
                               (static_cast<ULONG>(p[3]) << 24));
    default:
      return 0;
  }
}

void store(UCHAR* p, ULONG container_bytes, ULONG value) {
  for (ULONG i = 0; i < container_bytes; ++i) p[i] = static_cast<UCHAR>(value >> (8 * i));
}

double pow2(int exponent) {
  double value = 1.0;
  for (int i = 0; i < exponent; ++i) value *= 2.0;
  return value;
}

// Rounds half away from zero without libm (kernel code has none).
LONGLONG round_to_integer(double x) { return x >= 0 ? static_cast<LONGLONG>(x + 0.5) : -static_cast<LONGLONG>(-x + 0.5); }

}  // namespace

void decode_samples(const StreamFormat& format, const void* bytes, ULONG frames, double* samples) {
  const UCHAR* p = static_cast<const UCHAR*>(bytes);
  const ULONG count = frames * format.channels;
  const ULONG container_bytes = format.container_bits / 8u;
  if (format.type == SampleType::Float) {
    for (ULONG i = 0; i < count; ++i, p += 4) {
      const ULONG u = p[0] | (static_cast<ULONG>(p[1]) << 8) | (static_cast<ULONG>(p[2]) << 16) |
                      (static_cast<ULONG>(p[3]) << 24);
      float f;
      RtlCopyMemory(&f, &u, sizeof f);
      samples[i] = f;
    }
    return;
  }
  if (container_bytes == 1) {
    for (ULONG i = 0; i < count; ++i) samples[i] = (static_cast<int>(p[i]) - 128) / 128.0;
    return;
  }
  const double scale = 1.0 / pow2(static_cast<int>(format.container_bits) - 1);
  for (ULONG i = 0; i < count; ++i, p += container_bytes) samples[i] = load_signed(p, container_bytes) * scale;
}

void encode_samples(const StreamFormat& format, const double* samples, ULONG frames, void* bytes) {
  UCHAR* p = static_cast<UCHAR*>(bytes);
  const ULONG count = frames * format.channels;
  const ULONG container_bytes = format.container_bits / 8u;
  if (format.type == SampleType::Float) {
    for (ULONG i = 0; i < count; ++i, p += 4) {
      const float f = static_cast<float>(samples[i]);
      ULONG u;
      RtlCopyMemory(&u, &f, sizeof u);
      store(p, 4, u);
    }
    return;
  }
  // Quantise to the valid bits (MSB-aligned in the container: 24-in-32 keeps its low byte zero),
  // then saturate at the valid range.
  const int valid = format.valid_bits ? format.valid_bits : format.container_bits;
  const double full_scale = pow2(valid - 1);
  const LONGLONG max_value = static_cast<LONGLONG>(full_scale) - 1;
  const LONGLONG min_value = -static_cast<LONGLONG>(full_scale);
  const int shift = static_cast<int>(format.container_bits) - valid;
  for (ULONG i = 0; i < count; ++i, p += container_bytes) {
    // Saturate before converting: a float stream (or a mix of them) may hold values far past full
    // scale, infinities or NaN, and converting a double outside LONGLONG's range is undefined.
    // NaN encodes as silence.
    const double scaled = samples[i] * full_scale;
    LONGLONG v;
    if (scaled >= static_cast<double>(max_value)) {
      v = max_value;
    } else if (scaled <= static_cast<double>(min_value)) {
      v = min_value;
    } else if (scaled == scaled) {
      v = round_to_integer(scaled);
    } else {
      v = 0;
    }
    if (container_bytes == 1) {
      p[0] = static_cast<UCHAR>(v + 128);
    } else {
      store(p, container_bytes, static_cast<ULONG>(static_cast<LONG>(v) * (1L << shift)));
    }
  }
}

}  // namespace wavert::codec
