// RIFF/WAVE headers for the file sink and the file source (Microsoft "Multimedia Programming
// Interface and Data Specifications 1.0", RIFF WAVE form; WAVE_FORMAT_EXTENSIBLE from the
// "Multiple channel audio data and WAVE files" paper).
//
// Written headers, by format (the same format always gets the same header size, so a sink can
// rewrite it in place at the start of the file):
//   PCM, 1-2 channels, 8/16 bits, valid = container      WAVE_FORMAT_PCM          44 bytes
//   IEEE float, 1-2 channels                             WAVE_FORMAT_IEEE_FLOAT   58 bytes (+ fact)
//   anything else (more channels, 24/32-bit or 24-in-32)  WAVE_FORMAT_EXTENSIBLE   68 bytes, 80 for float
// A data chunk of odd length is followed by one pad byte, as RIFF requires; the RIFF size counts it.
//
// Pure functions: any IRQL, no allocation.
#pragma once

#include <ntddk.h>

#include "common/stream_format.h"

namespace wavert::codec {

inline constexpr ULONG kMaxWavHeaderBytes = 80;
inline constexpr USHORT kWaveFormatPcm = 0x0001;
inline constexpr USHORT kWaveFormatIeeeFloat = 0x0003;
inline constexpr USHORT kWaveFormatExtensible = 0xFFFE;

struct WavLayout {
  StreamFormat format;
  ULONG data_offset = 0;     // first byte of the first frame
  ULONGLONG data_bytes = 0;  // whole frames present in the file
};

// True for the formats the sink writes and the source reads: PCM 8/16/24/32-bit containers with
// valid bits 1..container (8-bit: exactly 8), float 32-bit, 1..8 channels, a non-zero rate.
bool wav_format_supported(const StreamFormat& format);
ULONG wav_header_bytes(const StreamFormat& format);
// The data bytes a RIFF file can hold in this format: its sizes are 32-bit.
ULONGLONG wav_max_data_bytes(const StreamFormat& format);
// Writes the header for `data_bytes` of data into `out`; returns its size (wav_header_bytes()).
ULONG build_wav_header(const StreamFormat& format, ULONGLONG data_bytes, UCHAR (&out)[kMaxWavHeaderBytes]);
// Reads the header at the start of a file of `file_bytes` from its first `length` bytes.
// STATUS_INVALID_PARAMETER for what is not a RIFF WAVE file, or one whose "fmt " or "data" chunk
// does not start within `length`; STATUS_NOT_SUPPORTED for a WAVE format outside
// wav_format_supported(). A data chunk longer than the file (a writer that never finalised it)
// is cut to the file; data_bytes is rounded down to whole frames.
[[nodiscard]] NTSTATUS parse_wav_header(const void* bytes, ULONG length, ULONGLONG file_bytes, WavLayout* out);

// The speaker positions of the usual layout for a channel count (KSAUDIO_SPEAKER_MONO, STEREO,
// ..., 7POINT1_SURROUND).
ULONG default_channel_mask(ULONG channels);

}  // namespace wavert::codec
