// Channel mapping between two stream formats by their speaker positions (WAVEFORMATEXTENSIBLE
// dwChannelMask: channel n carries the n-th lowest set SPEAKER_* bit). Pure, any IRQL.
//
// Rules, in order:
//   * the same count and positions: identity (each output channel is its input channel, weight
//     exactly 1, so a sample passes bit for bit);
//   * mono in: the sample goes to the front left and front right outputs (front centre when
//     the output has neither; channel 0 when it has no front channel at all);
//   * mono out: the average of every input channel except LFE;
//   * otherwise each input channel goes to the output channel at its position; an input
//     position the output lacks is folded at -3 dB: left-side positions into front left,
//     right-side into front right, centre positions into both (into front centre where the
//     output has no left/right); LFE is dropped when the output has none.
// A mask whose bit count differs from the channel count is replaced by the standard layout for
// the count (KSAUDIO_SPEAKER_MONO, STEREO, 3.0, QUAD, 5.0, 5POINT1, 6.1, 7POINT1_SURROUND).
#pragma once

#include <ntddk.h>

#include "codec/codec_stage.h"
#include "common/stream_format.h"

namespace wavert::codec {

// SPEAKER_* positions (mmreg.h) the mapping distinguishes; spelled here so the header does not
// depend on which of the host's / mingw's mmreg.h is in scope.
namespace speaker {
inline constexpr ULONG kFrontLeft = 0x1;
inline constexpr ULONG kFrontRight = 0x2;
inline constexpr ULONG kFrontCenter = 0x4;
inline constexpr ULONG kLowFrequency = 0x8;
inline constexpr ULONG kBackLeft = 0x10;
inline constexpr ULONG kBackRight = 0x20;
inline constexpr ULONG kFrontLeftOfCenter = 0x40;
inline constexpr ULONG kFrontRightOfCenter = 0x80;
inline constexpr ULONG kBackCenter = 0x100;
inline constexpr ULONG kSideLeft = 0x200;
inline constexpr ULONG kSideRight = 0x400;
inline constexpr ULONG kTopCenter = 0x800;
inline constexpr ULONG kTopFrontLeft = 0x1000;
inline constexpr ULONG kTopFrontCenter = 0x2000;
inline constexpr ULONG kTopFrontRight = 0x4000;
inline constexpr ULONG kTopBackLeft = 0x8000;
inline constexpr ULONG kTopBackCenter = 0x10000;
inline constexpr ULONG kTopBackRight = 0x20000;
}  // namespace speaker

// The mask the mapping uses for `format` (its own when it names exactly `channels` positions).
ULONG effective_channel_mask(const StreamFormat& format);

struct ChannelMap {
  struct Tap {
    UCHAR input;    // input channel
    double weight;  // 1.0 exactly for a plain route
  };
  struct Output {
    ULONG tap_count;
    Tap taps[kMaxChannels];
  };
  ULONG input_channels;
  ULONG output_channels;
  bool identity;  // input_channels == output_channels and output n is input n at weight 1
  Output outputs[kMaxChannels];
};

void build_channel_map(const StreamFormat& from, const StreamFormat& to, ChannelMap* map);

// Adds `frames` interleaved input frames, mapped, to the interleaved output frames at `out`.
void mix_mapped(const ChannelMap& map, const double* in, ULONG frames, double* out);
// Writes `frames` mapped frames to `out` (outputs with no tap become 0.0).
void copy_mapped(const ChannelMap& map, const double* in, ULONG frames, double* out);

}  // namespace wavert::codec
