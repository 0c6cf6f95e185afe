// Wave format checks and intersection (format.h).
#include "wave/format.h"


namespace wavert::wave {
namespace {

bool is_wildcard(const GUID& guid) { return IsEqualGUIDAligned(guid, GUID_NULL); }

bool guid_matches(const GUID& wanted, const GUID& offered) {
  return is_wildcard(wanted) || IsEqualGUIDAligned(wanted, offered);
}

// A container the device's converters handle for `type` (stream_format.h).
bool container_supported(SampleType type, ULONG bits) {
  switch (type) {
    case SampleType::Pcm:
      return bits == 8 || bits == 16 || bits == 24 || bits == 32;
    case SampleType::Float:
      return bits == 32;
  }
  return false;
}

bool valid_bits_supported(SampleType type, ULONG container_bits, ULONG valid_bits) {
  if (valid_bits == container_bits) return true;
  // "24-in-32": 24 significant bits, MSB-aligned in a 32-bit container.
  return type == SampleType::Pcm && container_bits == 32 && valid_bits == 24;
}

}  // namespace

ULONG default_channel_mask(ULONG channels) {
  switch (channels) {
    case 1: return KSAUDIO_SPEAKER_MONO;
    case 2: return KSAUDIO_SPEAKER_STEREO;
    case 3: return SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT | SPEAKER_FRONT_CENTER;
    case 4: return KSAUDIO_SPEAKER_QUAD;
    case 5: return KSAUDIO_SPEAKER_QUAD | SPEAKER_FRONT_CENTER;
    case 6: return KSAUDIO_SPEAKER_5POINT1;
    case 7: return KSAUDIO_SPEAKER_5POINT1 | SPEAKER_BACK_CENTER;
    case 8: return KSAUDIO_SPEAKER_7POINT1_SURROUND;
    default: return 0;
  }
}

bool is_standard_channel_mask(ULONG channels, ULONG mask) {
  if (channels < kMinChannels || channels > kMaxChannels) return false;
  if (mask == default_channel_mask(channels)) return true;
  switch (channels) {
    case 3: return mask == (KSAUDIO_SPEAKER_STEREO | SPEAKER_LOW_FREQUENCY);  // 2.1
    case 4: return mask == KSAUDIO_SPEAKER_SURROUND;
    case 5: return mask == (KSAUDIO_SPEAKER_STEREO | SPEAKER_FRONT_CENTER | SPEAKER_SIDE_LEFT | SPEAKER_SIDE_RIGHT);
    case 6: return mask == KSAUDIO_SPEAKER_5POINT1_SURROUND;
    case 7: return mask == (KSAUDIO_SPEAKER_5POINT1_SURROUND | SPEAKER_BACK_CENTER);
    case 8: return mask == KSAUDIO_SPEAKER_7POINT1;
    default: return false;
  }
}

NTSTATUS stream_format_from_ks(const KSDATAFORMAT* format, StreamFormat* out) {
  if (format == nullptr || out == nullptr) return STATUS_INVALID_PARAMETER;
  if (format->FormatSize < kWaveFormatExBytes) return STATUS_INVALID_BUFFER_SIZE;
  if (!IsEqualGUIDAligned(format->MajorFormat, KSDATAFORMAT_TYPE_AUDIO) ||
      !IsEqualGUIDAligned(format->Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)) {
    return STATUS_INVALID_PARAMETER;
  }
  const auto* wave = reinterpret_cast<const WAVEFORMATEX*>(format + 1);

  StreamFormat result;
  GUID subformat;
  ULONG valid_bits = wave->wBitsPerSample;
  ULONG mask = 0;
  bool has_mask = false;
  switch (wave->wFormatTag) {
    case WAVE_FORMAT_PCM:
      subformat = KSDATAFORMAT_SUBTYPE_PCM;
      break;
    case WAVE_FORMAT_IEEE_FLOAT:
      subformat = KSDATAFORMAT_SUBTYPE_IEEE_FLOAT;
      break;
    case WAVE_FORMAT_EXTENSIBLE: {
      if (format->FormatSize < sizeof(WaveFormatExtensibleKs) ||
          wave->cbSize < sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX)) {
        return STATUS_INVALID_BUFFER_SIZE;
      }
      const auto* extensible = reinterpret_cast<const WAVEFORMATEXTENSIBLE*>(wave);
      subformat = extensible->SubFormat;
      valid_bits = extensible->Samples.wValidBitsPerSample;
      mask = extensible->dwChannelMask;
      has_mask = true;
      break;
    }
    default:
      return STATUS_NOT_SUPPORTED;
  }
  if (IsEqualGUIDAligned(subformat, KSDATAFORMAT_SUBTYPE_PCM)) {
    result.type = SampleType::Pcm;
  } else if (IsEqualGUIDAligned(subformat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) {
    result.type = SampleType::Float;
  } else {
    return STATUS_NOT_SUPPORTED;
  }
  if (!IsEqualGUIDAligned(format->SubFormat, subformat)) return STATUS_INVALID_PARAMETER;

  const ULONG channels = wave->nChannels;
  const ULONG bits = wave->wBitsPerSample;
  if (channels == 0 || bits == 0 || bits % 8 != 0 || wave->nSamplesPerSec == 0) return STATUS_INVALID_PARAMETER;
  // The two derived fields are checked against what they must be, never used: a client's
  // nAvgBytesPerSec of 0 must not become a divisor (issue 4, pitfalls).
  const ULONGLONG block_align = ULONGLONG{channels} * (bits / 8);
  if (wave->nBlockAlign != block_align) return STATUS_INVALID_PARAMETER;
  if (ULONGLONG{wave->nAvgBytesPerSec} != block_align * wave->nSamplesPerSec) return STATUS_INVALID_PARAMETER;
  if (valid_bits == 0 || valid_bits > bits) return STATUS_INVALID_PARAMETER;

  if (channels < kMinChannels || channels > kMaxChannels) return STATUS_NOT_SUPPORTED;
  if (!container_supported(result.type, bits) || !valid_bits_supported(result.type, bits, valid_bits)) {
    return STATUS_NOT_SUPPORTED;
  }
  if (wave->nSamplesPerSec < kMinRateHz || wave->nSamplesPerSec > kMaxRateHz) return STATUS_NOT_SUPPORTED;
  if (!has_mask) {
    mask = default_channel_mask(channels);
  } else if (!is_standard_channel_mask(channels, mask)) {
    return STATUS_NOT_SUPPORTED;
  }

  result.channels = static_cast<UCHAR>(channels);
  result.container_bits = static_cast<UCHAR>(bits);
  result.valid_bits = static_cast<UCHAR>(valid_bits);
  result.rate_hz = wave->nSamplesPerSec;
  result.channel_mask = mask;
  *out = result;
  return STATUS_SUCCESS;
}

void ks_format_from_stream(const StreamFormat& format, WaveFormatExtensibleKs* out) {
  RtlZeroMemory(out, sizeof *out);
  const GUID subformat =
      format.type == SampleType::Float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
  out->DataFormat.FormatSize = sizeof *out;
  out->DataFormat.SampleSize = format.block_align();
  out->DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  out->DataFormat.SubFormat = subformat;
  out->DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  WAVEFORMATEXTENSIBLE& wave = out->WaveFormatExt;
  wave.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
  wave.Format.nChannels = format.channels;
  wave.Format.nSamplesPerSec = format.rate_hz;
  wave.Format.nBlockAlign = static_cast<WORD>(format.block_align());
  wave.Format.nAvgBytesPerSec = format.bytes_per_second();
  wave.Format.wBitsPerSample = format.container_bits;
  wave.Format.cbSize = sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX);
  wave.Samples.wValidBitsPerSample = format.valid_bits;
  wave.dwChannelMask = format.channel_mask;
  wave.SubFormat = subformat;
}

NTSTATUS best_format_in_ranges(const KSDATARANGE* client, const KSDATARANGE_AUDIO* pin, StreamFormat* out) {
  const KSDATARANGE& ours = pin->DataRange;
  if (!guid_matches(client->MajorFormat, ours.MajorFormat) || !guid_matches(client->SubFormat, ours.SubFormat) ||
      !guid_matches(client->Specifier, ours.Specifier)) {
    return STATUS_NO_MATCH;
  }
  SampleType type;
  if (IsEqualGUIDAligned(ours.SubFormat, KSDATAFORMAT_SUBTYPE_PCM)) {
    type = SampleType::Pcm;
  } else if (IsEqualGUIDAligned(ours.SubFormat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) {
    type = SampleType::Float;
  } else {
    return STATUS_NO_MATCH;
  }

  ULONG max_channels = pin->MaximumChannels;
  ULONG min_bits = pin->MinimumBitsPerSample;
  ULONG max_bits = pin->MaximumBitsPerSample;
  ULONG min_rate = pin->MinimumSampleFrequency;
  ULONG max_rate = pin->MaximumSampleFrequency;
  // A client range with the audio specifier narrows ours; a bare KSDATARANGE (or one whose
  // specifier is a wildcard) takes whatever the pin offers.
  if (client->FormatSize >= sizeof(KSDATARANGE_AUDIO) &&
      IsEqualGUIDAligned(client->Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX)) {
    const auto* audio = reinterpret_cast<const KSDATARANGE_AUDIO*>(client);
    // (ULONG)-1 channels is the "any" the audio engine sends.
    if (audio->MaximumChannels < max_channels) max_channels = audio->MaximumChannels;
    if (audio->MinimumBitsPerSample > min_bits) min_bits = audio->MinimumBitsPerSample;
    if (audio->MaximumBitsPerSample < max_bits) max_bits = audio->MaximumBitsPerSample;
    if (audio->MinimumSampleFrequency > min_rate) min_rate = audio->MinimumSampleFrequency;
    if (audio->MaximumSampleFrequency < max_rate) max_rate = audio->MaximumSampleFrequency;
  }
  if (max_channels > kMaxChannels) max_channels = kMaxChannels;
  if (max_rate > kMaxRateHz) max_rate = kMaxRateHz;
  if (min_rate < kMinRateHz) min_rate = kMinRateHz;
  if (max_channels < kMinChannels || min_rate > max_rate) return STATUS_NO_MATCH;

  // The widest container both allow (32, 24, 16, 8), with all its bits valid.
  ULONG bits = 0;
  for (ULONG candidate = 32; candidate >= 8; candidate -= 8) {
    if (candidate >= min_bits && candidate <= max_bits && container_supported(type, candidate)) {
      bits = candidate;
      break;
    }
  }
  if (bits == 0) return STATUS_NO_MATCH;

  StreamFormat result;
  result.type = type;
  result.channels = static_cast<UCHAR>(max_channels);
  result.container_bits = static_cast<UCHAR>(bits);
  result.valid_bits = static_cast<UCHAR>(bits);
  result.rate_hz = max_rate;
  result.channel_mask = default_channel_mask(max_channels);
  *out = result;
  return STATUS_SUCCESS;
}

}  // namespace wavert::wave
