#include "formats.hpp"

#include <algorithm>

namespace wavert::alsa {

std::optional<client::Format> client_format(snd_pcm_format_t format, unsigned channels, unsigned rate_hz) {
  using client::Format;
  if (channels == 0 || channels > 0xFFFF) return std::nullopt;
  const auto ch = static_cast<std::uint16_t>(channels);
  switch (format) {
    case SND_PCM_FORMAT_U8: return Format::pcm8(rate_hz, ch);
    case SND_PCM_FORMAT_S16_LE: return Format::pcm16(rate_hz, ch);
    case SND_PCM_FORMAT_S24_3LE: return Format::pcm24(rate_hz, ch);
    case SND_PCM_FORMAT_S24_LE: return Format::pcm24in32(rate_hz, ch);
    case SND_PCM_FORMAT_S32_LE: return Format::pcm32(rate_hz, ch);
    case SND_PCM_FORMAT_FLOAT_LE: return Format::float32(rate_hz, ch);
    default: return std::nullopt;
  }
}

snd_pcm_format_t alsa_format(const client::Format& format) {
  if (format.sample_type == client::SampleType::Float) {
    return format.container_bits == 32 && format.valid_bits == 32 ? SND_PCM_FORMAT_FLOAT_LE : SND_PCM_FORMAT_UNKNOWN;
  }
  switch (format.container_bits) {
    case 8: return format.valid_bits == 8 ? SND_PCM_FORMAT_U8 : SND_PCM_FORMAT_UNKNOWN;
    case 16: return format.valid_bits == 16 ? SND_PCM_FORMAT_S16_LE : SND_PCM_FORMAT_UNKNOWN;
    case 24: return format.valid_bits == 24 ? SND_PCM_FORMAT_S24_3LE : SND_PCM_FORMAT_UNKNOWN;
    case 32:
      if (format.valid_bits == 24) return SND_PCM_FORMAT_S24_LE;
      return format.valid_bits == 32 ? SND_PCM_FORMAT_S32_LE : SND_PCM_FORMAT_UNKNOWN;
    default: return SND_PCM_FORMAT_UNKNOWN;
  }
}

Offer offer_of(const client::Endpoint& endpoint) {
  Offer offer;
  for (const client::Format& format : endpoint.formats()) {
    const snd_pcm_format_t alsa = alsa_format(format);
    if (alsa == SND_PCM_FORMAT_UNKNOWN) continue;
    offer.formats.push_back(static_cast<unsigned>(alsa));
    offer.channels.push_back(format.channels);
    offer.rates_hz.push_back(format.sample_rate_hz);
  }
  for (auto* list : {&offer.formats, &offer.channels, &offer.rates_hz}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  return offer;
}

}  // namespace wavert::alsa
