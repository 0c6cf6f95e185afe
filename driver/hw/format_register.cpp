// SDnFMT encoding, HDA rev. 1.0a §3.7.1 plus the extensions listed in format_register.h.
#include "hw/format_register.h"

namespace wavert::hw {
namespace {

constexpr ULONG kBaseRatesHz[2] = {48000, 44100};  // indexed by FMT.BASE

// BITS for a (container, valid, type) triple; false when FMT cannot carry it.
bool encode_bits(const StreamFormat& format, USHORT* bits, bool* is_float) {
  *is_float = false;
  switch (format.type) {
    case SampleType::Float:
      // EXTENSION: IEEE binary32 only, in a 32-bit container, all 32 bits meaningful.
      if (format.container_bits != 32 || format.valid_bits != 32) return false;
      *bits = 4;
      *is_float = true;
      return true;
    case SampleType::Pcm:
      break;
  }
  switch (format.container_bits) {
    case 8:
      *bits = 0;
      return format.valid_bits == 8;
    case 16:
      *bits = 1;
      return format.valid_bits == 16;
    case 24:
      // EXTENSION: packed 3-byte samples, which HDA's DMA never carries (it pads to 32 bits).
      *bits = kFmtBitsPacked24;
      return format.valid_bits == 24;
    case 32:
      // §3.7.1: 20- and 24-bit samples sit in 32-bit containers, "left justified".
      if (format.valid_bits == 20) {
        *bits = 2;
      } else if (format.valid_bits == 24) {
        *bits = 3;
      } else if (format.valid_bits == 32) {
        *bits = 4;
      } else {
        return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

NTSTATUS encode_stream_format(const StreamFormat& format, FormatRegisters* out) {
  if (format.channels < 1 || format.channels > 8 || format.rate_hz < kMinRateHz || format.rate_hz > kMaxRateHz) {
    return STATUS_INVALID_PARAMETER;
  }
  USHORT bits = 0;
  bool is_float = false;
  if (!encode_bits(format, &bits, &is_float)) {
    return STATUS_INVALID_PARAMETER;
  }
  USHORT fmt = static_cast<USHORT>((bits << kFmtBitsShift) | (format.channels - 1u));
  if (is_float) fmt |= kFmtFloat;

  // §3.7.1: rate = BASE * MULT / DIV. Prefer the smallest multiplier (the spec's own table
  // writes 96 kHz as 48 x2 / 1, 16 kHz as 48 / 3).
  for (ULONG base = 0; base < 2; ++base) {
    for (ULONG mult = 1; mult <= 4; ++mult) {
      for (ULONG div = 1; div <= 8; ++div) {
        if (kBaseRatesHz[base] * mult == format.rate_hz * div) {
          fmt |= static_cast<USHORT>((base ? kFmtBase44k1 : 0) | ((mult - 1) << kFmtMultShift) |
                                     ((div - 1) << kFmtDivShift));
          out->fmt = fmt;
          out->rate = 0;
          return STATUS_SUCCESS;
        }
      }
    }
  }
  // EXTENSION: the rate register.
  out->fmt = static_cast<USHORT>(fmt | (kFmtMultRateRegister << kFmtMultShift));
  out->rate = format.rate_hz;
  return STATUS_SUCCESS;
}

NTSTATUS decode_stream_format(const FormatRegisters& registers, StreamFormat* out) {
  const USHORT fmt = registers.fmt;
  if (fmt & 0x8000u) {
    return STATUS_INVALID_PARAMETER;  // TYPE = non-PCM
  }
  StreamFormat format;
  format.channels = static_cast<UCHAR>((fmt & 0xFu) + 1);
  if (format.channels > 8) {
    return STATUS_INVALID_PARAMETER;
  }
  const USHORT mult = (fmt >> kFmtMultShift) & 7u;
  const USHORT div = (fmt >> kFmtDivShift) & 7u;
  const bool base_44k1 = (fmt & kFmtBase44k1) != 0;
  if (mult == kFmtMultRateRegister) {
    if (base_44k1 || div != 0 || registers.rate < kMinRateHz || registers.rate > kMaxRateHz) {
      return STATUS_INVALID_PARAMETER;
    }
    format.rate_hz = registers.rate;
  } else if (mult > 3) {
    return STATUS_INVALID_PARAMETER;  // reserved by HDA and by wavert
  } else {
    const ULONG numerator = kBaseRatesHz[base_44k1 ? 1 : 0] * (mult + 1u);
    if (numerator % (div + 1u) != 0) {
      return STATUS_INVALID_PARAMETER;  // a rate that is not a whole number of Hz
    }
    format.rate_hz = numerator / (div + 1u);
    if (format.rate_hz < kMinRateHz || format.rate_hz > kMaxRateHz) {
      return STATUS_INVALID_PARAMETER;
    }
  }
  const USHORT bits = (fmt >> kFmtBitsShift) & 7u;
  const bool is_float = (fmt & kFmtFloat) != 0;
  if (is_float && bits != 4) {
    return STATUS_INVALID_PARAMETER;
  }
  format.type = is_float ? SampleType::Float : SampleType::Pcm;
  switch (bits) {
    case 0: format.container_bits = 8; format.valid_bits = 8; break;
    case 1: format.container_bits = 16; format.valid_bits = 16; break;
    case 2: format.container_bits = 32; format.valid_bits = 20; break;
    case 3: format.container_bits = 32; format.valid_bits = 24; break;
    case 4: format.container_bits = 32; format.valid_bits = 32; break;
    case kFmtBitsPacked24: format.container_bits = 24; format.valid_bits = 24; break;
    default: return STATUS_INVALID_PARAMETER;
  }
  format.channel_mask = 0;
  *out = format;
  return STATUS_SUCCESS;
}

}  // namespace wavert::hw
