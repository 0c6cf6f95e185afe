// Pure logic of the wave filters' formats: the exact checks NewStream and SetFormat apply, the
// channel masks, and the data range intersection.
#include <cstring>

#include <gtest/gtest.h>

#include "wave/format.h"
#include "wave/pin_tables.h"

namespace {

using wavert::SampleType;
using wavert::StreamFormat;
using wavert::wave::WaveFormatExtensibleKs;

// A consistent WAVEFORMATEXTENSIBLE format, built independently of the code under test.
WaveFormatExtensibleKs extensible(bool is_float, int channels, int container_bits, int valid_bits, ULONG rate,
                                  ULONG mask) {
  WaveFormatExtensibleKs f;
  std::memset(&f, 0, sizeof f);
  const GUID sub = is_float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
  f.DataFormat.FormatSize = sizeof f;
  f.DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.DataFormat.SubFormat = sub;
  f.DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  f.WaveFormatExt.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
  f.WaveFormatExt.Format.nChannels = static_cast<WORD>(channels);
  f.WaveFormatExt.Format.nSamplesPerSec = rate;
  f.WaveFormatExt.Format.wBitsPerSample = static_cast<WORD>(container_bits);
  f.WaveFormatExt.Format.nBlockAlign = static_cast<WORD>(channels * container_bits / 8);
  f.WaveFormatExt.Format.nAvgBytesPerSec = rate * channels * container_bits / 8;
  f.WaveFormatExt.Format.cbSize = 22;
  f.WaveFormatExt.Samples.wValidBitsPerSample = static_cast<WORD>(valid_bits);
  f.WaveFormatExt.dwChannelMask = mask;
  f.WaveFormatExt.SubFormat = sub;
  return f;
}

NTSTATUS parse(const WaveFormatExtensibleKs& f, StreamFormat* out) {
  return wavert::wave::stream_format_from_ks(&f.DataFormat, out);
}

TEST(WaveFormat, AcceptsEveryDeviceFormatAndKeepsItsFields) {
  struct Case {
    bool is_float;
    int container, valid;
  } cases[] = {{false, 8, 8}, {false, 16, 16}, {false, 24, 24}, {false, 32, 24}, {false, 32, 32}, {true, 32, 32}};
  for (const Case& c : cases) {
    for (int channels = 1; channels <= 8; ++channels) {
      for (ULONG rate : {8'000u, 44'100u, 48'000u, 192'000u}) {
        const ULONG mask = wavert::wave::default_channel_mask(channels);
        StreamFormat out;
        ASSERT_EQ(parse(extensible(c.is_float, channels, c.container, c.valid, rate, mask), &out), STATUS_SUCCESS)
            << c.container << "/" << c.valid << " " << channels << "ch " << rate;
        EXPECT_EQ(out.type, c.is_float ? SampleType::Float : SampleType::Pcm);
        EXPECT_EQ(out.channels, channels);
        EXPECT_EQ(out.container_bits, c.container);
        EXPECT_EQ(out.valid_bits, c.valid);
        EXPECT_EQ(out.rate_hz, rate);
        EXPECT_EQ(out.channel_mask, mask);
      }
    }
  }
}

TEST(WaveFormat, PlainWaveFormatExGetsTheStandardMask) {
  WaveFormatExtensibleKs f = extensible(false, 6, 16, 16, 48'000, 0);
  f.WaveFormatExt.Format.wFormatTag = WAVE_FORMAT_PCM;
  f.WaveFormatExt.Format.cbSize = 0;
  f.DataFormat.FormatSize = wavert::wave::kWaveFormatExBytes;
  StreamFormat out;
  ASSERT_EQ(parse(f, &out), STATUS_SUCCESS);
  EXPECT_EQ(out.channel_mask, static_cast<ULONG>(KSAUDIO_SPEAKER_5POINT1));
  EXPECT_EQ(out.valid_bits, 16);
}

TEST(WaveFormat, DerivedFieldsAreCheckedNeverTrusted) {
  StreamFormat out;
  WaveFormatExtensibleKs f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.WaveFormatExt.Format.nAvgBytesPerSec = 0;  // the divide-by-zero of public samples
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.WaveFormatExt.Format.nAvgBytesPerSec += 4;
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.WaveFormatExt.Format.nBlockAlign = 3;
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 20, 48'000, KSAUDIO_SPEAKER_STEREO);  // valid above container
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 0, 48'000, KSAUDIO_SPEAKER_STEREO);
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.DataFormat.SubFormat = KSDATAFORMAT_SUBTYPE_IEEE_FLOAT;  // disagrees with the extensible part
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_PARAMETER);
  f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.WaveFormatExt.Format.cbSize = 10;
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_BUFFER_SIZE);
  f = extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO);
  f.DataFormat.FormatSize = 70;
  EXPECT_EQ(parse(f, &out), STATUS_INVALID_BUFFER_SIZE);
}

TEST(WaveFormat, ConsistentFormatsTheDeviceCannotPlayAreNotSupported) {
  StreamFormat out;
  EXPECT_EQ(parse(extensible(false, 9, 16, 16, 48'000, 0x1FF), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(false, 2, 16, 16, 7'999, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(false, 2, 16, 16, 192'001, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(false, 2, 24, 20, 48'000, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(false, 2, 40, 40, 48'000, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(true, 2, 32, 24, 48'000, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(true, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_STEREO), &out), STATUS_NOT_SUPPORTED);
  // Two speakers, but not a standard pair; and a mask naming more speakers than channels.
  EXPECT_EQ(parse(extensible(false, 2, 16, 16, 48'000, SPEAKER_FRONT_LEFT | SPEAKER_BACK_LEFT), &out),
            STATUS_NOT_SUPPORTED);
  EXPECT_EQ(parse(extensible(false, 2, 16, 16, 48'000, KSAUDIO_SPEAKER_QUAD), &out), STATUS_NOT_SUPPORTED);
}

TEST(WaveFormat, StandardMasksHaveOneSpeakerPerChannel) {
  for (ULONG channels = 1; channels <= 8; ++channels) {
    EXPECT_EQ(static_cast<ULONG>(__builtin_popcount(wavert::wave::default_channel_mask(channels))), channels);
    EXPECT_TRUE(wavert::wave::is_standard_channel_mask(channels, wavert::wave::default_channel_mask(channels)));
  }
  EXPECT_TRUE(wavert::wave::is_standard_channel_mask(6, KSAUDIO_SPEAKER_5POINT1_SURROUND));
  EXPECT_TRUE(wavert::wave::is_standard_channel_mask(8, KSAUDIO_SPEAKER_7POINT1));
  EXPECT_FALSE(wavert::wave::is_standard_channel_mask(8, KSAUDIO_SPEAKER_5POINT1));
}

TEST(WaveFormat, KsFormatRoundTripsThroughTheChecks) {
  StreamFormat f;
  f.type = SampleType::Pcm;
  f.channels = 8;
  f.container_bits = 32;
  f.valid_bits = 24;
  f.rate_hz = 96'000;
  f.channel_mask = KSAUDIO_SPEAKER_7POINT1_SURROUND;
  WaveFormatExtensibleKs ks;
  wavert::wave::ks_format_from_stream(f, &ks);
  EXPECT_EQ(ks.WaveFormatExt.Format.nAvgBytesPerSec, 96'000u * 32);
  StreamFormat back;
  ASSERT_EQ(parse(ks, &back), STATUS_SUCCESS);
  EXPECT_TRUE(back == f);
}

KSDATARANGE_AUDIO client_range(const GUID& sub, ULONG channels, ULONG min_bits, ULONG max_bits, ULONG min_rate,
                               ULONG max_rate) {
  KSDATARANGE_AUDIO r;
  std::memset(&r, 0, sizeof r);
  r.DataRange.FormatSize = sizeof r;
  r.DataRange.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  r.DataRange.SubFormat = sub;
  r.DataRange.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  r.MaximumChannels = channels;
  r.MinimumBitsPerSample = min_bits;
  r.MaximumBitsPerSample = max_bits;
  r.MinimumSampleFrequency = min_rate;
  r.MaximumSampleFrequency = max_rate;
  return r;
}

const KSDATARANGE_AUDIO* pin_range(ULONG i) {
  return reinterpret_cast<const KSDATARANGE_AUDIO*>(wavert::wave::kStreamRanges[i]);
}

TEST(WaveIntersection, AnExactClientRangeGivesExactlyThatFormat) {
  const KSDATARANGE_AUDIO client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 44'100, 44'100);
  StreamFormat out;
  ASSERT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(0), &out), STATUS_SUCCESS);
  EXPECT_EQ(out.channels, 2);
  EXPECT_EQ(out.container_bits, 16);
  EXPECT_EQ(out.rate_hz, 44'100u);
  EXPECT_EQ(out.channel_mask, static_cast<ULONG>(KSAUDIO_SPEAKER_STEREO));
}

TEST(WaveIntersection, AWideClientRangeGetsTheBestTheDeviceDoes) {
  const KSDATARANGE_AUDIO client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 0xFFFFFFFF, 1, 64, 1, 1'000'000);
  StreamFormat out;
  ASSERT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(0), &out), STATUS_SUCCESS);
  EXPECT_EQ(out.channels, 8);
  EXPECT_EQ(out.container_bits, 32);
  EXPECT_EQ(out.rate_hz, 192'000u);
  KSDATARANGE wildcard;
  std::memset(&wildcard, 0, sizeof wildcard);
  wildcard.FormatSize = sizeof wildcard;
  ASSERT_EQ(wavert::wave::best_format_in_ranges(&wildcard, pin_range(1), &out), STATUS_SUCCESS);
  EXPECT_EQ(out.type, SampleType::Float);
}

TEST(WaveIntersection, RangesThatDoNotOverlapAreNoMatch) {
  StreamFormat out;
  KSDATARANGE_AUDIO client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 200'000, 400'000);
  EXPECT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(0), &out), STATUS_NO_MATCH);
  client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 12, 12, 48'000, 48'000);  // no 12-bit container
  EXPECT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(0), &out), STATUS_NO_MATCH);
  client = client_range(KSDATAFORMAT_SUBTYPE_IEEE_FLOAT, 2, 16, 16, 48'000, 48'000);
  EXPECT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(1), &out), STATUS_NO_MATCH);
  client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 2, 16, 16, 48'000, 48'000);
  EXPECT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(1), &out), STATUS_NO_MATCH);
  client = client_range(KSDATAFORMAT_SUBTYPE_PCM, 0, 16, 16, 48'000, 48'000);
  EXPECT_EQ(wavert::wave::best_format_in_ranges(&client.DataRange, pin_range(0), &out), STATUS_NO_MATCH);
}

}  // namespace
