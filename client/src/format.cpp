// Format <-> KSDATAFORMAT_WAVEFORMATEXTENSIBLE. Layouts are pinned in ks.h / ksmedia.h / mmreg.h.
#include "wavert/client/format.hpp"

#include <cstdio>
#include <bit>
#include <cstring>

#include <ks.h>
#include <ksmedia.h>
#include <mmreg.h>

namespace wavert::client {

std::string status_hex(NTSTATUS code) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(code));
  return text;
}

std::uint32_t standard_channel_mask(std::uint32_t channels) {
  // The masks Windows' own format helpers pair with a bare channel count (ksmedia.h's
  // KSAUDIO_SPEAKER_*); 3 and 7 channels have no KSAUDIO_SPEAKER name, so the front three and
  // 6.1 (5.1 + back centre) are used, as the audio engine does.
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

std::uint32_t Format::frames_for_us(std::uint64_t duration_us) const {
  // 128-bit intermediate is unnecessary: rate <= 1 MHz and duration is microseconds of a buffer
  // (seconds at most), so the product stays far below 2^64.
  return static_cast<std::uint32_t>((duration_us * sample_rate_hz + 999'999) / 1'000'000);
}

Status Format::validate() const {
  auto bad = [this](const char* why) {
    return Status::failure(STATUS_INVALID_PARAMETER, "format " + to_string() + " is not supported: " + why);
  };
  if (channels < 1 || channels > 8) return bad("channels must be 1 to 8");
  if (sample_rate_hz < 1 || sample_rate_hz > 1'000'000) return bad("sample rate must be 1 Hz to 1 MHz");
  if (valid_bits == 0 || valid_bits > container_bits) return bad("valid bits must be 1..container bits");
  switch (sample_type) {
    case SampleType::Int:
      if (container_bits != 8 && container_bits != 16 && container_bits != 24 && container_bits != 32)
        return bad("integer PCM containers are 8, 16, 24 or 32 bits");
      break;
    case SampleType::Float:
      if (container_bits != 32 || valid_bits != 32) return bad("float samples are 32-bit");
      break;
  }
  if (std::popcount(channel_mask) > channels) return bad("the channel mask names more speakers than channels");
  return Status::success();
}

std::vector<std::byte> Format::to_ks_data_format() const {
  KSDATAFORMAT_WAVEFORMATEXTENSIBLE f{};
  f.DataFormat.FormatSize = sizeof(f);
  f.DataFormat.SampleSize = frame_bytes();
  f.DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.DataFormat.SubFormat = sample_type == SampleType::Float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
  f.DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  WAVEFORMATEXTENSIBLE& w = f.WaveFormatExt;
  w.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
  w.Format.nChannels = channels;
  w.Format.nSamplesPerSec = sample_rate_hz;
  w.Format.nAvgBytesPerSec = bytes_per_second();
  w.Format.nBlockAlign = static_cast<WORD>(frame_bytes());
  w.Format.wBitsPerSample = container_bits;
  w.Format.cbSize = sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX);
  w.Samples.wValidBitsPerSample = valid_bits;
  w.dwChannelMask = channel_mask;
  w.SubFormat = f.DataFormat.SubFormat;
  std::vector<std::byte> bytes(sizeof(f));
  std::memcpy(bytes.data(), &f, sizeof(f));
  return bytes;
}

Status Format::from_ks_data_format(std::span<const std::byte> bytes, Format* out) {
  auto bad = [](std::string why) {
    return Status::failure(STATUS_INVALID_PARAMETER, "cannot parse the driver's data format: " + why);
  };
  if (bytes.size() < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX)) return bad("shorter than KSDATAFORMAT + WAVEFORMATEX");
  KSDATAFORMAT header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (!IsEqualGUID(header.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) ||
      !IsEqualGUID(header.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX))
    return bad("not an audio format with a WAVEFORMATEX specifier");
  WAVEFORMATEX wave;
  std::memcpy(&wave, bytes.data() + sizeof(KSDATAFORMAT), sizeof wave);
  Format f;
  f.channels = wave.nChannels;
  f.sample_rate_hz = wave.nSamplesPerSec;
  f.container_bits = wave.wBitsPerSample;
  f.valid_bits = wave.wBitsPerSample;
  f.channel_mask = standard_channel_mask(wave.nChannels);
  GUID sub = header.SubFormat;
  if (wave.wFormatTag == WAVE_FORMAT_EXTENSIBLE) {
    if (wave.cbSize < sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX) ||
        bytes.size() < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEXTENSIBLE))
      return bad("WAVE_FORMAT_EXTENSIBLE with cbSize below 22");
    WAVEFORMATEXTENSIBLE ext;
    std::memcpy(&ext, bytes.data() + sizeof(KSDATAFORMAT), sizeof ext);
    f.valid_bits = ext.Samples.wValidBitsPerSample == 0 ? wave.wBitsPerSample : ext.Samples.wValidBitsPerSample;
    f.channel_mask = ext.dwChannelMask;
    sub = ext.SubFormat;
  } else if (wave.wFormatTag == WAVE_FORMAT_PCM) {
    sub = KSDATAFORMAT_SUBTYPE_PCM;
  } else if (wave.wFormatTag == WAVE_FORMAT_IEEE_FLOAT) {
    sub = KSDATAFORMAT_SUBTYPE_IEEE_FLOAT;
  } else {
    return bad("format tag " + std::to_string(wave.wFormatTag) + " is neither PCM nor IEEE float");
  }
  if (IsEqualGUID(sub, KSDATAFORMAT_SUBTYPE_PCM)) {
    f.sample_type = SampleType::Int;
  } else if (IsEqualGUID(sub, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)) {
    f.sample_type = SampleType::Float;
  } else {
    return bad("subformat is neither PCM nor IEEE float");
  }
  if (wave.nBlockAlign != f.frame_bytes() || wave.nAvgBytesPerSec != f.bytes_per_second())
    return bad("nBlockAlign / nAvgBytesPerSec disagree with channels, bits and rate");
  if (Status s = f.validate(); !s) return s;
  *out = f;
  return Status::success();
}

std::string Format::to_string() const {
  std::string text = std::to_string(sample_rate_hz) + " Hz " + std::to_string(channels) + " ch ";
  if (sample_type == SampleType::Float) return text + "float" + std::to_string(container_bits);
  text += "int" + std::to_string(valid_bits);
  if (valid_bits != container_bits) text += "in" + std::to_string(container_bits);
  return text;
}

}  // namespace wavert::client
