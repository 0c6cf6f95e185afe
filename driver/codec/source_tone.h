// The `tone:HZ[,DBFS]` source: a sine of HZ (to a thousandth of a hertz) at DBFS peak level on
// every channel.
//
// Exact over any run length: the phase of frame n is (n * HZ / rate) mod 1, computed in integers
// (millihertz, 128-bit product) for every frame, so nothing accumulates and an hour-long run has
// the frequency of its first second. The sine itself is a polynomial (no libm in the kernel):
// the quadrant is taken from the exact phase, and sin/cos on [0, pi/2) are Taylor series carried
// to 1e-17, below the resolution of any output format.
//
// The frame index counts from the first read() in a format and restarts at 0 when the codec
// changes the format (the phase then jumps, as any change of rate makes it do).
#pragma once

#include <ntddk.h>

#include "codec/endpoint_io.h"
#include "common/pool_object.h"

namespace wavert::codec {

class ToneSource final : public Source, public PoolObject {
 public:
  // PASSIVE_LEVEL. The frequency and level were range-checked by the spec parser.
  [[nodiscard]] static NTSTATUS create(ULONGLONG frequency_millihz, LONG level_millidbfs, ToneSource** out);

  void read(const StreamFormat& format, void* bytes, ULONG frames) override;
  void destroy() override;
  ULONGLONG starved_frames() const override { return 0; }

  double amplitude() const { return amplitude_; }  // linear peak, full scale 1.0

 private:
  ToneSource(ULONGLONG frequency_millihz, double amplitude);
  ~ToneSource() = default;

  const ULONGLONG frequency_millihz_;
  const double amplitude_;
  // Touched only by the codec's DPC.
  StreamFormat format_{};
  ULONGLONG frame_index_ = 0;
};

// sin(2 * pi * turns) for turns in [0, 1). Pure; any IRQL.
double sine_of_turns(double turns);
// 10^(millidb / 20000): a level in thousandths of a dB as a linear amplitude. Pure.
double db_to_amplitude(LONG millidb);

}  // namespace wavert::codec
