// Sample conversion between a stream's byte format and the codec stage's working representation.
//
// The codec stage works on interleaved `double` samples normalised to [-1, 1): an N-bit integer
// sample v becomes v / 2^(N-1) (8-bit PCM is unsigned: (v - 128) / 128), a float sample is widened
// as is. Both directions are exact for every integer width up to 32 bits and for binary32, so a
// stream that passes the codec at unity gain comes out bit for bit as it went in (the loopback and
// cable guarantee). Encoding rounds to nearest and saturates at the container's range; float output
// is not clamped (IEEE float may exceed full scale, as Windows' float mix does).
//
// Pure functions: any IRQL, no allocation.
#pragma once

#include <ntddk.h>

#include "common/stream_format.h"

namespace wavert::codec {

// Decodes `frames` frames of `format` at `bytes` into `samples` (frames * channels doubles).
void decode_samples(const StreamFormat& format, const void* bytes, ULONG frames, double* samples);

// Encodes `frames` frames of normalised samples into `format` at `bytes`.
void encode_samples(const StreamFormat& format, const double* samples, ULONG frames, void* bytes);

}  // namespace wavert::codec
