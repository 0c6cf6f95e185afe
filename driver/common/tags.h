// Pool tags, one per kind of allocation, so a leak report names what leaked. Multi-character
// constants read backwards in a pool dump: 'tRvW' shows as "WvRt".
#pragma once

#include <ntddk.h>

namespace wavert::tags {

inline constexpr ULONG kAdapter = 'dAvW';     // adapter object, Device
inline constexpr ULONG kController = 'tCvW';  // controller model, register page bookkeeping
inline constexpr ULONG kBdl = 'lBvW';         // buffer descriptor lists (contiguous)
inline constexpr ULONG kFifo = 'iFvW';        // stream FIFOs
inline constexpr ULONG kCodec = 'dCvW';       // codec stage, mix buffers
inline constexpr ULONG kSink = 'kSvW';        // sinks and sources, their rings
inline constexpr ULONG kWave = 'aWvW';        // wave miniport and streams
inline constexpr ULONG kTopology = 'oTvW';    // topology miniport
inline constexpr ULONG kNotify = 'oNvW';      // notification event list entries
inline constexpr ULONG kParams = 'aPvW';      // registry strings

}  // namespace wavert::tags
