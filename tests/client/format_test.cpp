// Format: the WAVEFORMATEXTENSIBLE the client puts on the wire and what it accepts back.
#include <bit>
#include <cstring>

#include <gtest/gtest.h>
#include <ks.h>
#include <ksmedia.h>
#include <mmreg.h>

#include "wavert/client/endpoint.hpp"
#include "wavert/client/format.hpp"

namespace wavert::client {
namespace {

KSDATAFORMAT_WAVEFORMATEXTENSIBLE wire(const Format& f) {
  std::vector<std::byte> bytes = f.to_ks_data_format();
  EXPECT_EQ(bytes.size(), sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE));
  KSDATAFORMAT_WAVEFORMATEXTENSIBLE out;
  std::memcpy(&out, bytes.data(), sizeof out);
  return out;
}

TEST(ClientFormat, Pcm16StereoBuildsTheExtensibleFormatWindowsExpects) {
  auto w = wire(Format::pcm16(48'000, 2));
  EXPECT_EQ(w.DataFormat.FormatSize, 104u);
  EXPECT_EQ(w.DataFormat.SampleSize, 4u);
  EXPECT_TRUE(IsEqualGUID(w.DataFormat.MajorFormat, KSDATAFORMAT_TYPE_AUDIO));
  EXPECT_TRUE(IsEqualGUID(w.DataFormat.SubFormat, KSDATAFORMAT_SUBTYPE_PCM));
  EXPECT_TRUE(IsEqualGUID(w.DataFormat.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX));
  EXPECT_EQ(w.WaveFormatExt.Format.wFormatTag, WAVE_FORMAT_EXTENSIBLE);
  EXPECT_EQ(w.WaveFormatExt.Format.nChannels, 2);
  EXPECT_EQ(w.WaveFormatExt.Format.nSamplesPerSec, 48'000u);
  EXPECT_EQ(w.WaveFormatExt.Format.nAvgBytesPerSec, 192'000u);
  EXPECT_EQ(w.WaveFormatExt.Format.nBlockAlign, 4);
  EXPECT_EQ(w.WaveFormatExt.Format.wBitsPerSample, 16);
  EXPECT_EQ(w.WaveFormatExt.Format.cbSize, 22);
  EXPECT_EQ(w.WaveFormatExt.Samples.wValidBitsPerSample, 16);
  EXPECT_EQ(w.WaveFormatExt.dwChannelMask, static_cast<DWORD>(KSAUDIO_SPEAKER_STEREO));
  EXPECT_TRUE(IsEqualGUID(w.WaveFormatExt.SubFormat, KSDATAFORMAT_SUBTYPE_PCM));
}

TEST(ClientFormat, TwentyFourInThirtyTwoKeepsContainerAndValidBitsApart) {
  auto w = wire(Format::pcm24in32(44'100, 6));
  EXPECT_EQ(w.WaveFormatExt.Format.wBitsPerSample, 32);
  EXPECT_EQ(w.WaveFormatExt.Samples.wValidBitsPerSample, 24);
  EXPECT_EQ(w.WaveFormatExt.Format.nBlockAlign, 24);
  EXPECT_EQ(w.WaveFormatExt.dwChannelMask, static_cast<DWORD>(KSAUDIO_SPEAKER_5POINT1));
}

TEST(ClientFormat, FloatUsesTheIeeeFloatSubformat) {
  auto w = wire(Format::float32(96'000, 1));
  EXPECT_TRUE(IsEqualGUID(w.DataFormat.SubFormat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT));
  EXPECT_TRUE(IsEqualGUID(w.WaveFormatExt.SubFormat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT));
  EXPECT_EQ(w.WaveFormatExt.dwChannelMask, static_cast<DWORD>(KSAUDIO_SPEAKER_MONO));
}

TEST(ClientFormat, EveryStandardFormatRoundTripsThroughTheWire) {
  for (std::uint16_t channels = 1; channels <= 8; ++channels) {
    for (Format f : {Format::pcm8(8'000, channels), Format::pcm16(44'100, channels), Format::pcm24(48'000, channels),
                     Format::pcm24in32(96'000, channels), Format::pcm32(192'000, channels),
                     Format::float32(48'000, channels)}) {
      ASSERT_TRUE(f.validate()) << f.to_string();
      EXPECT_EQ(std::popcount(f.channel_mask), channels) << f.to_string();
      Format back;
      Status s = Format::from_ks_data_format(f.to_ks_data_format(), &back);
      ASSERT_TRUE(s) << s.message();
      EXPECT_EQ(back, f) << f.to_string() << " came back as " << back.to_string();
    }
  }
}

TEST(ClientFormat, PlainWaveFormatExGetsTheStandardMask) {
  KSDATAFORMAT_WAVEFORMATEX f{};
  f.DataFormat.FormatSize = sizeof f;
  f.DataFormat.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  f.DataFormat.SubFormat = KSDATAFORMAT_SUBTYPE_PCM;
  f.DataFormat.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  f.WaveFormatEx.wFormatTag = WAVE_FORMAT_PCM;
  f.WaveFormatEx.nChannels = 2;
  f.WaveFormatEx.nSamplesPerSec = 44'100;
  f.WaveFormatEx.wBitsPerSample = 16;
  f.WaveFormatEx.nBlockAlign = 4;
  f.WaveFormatEx.nAvgBytesPerSec = 176'400;
  Format back;
  Status s = Format::from_ks_data_format(std::as_bytes(std::span(&f, 1)), &back);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(back, Format::pcm16(44'100, 2));
}

TEST(ClientFormat, InconsistentOrShortFormatsAreRefusedWithAReason) {
  auto bytes = Format::pcm16(48'000, 2).to_ks_data_format();
  Format out;
  Status s = Format::from_ks_data_format(std::span(bytes).first(70), &out);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("shorter"), std::string::npos) << s.message();

  auto w = wire(Format::pcm16(48'000, 2));
  w.WaveFormatExt.Format.nBlockAlign = 3;
  s = Format::from_ks_data_format(std::as_bytes(std::span(&w, 1)), &out);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("nBlockAlign"), std::string::npos) << s.message();

  w = wire(Format::pcm16(48'000, 2));
  w.WaveFormatExt.Format.cbSize = 10;
  EXPECT_FALSE(Format::from_ks_data_format(std::as_bytes(std::span(&w, 1)), &out));
}

TEST(ClientFormat, ValidateRefusesWhatTheClientCannotStream) {
  EXPECT_FALSE(Format::pcm16(48'000, 0).validate());
  EXPECT_FALSE(Format::pcm16(48'000, 9).validate());
  EXPECT_FALSE(Format::make(SampleType::Float, 48'000, 2, 16, 16).validate());
  EXPECT_FALSE(Format::make(SampleType::Int, 48'000, 2, 20, 20).validate());
  EXPECT_FALSE(Format::make(SampleType::Int, 48'000, 2, 16, 24).validate());
  Format too_many_speakers = Format::pcm16(48'000, 1);
  too_many_speakers.channel_mask = KSAUDIO_SPEAKER_STEREO;
  Status s = too_many_speakers.validate();
  EXPECT_FALSE(s);
  EXPECT_EQ(s.code(), STATUS_INVALID_PARAMETER);
  EXPECT_NE(s.message().find("mask"), std::string::npos);
}

TEST(ClientFormat, FramesForDurationRoundUp) {
  EXPECT_EQ(Format::pcm16(48'000, 2).frames_for_us(10'000), 480u);
  EXPECT_EQ(Format::pcm16(44'100, 2).frames_for_us(10'000), 441u);
  EXPECT_EQ(Format::pcm16(44'100, 2).frames_for_us(1), 1u);
}

TEST(ClientFormat, RangesAdmitExactlyTheirFormats) {
  Endpoint e;
  e.ranges.push_back(FormatRange{SampleType::Int, 2, 16, 24, 44'100, 48'000});
  EXPECT_TRUE(e.supports(Format::pcm16(48'000, 2)));
  EXPECT_TRUE(e.supports(Format::pcm24(44'100, 1)));
  EXPECT_FALSE(e.supports(Format::pcm16(96'000, 2)));
  EXPECT_FALSE(e.supports(Format::pcm16(48'000, 3)));
  EXPECT_FALSE(e.supports(Format::float32(48'000, 2)));
  EXPECT_FALSE(e.supports(Format::pcm32(48'000, 2)));
  // 16 and 24 bits x 1-2 channels x 44.1 / 48 kHz.
  EXPECT_EQ(e.formats().size(), 2u * 2u * 2u);
}

}  // namespace
}  // namespace wavert::client
