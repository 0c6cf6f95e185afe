// 64-bit time and position arithmetic with 128-bit intermediates (DESIGN.md: "no overflow for any
// uptime a machine can reach").
//
// frames = ticks * rate / frequency overflows 64 bits after 2^64 / (24 MHz * 192 kHz) s, about an
// hour, when done naively; QPC (10 MHz) times 24 MHz overflows after ~21 h. Every conversion between
// time bases goes through these helpers. unsigned __int128 compiles on g++/clang for both the host
// and mingw-w64 (the Windows build links libgcc's __udivti3 for the division).
#pragma once

#include <ntddk.h>

namespace wavert {

// floor(a * b / c). c must be non-zero; the quotient must fit 64 bits (true for every conversion
// in the driver: results are positions and tick counts of real durations).
inline constexpr ULONGLONG mul_div_floor(ULONGLONG a, ULONGLONG b, ULONGLONG c) {
  return static_cast<ULONGLONG>((static_cast<unsigned __int128>(a) * b) / c);
}

// ceil(a * b / c).
inline constexpr ULONGLONG mul_div_ceil(ULONGLONG a, ULONGLONG b, ULONGLONG c) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<ULONGLONG>((product + c - 1) / c);
}

inline constexpr ULONGLONG round_up(ULONGLONG value, ULONGLONG multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

}  // namespace wavert
