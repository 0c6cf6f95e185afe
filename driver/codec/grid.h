// Sample-grid arithmetic of the codec stage (hw/controller.h, "Time"): frame k of a rate-r grid
// is due at device tick ceil(k * kWallClockHz / r), every grid anchored at tick 0. Pure, any IRQL,
// 128-bit intermediates (common/muldiv.h).
#pragma once

#include <ntddk.h>

#include "common/muldiv.h"
#include "hw/controller.h"

namespace wavert::codec {

// Frames of the rate-`rate_hz` grid due by device tick `ticks` (ceil(k F / r) <= ticks):
// floor(ticks * r / F) + 1, frame 0 being due at tick 0.
constexpr ULONGLONG grid_frames_due(ULONGLONG ticks, ULONG rate_hz) {
  return mul_div_floor(ticks, rate_hz, hw::kWallClockHz) + 1;
}

// The first grid frame due at or after tick `ticks` (ceil(k F / r) >= ticks). For a tick that is
// itself a grid point this is the frame due there.
constexpr ULONGLONG grid_frame_at_or_after(ULONGLONG ticks, ULONG rate_hz) {
  return ticks == 0 ? 0 : grid_frames_due(ticks - 1, rate_hz);
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

// Linear interpolation between the two newest source frames at a position `fraction` of the way
// from `older` to `newer`, per channel. A resampled stream is therefore heard one of its own
// frames late (the newest frame due is the right-hand end of the interval): the price of never
// reading a frame before it is due. See docs/codec-stage.md, "Rate conversion".
inline void interpolate_frame(const double* older, const double* newer, double fraction, ULONG channels,
                              double* out) {
  for (ULONG c = 0; c < channels; ++c) out[c] = older[c] + (newer[c] - older[c]) * fraction;
}

}  // namespace wavert::codec
