// The wave filters' KS description: pins, data ranges, internal connections and categories, as
// device/filters.h lays them out. The tables that do not depend on the device's parameters are
// constants; pin instance limits come from DeviceParams, so each miniport fills its own copy.
#pragma once

#include <portcls.h>

#include "device/params.h"
#include "wave/wave_miniport.h"

namespace wavert::wave {

// The streaming pins' data ranges: PCM 8..32 bits and IEEE float 32 bits, 1..8 channels,
// 8..192 kHz, specifier WAVEFORMATEX (which covers WAVEFORMATEXTENSIBLE, KS's rule).
inline constexpr ULONG kStreamRangeCount = 2;
extern const PKSDATARANGE kStreamRanges[kStreamRangeCount];

inline constexpr ULONG kMaxWavePins = 3;

// One wave filter's description, owned by its miniport (GetDescription returns &filter).
struct FilterTables {
  PCPIN_DESCRIPTOR pins[kMaxWavePins];
  PCFILTER_DESCRIPTOR filter;
};

// Fills `out` for `which` with the instance limits of `params`.
void describe_filter(WaveFilter which, const DeviceParams& params, FilterTables* out);

// True for the pins that stream (render, loopback, capture), false for bridge pins.
bool is_streaming_pin(WaveFilter which, ULONG pin);

}  // namespace wavert::wave
