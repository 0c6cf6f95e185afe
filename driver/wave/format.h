// Wave formats at the pin boundary: KSDATAFORMAT + WAVEFORMATEX(TENSIBLE) from a client, checked
// field by field and turned into the driver's StreamFormat (common/stream_format.h); and the data
// range intersection that answers KSPROPERTY_PIN_DATAINTERSECTION with the best format a client's
// range allows.
//
// What the device takes (issue 4 §4): PCM with 8, 16, 24 (packed), 24-in-32 and 32 bits, IEEE
// float with 32 bits; 1..8 channels with a standard channel mask; 8 kHz..192 kHz.
//
// Pure functions: any IRQL, no allocation.
#pragma once

#include <portcls.h>
// mmreg.h first: the WDK's (and mingw's) ksmedia.h declare the wave-format KS structures only when
// mmreg.h came before them.
#include <mmreg.h>
#include <ksmedia.h>

#include "common/stream_format.h"

namespace wavert::wave {

// KSDATAFORMAT followed by WAVEFORMATEXTENSIBLE: the format a pin is created with and what
// intersection answers. ksmedia.h names it KSDATAFORMAT_WAVEFORMATEXTENSIBLE, but not every
// header set has it (mingw-w64's does not), so the driver declares the layout itself.
#pragma pack(push, 1)
struct WaveFormatExtensibleKs {
  KSDATAFORMAT DataFormat;
  WAVEFORMATEXTENSIBLE WaveFormatExt;
};
#pragma pack(pop)
static_assert(sizeof(WaveFormatExtensibleKs) == 104, "KSDATAFORMAT (64) + WAVEFORMATEXTENSIBLE (40)");
inline constexpr ULONG kWaveFormatExBytes = sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX);  // 82

inline constexpr ULONG kMinChannels = 1;
inline constexpr ULONG kMaxChannels = 8;
inline constexpr ULONG kMinRateHz = 8'000;
inline constexpr ULONG kMaxRateHz = 192'000;

// The KSAUDIO_SPEAKER_* mask Windows pairs with a bare channel count (mono, stereo, 3.0, quad,
// 5.0, 5.1, 6.1, 7.1 surround) -- what a plain WAVEFORMATEX gets and what intersection offers.
ULONG default_channel_mask(ULONG channels);

// True when `mask` is a standard layout for `channels` channels: the default above, or the other
// KSAUDIO_SPEAKER_* names of the same count (2.1, surround 4.0, 5.1 with side speakers, 7.1 wide).
bool is_standard_channel_mask(ULONG channels, ULONG mask);

// Checks `format` (FormatSize bytes at `format`) exactly and converts it.
//   FormatSize too small for the WAVEFORMATEX(TENSIBLE) it announces, cbSize too small for
//   EXTENSIBLE                                                  -> STATUS_INVALID_BUFFER_SIZE
//   MajorFormat / Specifier not audio + WAVEFORMATEX, SubFormat disagreeing with the tag,
//   nBlockAlign != channels * bits / 8, nAvgBytesPerSec != rate * nBlockAlign (computed, never
//   trusted), valid bits above the container or 0              -> STATUS_INVALID_PARAMETER
//   a consistent format the device does not do (tag, channel count, bit depth, valid bits other
//   than the container's or 24-in-32, float other than 32/32, rate, non-standard mask)
//                                                              -> STATUS_NOT_SUPPORTED
[[nodiscard]] NTSTATUS stream_format_from_ks(const KSDATAFORMAT* format, StreamFormat* out);

// Fills a KSDATAFORMAT_WAVEFORMATEXTENSIBLE describing `format`.
void ks_format_from_stream(const StreamFormat& format, WaveFormatExtensibleKs* out);

// The best format both `client` (any KSDATARANGE, a KSDATARANGE_AUDIO when its FormatSize says
// so, wildcards allowed) and `pin` (one of this driver's KSDATARANGE_AUDIO) allow: the most
// channels, the widest sample and the highest rate both ranges admit, with the standard mask.
// STATUS_NO_MATCH when they do not overlap.
[[nodiscard]] NTSTATUS best_format_in_ranges(const KSDATARANGE* client, const KSDATARANGE_AUDIO* pin,
                                             StreamFormat* out);

}  // namespace wavert::wave
