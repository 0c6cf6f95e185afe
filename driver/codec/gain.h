// Volume, mute and peak arithmetic of the codec stage: pure functions, any IRQL.
//
// KSPROPERTY_AUDIO_VOLUMELEVEL speaks dB in signed 16.16 fixed point; the node's range is
// kVolumeMinimum..kVolumeMaximum in kVolumeStep steps (codec_stage.h). A level is clamped to the
// range and rounded to the nearest step; a level exactly between two steps goes to the louder one.
//
// The linear gains 10^(dB/20) come from a table computed by the compiler: kernel code has no libm,
// and a constexpr table is constant-initialised data (no global constructor runs in a driver). The
// series below is evaluated in `long double` by the compiler only (x87 extended precision on both
// g++ targets; nothing of it reaches the binary but the rounded doubles), which lands each entry
// within one ulp of 10^(dB/20); 0 dB is exactly 1.0, so unity gain never alters a sample even
// where it is multiplied.
#pragma once

#include <ntddk.h>

#include "codec/codec_stage.h"

namespace wavert::codec {

// Steps from kVolumeMaximum down to kVolumeMinimum inclusive: 193 for -96..0 dB in 0.5 dB.
inline constexpr ULONG kVolumeStepCount =
    static_cast<ULONG>((kVolumeMaximum - kVolumeMinimum) / kVolumeStep) + 1;

namespace gain_detail {

inline constexpr long double kLn10 = 2.302585092994045684017991454684364208L;

// e^x for 0 <= x < 2.31 by its Taylor series: every term is positive, so there is no
// cancellation, and 40 terms take the remainder below 1e-30.
constexpr long double exp_series(long double x) {
  long double term = 1.0L;
  long double sum = 1.0L;
  for (int n = 1; n <= 40; ++n) {
    term *= x / n;
    sum += term;
  }
  return sum;
}

// 10^(-steps / 40), the linear gain of `steps` half-dB steps of attenuation. Whole decades are
// split off first (10^-q is a product of exact powers of ten) so the series only ever sees
// x = r * ln(10) / 40 with r < 40.
constexpr double attenuation_gain(ULONG half_db_steps) {
  long double decades = 1.0L;
  for (ULONG q = half_db_steps / 40; q > 0; --q) decades *= 10.0L;
  return static_cast<double>(1.0L / (decades * exp_series((half_db_steps % 40) * kLn10 / 40.0L)));
}

struct GainTable {
  double linear[kVolumeStepCount];  // [i] = gain of kVolumeMaximum - i * kVolumeStep
};

constexpr GainTable make_gain_table() {
  GainTable table{};
  for (ULONG i = 0; i < kVolumeStepCount; ++i) {
    // The step is 0.5 dB, so step i is i half-dB steps of attenuation below 0 dB.
    table.linear[i] = attenuation_gain(i * static_cast<ULONG>(kVolumeStep) / 32768u);
  }
  return table;
}

}  // namespace gain_detail

inline constexpr gain_detail::GainTable kGainTable = gain_detail::make_gain_table();
static_assert(kVolumeStep == 32768, "the table is indexed in half-dB steps");
static_assert(kGainTable.linear[0] == 1.0, "0 dB must be exactly unity (bit-exact loopback)");

// Clamps `level_db_16_16` to the volume range and rounds it to the nearest step (ties to the
// louder step).
constexpr LONG round_volume(LONG level_db_16_16) {
  if (level_db_16_16 <= kVolumeMinimum) return kVolumeMinimum;
  if (level_db_16_16 >= kVolumeMaximum) return kVolumeMaximum;
  const LONG above_minimum = level_db_16_16 - kVolumeMinimum;  // > 0, no overflow: both in range
  const LONG steps = (above_minimum + kVolumeStep / 2) / kVolumeStep;
  return kVolumeMinimum + steps * kVolumeStep;
}

// Linear gain of a level (any value; it is rounded first).
constexpr double volume_gain(LONG level_db_16_16) {
  return kGainTable.linear[static_cast<ULONG>((kVolumeMaximum - round_volume(level_db_16_16)) / kVolumeStep)];
}

// KSPROPERTY_AUDIO_PEAKMETER2 value of a sample magnitude: linear, 0x7FFFFFFF at full scale and
// above (float streams may exceed it; NaN counts as full scale: it is not silence).
constexpr LONG peak_of_magnitude(double magnitude) {
  if (!(magnitude < 1.0)) return 0x7FFFFFFF;
  if (magnitude <= 0.0) return 0;
  const double scaled = magnitude * 2147483648.0;
  return scaled >= 2147483647.0 ? 0x7FFFFFFF : static_cast<LONG>(scaled);
}

}  // namespace wavert::codec
