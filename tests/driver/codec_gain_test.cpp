// Volume arithmetic of the codec stage: the compile-time gain table, rounding to the node's steps,
// the peak meter's scale.
#include <cmath>

#include <gtest/gtest.h>

#include "codec/gain.h"

namespace {

using namespace wavert::codec;

TEST(CodecGain, TableMatchesTenToTheDbOverTwentyForEveryStep) {
  ASSERT_EQ(kVolumeStepCount, 193u);
  for (ULONG i = 0; i < kVolumeStepCount; ++i) {
    // The reference in extended precision: in double, -i/40 is itself rounded, which pow turns into
    // a relative error of up to ~2e-15 at -96 dB.
    const double db = -0.5 * i;
    const double expected = static_cast<double>(std::pow(10.0L, -static_cast<long double>(i) / 40.0L));
    EXPECT_NEAR(kGainTable.linear[i], expected, expected * 2.3e-16) << "step " << i << " (" << db << " dB)";
  }
}

TEST(CodecGain, ZeroDbIsExactlyUnityAndMinus96DbIsAboutOneIn63000) {
  EXPECT_EQ(volume_gain(0), 1.0);
  EXPECT_NEAR(volume_gain(kVolumeMinimum), 1.0 / 63095.734448019, 1e-12);
  EXPECT_NEAR(volume_gain(-6 * 65536), 0.501187233627272, 1e-15);
}

TEST(CodecGain, TableFallsMonotonicallyWithAttenuation) {
  for (ULONG i = 1; i < kVolumeStepCount; ++i) EXPECT_LT(kGainTable.linear[i], kGainTable.linear[i - 1]) << i;
}

TEST(CodecGain, VolumeIsClampedToTheNodeRange) {
  EXPECT_EQ(round_volume(1), kVolumeMaximum);
  EXPECT_EQ(round_volume(20 * 65536), kVolumeMaximum);
  EXPECT_EQ(round_volume(0x7FFFFFFF), kVolumeMaximum);
  EXPECT_EQ(round_volume(-97 * 65536), kVolumeMinimum);
  EXPECT_EQ(round_volume(static_cast<LONG>(0x80000000)), kVolumeMinimum);
}

TEST(CodecGain, VolumeRoundsToTheNearestHalfDbStepTiesToTheLouder) {
  EXPECT_EQ(round_volume(-3 * 65536), -3 * 65536);              // on a step
  EXPECT_EQ(round_volume(-3 * 65536 + 100), -3 * 65536);        // just above
  EXPECT_EQ(round_volume(-3 * 65536 - 100), -3 * 65536);        // just below
  EXPECT_EQ(round_volume(-3 * 65536 - 16384), -3 * 65536);      // -3.25 dB: tie, louder wins
  EXPECT_EQ(round_volume(-3 * 65536 - 16385), -3 * 65536 - 32768);  // past the tie
  EXPECT_EQ(round_volume(-16383), 0);
  EXPECT_EQ(round_volume(-16385), -32768);
  // Every value in range lands on a step within half a step.
  for (LONG level = kVolumeMinimum; level <= kVolumeMaximum; level += 997) {
    const LONG rounded = round_volume(level);
    EXPECT_EQ((rounded - kVolumeMinimum) % kVolumeStep, 0) << level;
    EXPECT_LE(std::abs(rounded - level), kVolumeStep / 2) << level;
  }
}

TEST(CodecGain, GainOfAnUnroundedLevelIsTheGainOfItsStep) {
  EXPECT_EQ(volume_gain(-10 * 65536 + 3000), volume_gain(-10 * 65536));
  EXPECT_EQ(volume_gain(-200 * 65536), volume_gain(kVolumeMinimum));
}

TEST(CodecGain, PeakMeterScaleIsLinearFullScaleAt0x7FFFFFFF) {
  EXPECT_EQ(peak_of_magnitude(0.0), 0);
  EXPECT_EQ(peak_of_magnitude(1.0), 0x7FFFFFFF);
  EXPECT_EQ(peak_of_magnitude(3.5), 0x7FFFFFFF);  // float above full scale
  EXPECT_EQ(peak_of_magnitude(0.5), 0x40000000);
  EXPECT_EQ(peak_of_magnitude(1.0 / 32768), 65536);
  EXPECT_EQ(peak_of_magnitude(std::nan("")), 0x7FFFFFFF);
  EXPECT_EQ(peak_of_magnitude(32767.0 / 32768), 0x7FFF0000);
}

}  // namespace
