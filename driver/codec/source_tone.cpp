// The tone source (source_tone.h).
#include "codec/source_tone.h"

#include <portcls.h>

#include "codec/sample_convert.h"
#include "common/tags.h"

namespace wavert::codec {
namespace {

constexpr double kHalfPi = 1.57079632679489661923;
constexpr double kLn10 = 2.30258509299404568402;

// Taylor series on [0, pi/2): the first omitted term is below (pi/2)^23 / 23! ~ 1.2e-18.
double sin_quarter(double x) {
  const double x2 = x * x;
  double term = x;
  double sum = x;
  for (int n = 2; n <= 22; n += 2) {
    term *= -x2 / static_cast<double>(n * (n + 1));
    sum += term;
  }
  return sum;
}

double cos_quarter(double x) {
  const double x2 = x * x;
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 21; n += 2) {
    term *= -x2 / static_cast<double>(n * (n + 1));
    sum += term;
  }
  return sum;
}

// exp(x) for x in [-28, 0]: exp(x / 64) from its series (|x / 64| < 0.44), squared six times.
double exp_nonpositive(double x) {
  const double y = x / 64.0;
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 24; ++n) {
    term *= y / n;
    sum += term;
  }
  for (int i = 0; i < 6; ++i) sum *= sum;
  return sum;
}

// Frames encoded per encode_samples() call: the stack holds kChunkFrames * kMaxChannels doubles.
constexpr ULONG kChunkFrames = 32;
constexpr ULONG kMaxChannels = 8;

}  // namespace

double sine_of_turns(double turns) {
  const double quarters = turns * 4.0;
  int quadrant = static_cast<int>(quarters);
  double within = quarters - quadrant;  // [0, 1)
  quadrant &= 3;
  const double x = within * kHalfPi;
  switch (quadrant) {
    case 0: return sin_quarter(x);
    case 1: return cos_quarter(x);
    case 2: return -sin_quarter(x);
    default: return -cos_quarter(x);
  }
}

double db_to_amplitude(LONG millidb) {
  if (millidb >= 0) return 1.0;
  return exp_nonpositive(static_cast<double>(millidb) / 20000.0 * kLn10);
}

ToneSource::ToneSource(ULONGLONG frequency_millihz, double amplitude)
    : frequency_millihz_(frequency_millihz), amplitude_(amplitude) {}

NTSTATUS ToneSource::create(ULONGLONG frequency_millihz, LONG level_millidbfs, ToneSource** out) {
  PAGED_CODE();
  *out = new (NonPagedPoolNx, tags::kSink) ToneSource(frequency_millihz, db_to_amplitude(level_millidbfs));
  return *out != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void ToneSource::read(const StreamFormat& format, void* bytes, ULONG frames) {
  if (format != format_) {
    format_ = format;
    frame_index_ = 0;
  }
  const ULONG channels = format.channels <= kMaxChannels ? format.channels : kMaxChannels;
  if (format.rate_hz == 0 || channels == 0) return;  // no frames to make in a format without any
  // One period is rate * 1000 millihertz-frames: phase(n) = (n * f_mHz mod period) / period,
  // exact in integers whatever n is.
  const ULONGLONG period = static_cast<ULONGLONG>(format.rate_hz) * 1000u;
  double samples[kChunkFrames * kMaxChannels];
  UCHAR* out = static_cast<UCHAR*>(bytes);
  ULONG done = 0;
  while (done < frames) {
    const ULONG chunk = frames - done < kChunkFrames ? frames - done : kChunkFrames;
    for (ULONG i = 0; i < chunk; ++i) {
      const unsigned __int128 product = static_cast<unsigned __int128>(frame_index_ + i) * frequency_millihz_;
      const ULONGLONG within = static_cast<ULONGLONG>(product % period);
      const double value = amplitude_ * sine_of_turns(static_cast<double>(within) / static_cast<double>(period));
      for (ULONG c = 0; c < channels; ++c) samples[i * channels + c] = value;
    }
    encode_samples(format, samples, chunk, out + static_cast<SIZE_T>(done) * format.block_align());
    frame_index_ += chunk;
    done += chunk;
  }
}

void ToneSource::destroy() {
  PAGED_CODE();
  delete this;
}

}  // namespace wavert::codec
