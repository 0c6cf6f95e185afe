// ALSA sample formats <-> client formats (docs: README "The ALSA plugin"). Pure logic, no ALSA state.
#pragma once

#include <optional>
#include <vector>

#include <alsa/asoundlib.h>

#include "wavert/client/endpoint.hpp"
#include "wavert/client/format.hpp"

namespace wavert::alsa {

// U8, S16_LE, S24_3LE, S24_LE (24 valid bits in a 32-bit container), S32_LE, FLOAT_LE with the
// standard channel mask for `channels`; nothing for other ALSA formats.
std::optional<client::Format> client_format(snd_pcm_format_t format, unsigned channels, unsigned rate_hz);
// The ALSA format for a client format's sample type and widths; SND_PCM_FORMAT_UNKNOWN when ALSA
// has none of the six above for it.
snd_pcm_format_t alsa_format(const client::Format& format);

// What an endpoint offers, as ALSA's hw constraints want it: sorted, without duplicates.
struct Offer {
  std::vector<unsigned> formats;  // snd_pcm_format_t values
  std::vector<unsigned> channels;
  std::vector<unsigned> rates_hz;
};
Offer offer_of(const client::Endpoint& endpoint);

}  // namespace wavert::alsa
