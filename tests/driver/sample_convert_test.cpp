// Sample conversion: the codec's round trip must be exact (loopback and cable are bit-exact).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "codec/sample_convert.h"

namespace {

using wavert::SampleType;
using wavert::StreamFormat;
using wavert::codec::decode_samples;
using wavert::codec::encode_samples;

StreamFormat pcm(int container, int valid) {
  StreamFormat f;
  f.type = SampleType::Pcm;
  f.channels = 2;
  f.container_bits = static_cast<UCHAR>(container);
  f.valid_bits = static_cast<UCHAR>(valid);
  f.rate_hz = 48000;
  return f;
}

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(seed >> 24);
  }
  return v;
}

void ExpectRoundTripExact(const StreamFormat& f, std::vector<std::uint8_t> bytes) {
  const ULONG frames = static_cast<ULONG>(bytes.size() / f.block_align());
  std::vector<double> samples(frames * f.channels);
  decode_samples(f, bytes.data(), frames, samples.data());
  std::vector<std::uint8_t> out(bytes.size(), 0xAA);
  encode_samples(f, samples.data(), frames, out.data());
  EXPECT_EQ(out, bytes);
}

TEST(SampleConvert, EveryIntegerFormatRoundTripsBitExact) {
  ExpectRoundTripExact(pcm(8, 8), pattern(512, 1));
  ExpectRoundTripExact(pcm(16, 16), pattern(512, 2));
  ExpectRoundTripExact(pcm(24, 24), pattern(516, 3));
  ExpectRoundTripExact(pcm(32, 32), pattern(512, 4));
  auto in32 = pattern(512, 5);
  for (std::size_t i = 0; i < in32.size(); i += 4) in32[i] = 0;  // 24-in-32: low byte is padding
  ExpectRoundTripExact(pcm(32, 24), in32);
}

TEST(SampleConvert, FloatRoundTripsBitExactIncludingOverFullScale) {
  StreamFormat f = pcm(32, 32);
  f.type = SampleType::Float;
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 1.5f, 1e-30f, -0.123456789f, 0.99999994f};
  std::vector<std::uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  ExpectRoundTripExact(f, bytes);
}

TEST(SampleConvert, EncodingSaturatesAtTheContainerRange) {
  const StreamFormat f = pcm(16, 16);
  const double samples[2] = {2.0, -2.0};
  std::int16_t out[2];
  encode_samples(f, samples, 1, out);
  EXPECT_EQ(out[0], 32767);
  EXPECT_EQ(out[1], -32768);
}

TEST(SampleConvert, FloatFarPastFullScaleInfinityAndNanEncodeToIntegersWithoutOverflow) {
  // A float stream's mix may reach any double; the integer encode must still saturate (a plain
  // double -> int64 conversion of 1e30 is undefined behaviour, which UBSan reports).
  const double samples[8] = {1e30, -1e30, HUGE_VAL, -HUGE_VAL, std::nan(""), 0.99999, -1.0000001, 65536.0};
  for (int bits : {8, 16, 24, 32}) {
    const StreamFormat f = pcm(bits, bits);
    std::vector<std::uint8_t> bytes(4 * f.block_align());
    encode_samples(f, samples, 4, bytes.data());
    std::vector<double> back(8);
    decode_samples(f, bytes.data(), 4, back.data());
    const double top = 1.0 - 1.0 / (1ull << (bits - 1));
    EXPECT_EQ(back[0], top) << bits;
    EXPECT_EQ(back[1], -1.0) << bits;
    EXPECT_EQ(back[2], top) << bits;
    EXPECT_EQ(back[3], -1.0) << bits;
    EXPECT_EQ(back[4], 0.0) << bits << ": NaN is silence";
    EXPECT_EQ(back[6], -1.0) << bits;
    EXPECT_EQ(back[7], top) << bits;
  }
}

TEST(SampleConvert, DecodingNormalisesToFullScale) {
  const StreamFormat f = pcm(24, 24);
  const std::uint8_t bytes[6] = {0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F};  // -2^23, 2^23-1
  double samples[2];
  decode_samples(f, bytes, 1, samples);
  EXPECT_EQ(samples[0], -1.0);
  EXPECT_DOUBLE_EQ(samples[1], 8388607.0 / 8388608.0);
}

}  // namespace
