// Data formats from untrusted callers: validation, matching against a pin's data ranges, and the
// port's default audio data intersection. Pure functions over byte spans (no locks, no state), so
// the WaveRT port can reuse them for KSPROPERTY_CONNECTION_DATAFORMAT.
#pragma once

#include <cstddef>
#include <span>

#include <portcls.h>

#include "filter_description.hpp"

namespace wavert::portcls {

// Checks a KSDATAFORMAT (plus its specifier part and optional attribute list) that fills
// `bytes` exactly, as KS checks a pin-create format (statuses in docs/host-portcls.md):
//   bytes < 64 or FormatSize < 64 or FormatSize > bytes            -> STATUS_INVALID_BUFFER_SIZE
//   Reserved != 0, a wildcard GUID, SPECIFIER_NONE with extra bytes -> STATUS_INVALID_PARAMETER_6
//   KSDATAFORMAT_ATTRIBUTES with a missing / malformed list, or
//   bytes beyond FormatSize without the flag                        -> STATUS_INVALID_PARAMETER
//   an audio WAVEFORMATEX(TENSIBLE) that is inconsistent            -> see validate_wave_format
[[nodiscard]] NTSTATUS validate_data_format(std::span<const std::byte> bytes);

// The WAVEFORMATEX rules for a KSDATAFORMAT with MajorFormat AUDIO and Specifier WAVEFORMATEX:
//   FormatSize below 64 + sizeof(WAVEFORMATEX), or 64 + 18 + cbSize beyond FormatSize
//                                                                   -> STATUS_INVALID_BUFFER_SIZE
//   nChannels 0, nSamplesPerSec 0, wBitsPerSample 0 or not a multiple of 8 (PCM/float),
//   nBlockAlign != nChannels * wBitsPerSample / 8, nAvgBytesPerSec != nSamplesPerSec * nBlockAlign,
//   WAVE_FORMAT_EXTENSIBLE with cbSize < 22, wValidBitsPerSample > wBitsPerSample, more channel
//   mask bits than channels, KSDATAFORMAT.SubFormat disagreeing with the tag / SubFormat,
//   IEEE float with other than 32 or 64 bits                         -> STATUS_INVALID_PARAMETER
// An unknown subformat is not malformed: it simply matches no range (STATUS_NO_MATCH later).
[[nodiscard]] NTSTATUS validate_wave_format(const KSDATAFORMAT& format);

// True when `format` (validated) lies in `range`: GUIDs equal or the range's wildcards, and for
// KSDATARANGE_AUDIO ranges channels <= MaximumChannels, wBitsPerSample and nSamplesPerSec inside
// the closed ranges. Attribute lists: every attribute the range marks KSATTRIBUTE_REQUIRED (or all,
// with KSDATARANGE_REQUIRED_ATTRIBUTES) must appear in the format's list, and the format may carry
// no attribute the range does not list.
bool format_in_range(const KSDATAFORMAT& format, std::span<const std::byte> format_bytes, const DataRangeView& range);

// GUID part of range intersection: each of major/sub/specifier equal or a wildcard on either side.
bool ranges_overlap(const KSDATARANGE& a, const KSDATARANGE& b);

// The port's own intersection for audio ranges (used when the miniport's DataRangeIntersection
// returns STATUS_NOT_IMPLEMENTED): the highest channel count, bit depth and sample rate both
// ranges allow, as KSDATAFORMAT_WAVEFORMATEX for <= 2 channels of 8/16-bit PCM and as
// KSDATAFORMAT_WAVEFORMATEXTENSIBLE otherwise. `out` empty: size query (STATUS_BUFFER_OVERFLOW,
// *bytes = size); too small: STATUS_BUFFER_TOO_SMALL; no overlap: STATUS_NO_MATCH.
[[nodiscard]] NTSTATUS default_audio_intersection(const KSDATARANGE& client, const KSDATARANGE& pin,
                                                  std::span<std::byte> out, ULONG* bytes);

// The KSAUDIO_SPEAKER_* mask Windows uses for a plain channel count (mono, stereo, quad, 5.1, 7.1);
// the lowest `channels` speaker bits for other counts.
DWORD default_channel_mask(ULONG channels);

}  // namespace wavert::portcls
