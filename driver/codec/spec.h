// Sink and source spec strings (endpoint_io.h): the grammar, parsed into a plain description
// that create_sink()/create_source() turn into objects. docs/sinks-and-sources.md has the grammar
// with examples.
//
//   sink   := "null" | "file:" PATH | "alsa:" DEVICE
//   source := "silence" | "tone:" HZ [ "," DBFS ] | "file:" PATH | "cable"
//   HZ     := digits [ "." 1..3 digits ]        1 .. 96000 Hz, kept exactly in millihertz
//   DBFS   := [ "-" ] digits [ "." 1..3 digits ] -120 .. 0 dB relative to full scale (peak)
//
// Kinds are lower case and exact; PATH and DEVICE are everything after the first ':' and must
// not be empty. Pure parsing: any IRQL, no allocation (the path points into the spec string).
#pragma once

#include <ntddk.h>

namespace wavert::codec {

enum class EndpointKind : UCHAR { Null, Silence, Tone, File, Alsa, Cable };

inline constexpr ULONGLONG kToneMinimumMilliHz = 1'000;           // 1 Hz
inline constexpr ULONGLONG kToneMaximumMilliHz = 96'000'000;      // 96 kHz: Nyquist of 192 kHz
inline constexpr LONG kToneMinimumMilliDbfs = -120'000;           // below 24-bit resolution
inline constexpr LONG kToneDefaultMilliDbfs = -6'000;             // loud but with 6 dB headroom
inline constexpr ULONG kMaxSpecPathChars = 1'024;

struct EndpointSpec {
  EndpointKind kind = EndpointKind::Null;
  const char* path = nullptr;  // File and Alsa: points into the parsed string, path_chars long
  ULONG path_chars = 0;
  ULONGLONG tone_millihz = 0;                   // Tone
  LONG tone_millidbfs = kToneDefaultMilliDbfs;  // Tone
};

// STATUS_INVALID_PARAMETER with a DbgPrintEx line that quotes the spec and says what is wrong.
[[nodiscard]] NTSTATUS parse_sink_spec(const char* spec, EndpointSpec* out);
[[nodiscard]] NTSTATUS parse_source_spec(const char* spec, EndpointSpec* out);

}  // namespace wavert::codec
