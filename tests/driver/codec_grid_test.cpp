// Sample-grid arithmetic: frames due by a device tick, and walking one grid's frames on another.
#include <cstdint>

#include <gtest/gtest.h>

#include "codec/grid.h"

namespace {

using namespace wavert::codec;
constexpr std::uint64_t kF = wavert::hw::kWallClockHz;

std::uint64_t due_tick(std::uint64_t frame, std::uint64_t rate) { return (frame * kF + rate - 1) / rate; }

TEST(CodecGrid, FramesPassedCountsTheFramesWhoseSuccessorIsDue) {
  for (ULONG rate : {8000u, 11025u, 44100u, 48000u, 96000u, 192000u}) {
    std::uint64_t frame = 0;
    for (std::uint64_t tick = 0; tick < 200000; tick += 37) {
      while (due_tick(frame + 1, rate) <= tick) ++frame;  // frame = first whose successor is not due
      ASSERT_EQ(grid_frames_passed(tick, rate), frame) << rate << " Hz at tick " << tick;
    }
  }
}

TEST(CodecGrid, FrameAtOrAfterAGridTickIsTheFrameDueThere) {
  for (ULONG rate : {8000u, 44100u, 48000u, 192000u}) {
    for (std::uint64_t k = 0; k < 5000; ++k) {
      ASSERT_EQ(grid_frame_at_or_after(due_tick(k, rate), rate), k) << rate << " frame " << k;
      ASSERT_EQ(grid_frame_at_or_after(due_tick(k, rate) + 1, rate), k + 1);  // a tick later: the next
    }
  }
}

TEST(CodecGrid, NoOverflowAfterAYearOfUptime) {
  const std::uint64_t year_ticks = kF * 3600ull * 24 * 365;
  const std::uint64_t expected = static_cast<std::uint64_t>((static_cast<unsigned __int128>(year_ticks) * 192000) / kF);
  EXPECT_EQ(grid_frames_passed(year_ticks, 192000), expected);
  GridWalk walk(expected, 192000, 44100);
  EXPECT_EQ(walk.whole(), static_cast<std::uint64_t>(static_cast<unsigned __int128>(expected) * 44100 / 192000));
}

TEST(CodecGrid, WalkGivesEachFramesExactRationalPositionOnTheOtherGrid) {
  const ULONG rates[] = {8000, 22050, 44100, 48000, 96000, 192000};
  for (ULONG from : rates) {
    for (ULONG to : rates) {
      const std::uint64_t start = 123456789;
      GridWalk walk(start, from, to);
      for (std::uint64_t k = start; k < start + 3000; ++k, walk.next()) {
        const unsigned __int128 product = static_cast<unsigned __int128>(k) * to;
        ASSERT_EQ(walk.whole(), static_cast<std::uint64_t>(product / from)) << from << "->" << to << " k=" << k;
        ASSERT_EQ(walk.remainder(), static_cast<ULONG>(product % from));
      }
    }
  }
}

TEST(CodecGrid, EqualRatesNeverInterpolate) {
  GridWalk walk(1000, 48000, 48000);
  for (int i = 0; i < 10000; ++i, walk.next()) {
    ASSERT_EQ(walk.remainder(), 0u);
    ASSERT_EQ(walk.whole(), 1000u + i);
  }
}

TEST(CodecGrid, InterpolationIsLinearBetweenTheTwoFrames) {
  const double older[2] = {-1.0, 0.25};
  const double newer[2] = {1.0, 0.75};
  double out[2];
  interpolate_frame(older, newer, 0.0, 2, out);
  EXPECT_EQ(out[0], -1.0);
  EXPECT_EQ(out[1], 0.25);
  interpolate_frame(older, newer, 0.25, 2, out);
  EXPECT_DOUBLE_EQ(out[0], -0.5);
  EXPECT_DOUBLE_EQ(out[1], 0.375);
}

}  // namespace
