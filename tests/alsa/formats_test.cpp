// ALSA formats <-> client formats (alsa/src/formats.hpp).
#include <gtest/gtest.h>

#include "formats.hpp"

namespace wavert::alsa {
namespace {

TEST(AlsaFormats, EachAlsaFormatMapsToItsWindowsContainerAndBackAgain) {
  struct Row {
    snd_pcm_format_t alsa;
    client::Format format;
  } rows[] = {
      {SND_PCM_FORMAT_U8, client::Format::pcm8(44100, 2)},
      {SND_PCM_FORMAT_S16_LE, client::Format::pcm16(44100, 2)},
      {SND_PCM_FORMAT_S24_3LE, client::Format::pcm24(44100, 2)},
      {SND_PCM_FORMAT_S24_LE, client::Format::pcm24in32(44100, 2)},
      {SND_PCM_FORMAT_S32_LE, client::Format::pcm32(44100, 2)},
      {SND_PCM_FORMAT_FLOAT_LE, client::Format::float32(44100, 2)},
  };
  for (const Row& row : rows) {
    const std::optional<client::Format> mapped = client_format(row.alsa, 2, 44100);
    ASSERT_TRUE(mapped.has_value()) << snd_pcm_format_name(row.alsa);
    EXPECT_EQ(*mapped, row.format) << snd_pcm_format_name(row.alsa);
    EXPECT_EQ(alsa_format(row.format), row.alsa) << row.format.to_string();
  }
}

TEST(AlsaFormats, SixChannelsGetTheFivePointOneMask) {
  EXPECT_EQ(client_format(SND_PCM_FORMAT_S16_LE, 6, 48000)->channel_mask, client::standard_channel_mask(6));
}

TEST(AlsaFormats, FormatsWithoutAWindowsTwinAreNotMapped) {
  for (snd_pcm_format_t f : {SND_PCM_FORMAT_S16_BE, SND_PCM_FORMAT_S8, SND_PCM_FORMAT_U16_LE, SND_PCM_FORMAT_FLOAT64_LE,
                             SND_PCM_FORMAT_MU_LAW}) {
    EXPECT_FALSE(client_format(f, 2, 48000).has_value()) << snd_pcm_format_name(f);
  }
  EXPECT_FALSE(client_format(SND_PCM_FORMAT_S16_LE, 0, 48000).has_value());
}

TEST(AlsaFormats, OfferListsWhatTheRangesAdmitOnce) {
  client::Endpoint endpoint;
  endpoint.ranges.push_back({client::SampleType::Int, 2, 16, 16, 44100, 48000});
  endpoint.ranges.push_back({client::SampleType::Float, 2, 32, 32, 48000, 48000});
  const Offer offer = offer_of(endpoint);
  EXPECT_EQ(offer.formats, (std::vector<unsigned>{SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_FLOAT_LE}));
  EXPECT_EQ(offer.channels, (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(offer.rates_hz, (std::vector<unsigned>{44100, 48000}));
}

}  // namespace
}  // namespace wavert::alsa
