// Channel mapping by speaker positions between a stream's format and the speaker's.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "codec/channel_map.h"

namespace {

using namespace wavert::codec;
using wavert::SampleType;
using wavert::StreamFormat;

StreamFormat layout(UCHAR channels, ULONG mask) {
  StreamFormat f;
  f.type = SampleType::Float;
  f.channels = channels;
  f.container_bits = 32;
  f.valid_bits = 32;
  f.rate_hz = 48000;
  f.channel_mask = mask;
  return f;
}

std::vector<double> map_one_frame(const StreamFormat& from, const StreamFormat& to, std::vector<double> in) {
  ChannelMap map;
  build_channel_map(from, to, &map);
  std::vector<double> out(to.channels, -7.0);
  copy_mapped(map, in.data(), 1, out.data());
  return out;
}

TEST(CodecChannelMap, EqualLayoutsAreIdentityAndBitExact) {
  for (UCHAR channels = 1; channels <= 8; ++channels) {
    const StreamFormat f = layout(channels, 0);
    ChannelMap map;
    build_channel_map(f, f, &map);
    EXPECT_TRUE(map.identity);
    std::vector<double> in(channels * 3), out(channels * 3, -0.0);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = (i % 2 ? -1.0 : 1.0) / (3.0 + i);
    in[0] = -0.0;
    mix_mapped(map, in.data(), 3, out.data());
    EXPECT_EQ(std::memcmp(in.data(), out.data(), in.size() * sizeof(double)), 0) << int(channels);
  }
}

TEST(CodecChannelMap, MissingOrWrongMaskMeansTheStandardLayoutForTheCount) {
  EXPECT_EQ(effective_channel_mask(layout(2, 0)), 0x3u);
  EXPECT_EQ(effective_channel_mask(layout(6, 0x3)), 0x3Fu);  // 2 bits for 6 channels: ignored
  EXPECT_EQ(effective_channel_mask(layout(8, 0)), 0x63Fu);
  EXPECT_EQ(effective_channel_mask(layout(6, 0x60F)), 0x60Fu);  // a valid 5.1 (side) mask is kept
  EXPECT_EQ(effective_channel_mask(layout(1, 0)), speaker::kFrontCenter);
}

TEST(CodecChannelMap, MonoGoesToFrontLeftAndRight) {
  EXPECT_EQ(map_one_frame(layout(1, 0), layout(2, 0), {0.5}), (std::vector<double>{0.5, 0.5}));
  // 5.1: FL FR FC LFE BL BR -- only the front pair.
  EXPECT_EQ(map_one_frame(layout(1, 0), layout(6, 0), {0.5}), (std::vector<double>{0.5, 0.5, 0, 0, 0, 0}));
}

TEST(CodecChannelMap, StereoToMonoIsTheAverage) {
  EXPECT_EQ(map_one_frame(layout(2, 0), layout(1, 0), {0.5, -0.25}), (std::vector<double>{0.125}));
}

TEST(CodecChannelMap, SurroundToStereoFoldsCentreAndBackAtMinus3DbAndDropsLfe) {
  const double k = 0.70710678118654752440;
  // FL FR FC LFE BL BR
  const auto out = map_one_frame(layout(6, 0x3F), layout(2, 0), {0.1, 0.2, 0.3, 0.9, 0.4, 0.5});
  EXPECT_DOUBLE_EQ(out[0], 0.1 + k * 0.3 + k * 0.4);
  EXPECT_DOUBLE_EQ(out[1], 0.2 + k * 0.3 + k * 0.5);
}

TEST(CodecChannelMap, StereoIntoSurroundKeepsPositionsAndSilencesTheRest) {
  EXPECT_EQ(map_one_frame(layout(2, 0), layout(8, 0), {0.1, 0.2}),
            (std::vector<double>{0.1, 0.2, 0, 0, 0, 0, 0, 0}));
}

TEST(CodecChannelMap, ReorderedMasksRouteByPosition) {
  // Quad (FL FR BL BR) into 5.1 side (FL FR FC LFE SL SR): back has no place, folds into front.
  const double k = 0.70710678118654752440;
  const auto out = map_one_frame(layout(4, 0x33), layout(6, 0x60F), {0.1, 0.2, 0.4, 0.8});
  EXPECT_DOUBLE_EQ(out[0], 0.1 + k * 0.4);
  EXPECT_DOUBLE_EQ(out[1], 0.2 + k * 0.8);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_EQ(out[4], 0.0);
}

TEST(CodecChannelMap, MixAddsToWhatIsThere) {
  const StreamFormat mono = layout(1, 0), stereo = layout(2, 0);
  ChannelMap map;
  build_channel_map(mono, stereo, &map);
  const double in[2] = {0.25, -0.5};
  double out[4] = {0.5, 0.5, 0.5, 0.5};
  mix_mapped(map, in, 2, out);
  EXPECT_EQ(out[0], 0.75);
  EXPECT_EQ(out[1], 0.75);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_EQ(out[3], 0.0);
}

}  // namespace
