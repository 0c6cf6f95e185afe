#include "codec/channel_map.h"

namespace wavert::codec {
namespace {

// -3 dB: a position folded into one other keeps its power when both are at full scale apart.
constexpr double kFoldWeight = 0.70710678118654752440;

constexpr ULONG kLeftPositions = speaker::kFrontLeft | speaker::kBackLeft | speaker::kFrontLeftOfCenter |
                                 speaker::kSideLeft | speaker::kTopFrontLeft | speaker::kTopBackLeft;
constexpr ULONG kRightPositions = speaker::kFrontRight | speaker::kBackRight | speaker::kFrontRightOfCenter |
                                  speaker::kSideRight | speaker::kTopFrontRight | speaker::kTopBackRight;

ULONG bit_count(ULONG mask) {
  ULONG count = 0;
  for (; mask != 0; mask &= mask - 1) ++count;
  return count;
}

ULONG standard_mask(ULONG channels) {
  switch (channels) {
    case 1: return speaker::kFrontCenter;
    case 2: return speaker::kFrontLeft | speaker::kFrontRight;
    case 3: return speaker::kFrontLeft | speaker::kFrontRight | speaker::kFrontCenter;
    case 4: return speaker::kFrontLeft | speaker::kFrontRight | speaker::kBackLeft | speaker::kBackRight;
    case 5: return 0x37;   // 5.0: FL FR FC BL BR
    case 6: return 0x3F;   // KSAUDIO_SPEAKER_5POINT1
    case 7: return 0x13F;  // 6.1: 5.1 + back centre
    case 8: return 0x63F;  // KSAUDIO_SPEAKER_7POINT1_SURROUND
    default: return 0;
  }
}

// Output channel carrying `position` in `mask`, or -1.
LONG channel_of(ULONG mask, ULONG position) {
  if ((mask & position) == 0) return -1;
  return static_cast<LONG>(bit_count(mask & (position - 1)));
}

// The n-th lowest set bit of `mask`.
ULONG position_of(ULONG mask, ULONG channel) {
  for (ULONG n = 0; mask != 0; mask &= mask - 1, ++n) {
    if (n == channel) return mask & (~mask + 1);
  }
  return 0;
}

void add_tap(ChannelMap* map, LONG output, ULONG input, double weight) {
  if (output < 0) return;
  ChannelMap::Output& o = map->outputs[output];
  o.taps[o.tap_count].input = static_cast<UCHAR>(input);
  o.taps[o.tap_count].weight = weight;
  ++o.tap_count;
}

}  // namespace

ULONG effective_channel_mask(const StreamFormat& format) {
  if (bit_count(format.channel_mask) == format.channels) return format.channel_mask;
  return standard_mask(format.channels);
}

void build_channel_map(const StreamFormat& from, const StreamFormat& to, ChannelMap* map) {
  *map = ChannelMap{};
  map->input_channels = from.channels;
  map->output_channels = to.channels;
  const ULONG in_mask = effective_channel_mask(from);
  const ULONG out_mask = effective_channel_mask(to);

  if (from.channels == to.channels && in_mask == out_mask) {
    map->identity = true;
    for (ULONG c = 0; c < to.channels; ++c) add_tap(map, static_cast<LONG>(c), c, 1.0);
    return;
  }

  if (from.channels == 1) {
    const LONG left = channel_of(out_mask, speaker::kFrontLeft);
    const LONG right = channel_of(out_mask, speaker::kFrontRight);
    if (left >= 0 || right >= 0) {
      add_tap(map, left, 0, 1.0);
      add_tap(map, right, 0, 1.0);
    } else {
      const LONG center = channel_of(out_mask, speaker::kFrontCenter);
      add_tap(map, center >= 0 ? center : 0, 0, 1.0);
    }
    return;
  }

  if (to.channels == 1) {
    ULONG inputs = 0;
    for (ULONG c = 0; c < from.channels; ++c) inputs += position_of(in_mask, c) != speaker::kLowFrequency;
    for (ULONG c = 0; c < from.channels; ++c) {
      if (position_of(in_mask, c) != speaker::kLowFrequency) add_tap(map, 0, c, 1.0 / inputs);
    }
    return;
  }

  const LONG front_left = channel_of(out_mask, speaker::kFrontLeft);
  const LONG front_right = channel_of(out_mask, speaker::kFrontRight);
  const LONG front_center = channel_of(out_mask, speaker::kFrontCenter);
  for (ULONG c = 0; c < from.channels; ++c) {
    const ULONG position = position_of(in_mask, c);
    const LONG same = channel_of(out_mask, position);
    if (same >= 0) {
      add_tap(map, same, c, 1.0);
    } else if (position == speaker::kLowFrequency) {
      // No subwoofer: its band is not reproduced by small speakers anyway (what Windows' downmix
      // does by default).
    } else if (position & kLeftPositions) {
      add_tap(map, front_left >= 0 ? front_left : front_center, c, kFoldWeight);
    } else if (position & kRightPositions) {
      add_tap(map, front_right >= 0 ? front_right : front_center, c, kFoldWeight);
    } else if (front_left >= 0 && front_right >= 0) {
      add_tap(map, front_left, c, kFoldWeight);
      add_tap(map, front_right, c, kFoldWeight);
    } else {
      add_tap(map, front_center, c, kFoldWeight);
    }
  }
}

void mix_mapped(const ChannelMap& map, const double* in, ULONG frames, double* out) {
  const ULONG in_channels = map.input_channels;
  const ULONG out_channels = map.output_channels;
  if (map.identity) {
    const ULONG count = frames * out_channels;
    for (ULONG i = 0; i < count; ++i) out[i] += in[i];
    return;
  }
  for (ULONG f = 0; f < frames; ++f, in += in_channels, out += out_channels) {
    for (ULONG o = 0; o < out_channels; ++o) {
      const ChannelMap::Output& output = map.outputs[o];
      for (ULONG t = 0; t < output.tap_count; ++t) out[o] += in[output.taps[t].input] * output.taps[t].weight;
    }
  }
}

void copy_mapped(const ChannelMap& map, const double* in, ULONG frames, double* out) {
  const ULONG in_channels = map.input_channels;
  const ULONG out_channels = map.output_channels;
  if (map.identity) {
    RtlCopyMemory(out, in, sizeof(double) * frames * out_channels);
    return;
  }
  for (ULONG f = 0; f < frames; ++f, in += in_channels, out += out_channels) {
    for (ULONG o = 0; o < out_channels; ++o) {
      const ChannelMap::Output& output = map.outputs[o];
      if (output.tap_count == 1 && output.taps[0].weight == 1.0) {
        out[o] = in[output.taps[0].input];  // a plain route stays exact, -0.0 included
        continue;
      }
      double sum = 0.0;
      for (ULONG t = 0; t < output.tap_count; ++t) sum += in[output.taps[t].input] * output.taps[t].weight;
      out[o] = sum;
    }
  }
}

}  // namespace wavert::codec
