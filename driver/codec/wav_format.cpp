// RIFF/WAVE header building and parsing (wav_format.h).
#include "codec/wav_format.h"

namespace wavert::codec {
namespace {

// KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT are {0000000x-0000-0010-8000-00aa00389b71}: the WAVE
// format tag in the first two bytes, then this fixed tail (GUID byte order as stored in a file).
constexpr UCHAR kSubFormatTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                      0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

constexpr ULONG kRiffHeaderBytes = 12;  // "RIFF" size "WAVE"
constexpr ULONG kChunkHeaderBytes = 8;  // id, size

void put16(UCHAR* p, ULONG v) {
  p[0] = UCHAR(v);
  p[1] = UCHAR(v >> 8);
}
void put32(UCHAR* p, ULONG v) {
  p[0] = UCHAR(v);
  p[1] = UCHAR(v >> 8);
  p[2] = UCHAR(v >> 16);
  p[3] = UCHAR(v >> 24);
}
void put_id(UCHAR* p, const char* id) {
  for (int i = 0; i < 4; ++i) p[i] = UCHAR(id[i]);
}
ULONG get16(const UCHAR* p) { return p[0] | (ULONG(p[1]) << 8); }
ULONG get32(const UCHAR* p) { return p[0] | (ULONG(p[1]) << 8) | (ULONG(p[2]) << 16) | (ULONG(p[3]) << 24); }
bool is_id(const UCHAR* p, const char* id) {
  return p[0] == UCHAR(id[0]) && p[1] == UCHAR(id[1]) && p[2] == UCHAR(id[2]) && p[3] == UCHAR(id[3]);
}

enum class HeaderKind { Pcm, Float, Extensible };

HeaderKind header_kind(const StreamFormat& f) {
  if (f.channels <= 2 && f.type == SampleType::Pcm && f.container_bits <= 16 && f.valid_bits == f.container_bits) {
    return HeaderKind::Pcm;
  }
  if (f.channels <= 2 && f.type == SampleType::Float) return HeaderKind::Float;
  return HeaderKind::Extensible;
}

ULONG fmt_chunk_bytes(HeaderKind kind) {
  switch (kind) {
    case HeaderKind::Pcm: return 16;         // WAVEFORMAT + wBitsPerSample
    case HeaderKind::Float: return 18;       // WAVEFORMATEX, cbSize 0
    case HeaderKind::Extensible: return 40;  // WAVEFORMATEXTENSIBLE, cbSize 22
  }
  return 0;
}

}  // namespace

ULONG default_channel_mask(ULONG channels) {
  switch (channels) {
    case 1: return 0x4;    // front center
    case 2: return 0x3;    // front left, front right
    case 3: return 0x7;    // + front center
    case 4: return 0x33;   // quad: front and back pairs
    case 5: return 0x37;   // quad + front center
    case 6: return 0x3F;   // 5.1 (back speakers)
    case 7: return 0x13F;  // 5.1 + back center
    case 8: return 0x63F;  // 7.1 surround (side speakers)
    default: return 0;
  }
}

bool wav_format_supported(const StreamFormat& f) {
  if (f.channels < 1 || f.channels > 8 || f.rate_hz == 0) return false;
  switch (f.type) {
    case SampleType::Pcm:
      if (f.container_bits != 8 && f.container_bits != 16 && f.container_bits != 24 && f.container_bits != 32) {
        return false;
      }
      if (f.container_bits == 8) return f.valid_bits == 8;
      return f.valid_bits >= 1 && f.valid_bits <= f.container_bits;
    case SampleType::Float:
      return f.container_bits == 32 && f.valid_bits == 32;
  }
  return false;
}

ULONG wav_header_bytes(const StreamFormat& format) {
  const HeaderKind kind = header_kind(format);
  const ULONG fact = format.type == SampleType::Float ? kChunkHeaderBytes + 4 : 0;
  return kRiffHeaderBytes + kChunkHeaderBytes + fmt_chunk_bytes(kind) + fact + kChunkHeaderBytes;
}

ULONGLONG wav_max_data_bytes(const StreamFormat& format) {
  // RIFF size = file bytes - 8 must fit 32 bits, pad byte included.
  const ULONGLONG limit = 0xFFFFFFFFull - (wav_header_bytes(format) - 8) - 1;
  const ULONG block = format.block_align();
  return block == 0 ? 0 : limit / block * block;
}

ULONG build_wav_header(const StreamFormat& format, ULONGLONG data_bytes, UCHAR (&out)[kMaxWavHeaderBytes]) {
  const HeaderKind kind = header_kind(format);
  const ULONG header_bytes = wav_header_bytes(format);
  const ULONGLONG max_data = wav_max_data_bytes(format);
  const ULONG data = static_cast<ULONG>(data_bytes < max_data ? data_bytes : max_data);
  const ULONG pad = data & 1u;
  const ULONG block = format.block_align();
  RtlZeroMemory(out, sizeof out);
  UCHAR* p = out;
  put_id(p, "RIFF");
  put32(p + 4, header_bytes - 8 + data + pad);
  put_id(p + 8, "WAVE");
  p += kRiffHeaderBytes;

  const ULONG fmt_bytes = fmt_chunk_bytes(kind);
  put_id(p, "fmt ");
  put32(p + 4, fmt_bytes);
  UCHAR* fmt = p + kChunkHeaderBytes;
  const USHORT tag = kind == HeaderKind::Extensible ? kWaveFormatExtensible
                     : format.type == SampleType::Float ? kWaveFormatIeeeFloat
                                                        : kWaveFormatPcm;
  put16(fmt + 0, tag);
  put16(fmt + 2, format.channels);
  put32(fmt + 4, format.rate_hz);
  put32(fmt + 8, format.rate_hz * block);
  put16(fmt + 12, block);
  put16(fmt + 14, format.container_bits);
  if (kind == HeaderKind::Float) put16(fmt + 16, 0);
  if (kind == HeaderKind::Extensible) {
    put16(fmt + 16, 22);
    put16(fmt + 18, format.valid_bits);
    put32(fmt + 20, format.channel_mask != 0 ? format.channel_mask : default_channel_mask(format.channels));
    put16(fmt + 24, format.type == SampleType::Float ? kWaveFormatIeeeFloat : kWaveFormatPcm);
    for (ULONG i = 0; i < sizeof kSubFormatTail; ++i) fmt[26 + i] = kSubFormatTail[i];
  }
  p += kChunkHeaderBytes + fmt_bytes;

  if (format.type == SampleType::Float) {
    // Non-PCM data carries a fact chunk with its length in sample frames.
    put_id(p, "fact");
    put32(p + 4, 4);
    put32(p + 8, block == 0 ? 0 : data / block);
    p += kChunkHeaderBytes + 4;
  }
  put_id(p, "data");
  put32(p + 4, data);
  return header_bytes;
}

NTSTATUS parse_wav_header(const void* bytes, ULONG length, ULONGLONG file_bytes, WavLayout* out) {
  const UCHAR* b = static_cast<const UCHAR*>(bytes);
  *out = WavLayout{};
  if (length < kRiffHeaderBytes || !is_id(b, "RIFF") || !is_id(b + 8, "WAVE")) return STATUS_INVALID_PARAMETER;
  bool have_fmt = false;
  StreamFormat format;
  ULONG pos = kRiffHeaderBytes;
  while (pos + kChunkHeaderBytes <= length) {
    const UCHAR* chunk = b + pos;
    const ULONG size = get32(chunk + 4);
    const ULONG body = pos + kChunkHeaderBytes;
    if (is_id(chunk, "fmt ")) {
      if (size < 16 || body + 16 > length) return STATUS_INVALID_PARAMETER;
      const UCHAR* f = b + body;
      ULONG tag = get16(f);
      const ULONG channels = get16(f + 2);
      const ULONG rate = get32(f + 4);
      const ULONG block = get16(f + 12);
      const ULONG bits = get16(f + 14);
      ULONG valid = bits;
      ULONG mask = default_channel_mask(channels);
      if (tag == kWaveFormatExtensible) {
        if (size < 40 || body + 40 > length || get16(f + 16) < 22) return STATUS_INVALID_PARAMETER;
        valid = get16(f + 18) != 0 ? get16(f + 18) : bits;
        mask = get32(f + 20);
        tag = get16(f + 24);
        for (ULONG i = 0; i < sizeof kSubFormatTail; ++i) {
          if (f[26 + i] != kSubFormatTail[i]) return STATUS_NOT_SUPPORTED;
        }
      }
      if (tag != kWaveFormatPcm && tag != kWaveFormatIeeeFloat) return STATUS_NOT_SUPPORTED;
      if (channels == 0 || channels > 8 || bits == 0 || bits > 32 || valid > 255) return STATUS_NOT_SUPPORTED;
      format.type = tag == kWaveFormatIeeeFloat ? SampleType::Float : SampleType::Pcm;
      format.channels = static_cast<UCHAR>(channels);
      format.container_bits = static_cast<UCHAR>(bits);
      format.valid_bits = static_cast<UCHAR>(valid);
      format.rate_hz = rate;
      format.channel_mask = mask;
      if (!wav_format_supported(format) || block != format.block_align()) return STATUS_NOT_SUPPORTED;
      have_fmt = true;
    } else if (is_id(chunk, "data")) {
      if (!have_fmt) return STATUS_INVALID_PARAMETER;  // the format must come first
      ULONGLONG data = size;
      if (file_bytes < body) return STATUS_INVALID_PARAMETER;
      if (data > file_bytes - body) data = file_bytes - body;
      out->format = format;
      out->data_offset = body;
      out->data_bytes = data / format.block_align() * format.block_align();
      return STATUS_SUCCESS;
    }
    const ULONGLONG next = ULONGLONG(body) + size + (size & 1u);
    if (next > 0xFFFFFFFFull) return STATUS_INVALID_PARAMETER;
    pos = static_cast<ULONG>(next);
  }
  return STATUS_INVALID_PARAMETER;  // no data chunk within `length`
}

}  // namespace wavert::codec
