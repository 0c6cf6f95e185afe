// Sample-grid arithmetic of the codec stage (hw/controller.h, "Time"): frame k of a rate-r grid
// is due at device tick ceil(k * kWallClockHz / r), every grid anchored at tick 0. A converter has
// finished frame k -- it "passed the DAC" or "left the ADC" -- once frame k + 1 is due: that is
// how StreamDescriptor::converter_frames_at counts, and the codec counts its own grids the same
// way, so a stream and the speaker of the same rate handle the same grid frames in the same pass.
// Pure, any IRQL, 128-bit intermediates (common/muldiv.h).
#pragma once

#include <ntddk.h>

#include "common/muldiv.h"
#include "hw/controller.h"

namespace wavert::codec {

// Grid frames finished by device tick `ticks`: k < floor(ticks * r / F) (frame k + 1 is due).
constexpr ULONGLONG grid_frames_passed(ULONGLONG ticks, ULONG rate_hz) {
  return mul_div_floor(ticks, rate_hz, hw::kWallClockHz);
}

// The first grid frame due at or after tick `ticks` (ceil(k F / r) >= ticks). For a tick that is
// itself a grid point this is the frame due there.
constexpr ULONGLONG grid_frame_at_or_after(ULONGLONG ticks, ULONG rate_hz) {
  return ticks == 0 ? 0 : grid_frames_passed(ticks - 1, rate_hz) + 1;
}

// Walks the frames of one grid (rate `from_hz`) and gives each one's position on another grid
// (rate `to_hz`) as whole frames plus remainder / from_hz: frame k sits at k * to_hz / from_hz.
// Exact rational arithmetic, so equal rates give remainder 0 on every frame and a stream that is
// never resampled is never interpolated.
class GridWalk {
 public:
  constexpr GridWalk(ULONGLONG from_frame, ULONG from_hz, ULONG to_hz)
      : whole_(mul_div_floor(from_frame, to_hz, from_hz)),
        remainder_(static_cast<ULONG>(static_cast<unsigned __int128>(from_frame) * to_hz % from_hz)),
        from_hz_(from_hz),
        step_whole_(to_hz / from_hz),
        step_remainder_(to_hz % from_hz) {}

  constexpr ULONGLONG whole() const { return whole_; }
  constexpr ULONG remainder() const { return remainder_; }
  // remainder / from_hz as a weight in [0, 1).
  constexpr double fraction() const { return static_cast<double>(remainder_) / from_hz_; }

  constexpr void next() {
    whole_ += step_whole_;
    remainder_ += step_remainder_;
    if (remainder_ >= from_hz_) {
      remainder_ -= from_hz_;
      ++whole_;
    }
  }

 private:
  ULONGLONG whole_;
  ULONG remainder_;
  ULONG from_hz_;
  ULONG step_whole_;
  ULONG step_remainder_;
};

// Linear interpolation at `fraction` of the way from `older` to `newer`, per channel. The codec
// interpolates between the two newest source frames a converter has finished, so a resampled
// stream is heard one of its own frames late: the price of never reading a frame before it
// passed. See docs/codec-stage.md, "Rate conversion".
inline void interpolate_frame(const double* older, const double* newer, double fraction, ULONG channels,
                              double* out) {
  for (ULONG c = 0; c < channels; ++c) out[c] = older[c] + (newer[c] - older[c]) * fraction;
}

}  // namespace wavert::codec
