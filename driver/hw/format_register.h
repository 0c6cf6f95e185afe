// SDnFMT, the stream format register (HDA rev. 1.0a §3.7.1 "Stream Format Structure"), and the
// wavert extensions to it. docs/virtual-controller.md, "FMT", has the table.
//
//   bit 15     TYPE  0: PCM (1, non-PCM, is not modelled: STATUS_INVALID_PARAMETER)
//   bit 14     BASE  0: 48 kHz, 1: 44.1 kHz
//   bits 13:11 MULT  000 x1, 001 x2, 010 x3, 011 x4; 1xx reserved by HDA
//   bits 10:8  DIV   000 /1 ... 111 /8
//   bit 7      reserved by HDA              EXTENSION: FLOAT (IEEE binary32, needs BITS = 100)
//   bits 6:4   BITS  000 8, 001 16, 010 20 (in 32), 011 24 (in 32), 100 32; 101-111 reserved
//                                           EXTENSION: 101 = 24 bits packed in a 3-byte container
//   bits 3:0   CHAN  channels - 1
//
// EXTENSION (rates HDA cannot express, e.g. 37.8 kHz or 12.345 kHz): MULT = 111 selects the rate in
// SDnRATE (kSdRate, the descriptor's reserved dword at 0x14) in Hz; BASE and DIV are 0 then.
// Pure functions, any IRQL.
#pragma once

#include <ntddk.h>

#include "common/stream_format.h"

namespace wavert::hw {

inline constexpr USHORT kFmtBase44k1 = 1u << 14;
inline constexpr ULONG kFmtMultShift = 11;
inline constexpr ULONG kFmtDivShift = 8;
inline constexpr USHORT kFmtFloat = 1u << 7;  // EXTENSION
inline constexpr ULONG kFmtBitsShift = 4;
inline constexpr USHORT kFmtMultRateRegister = 7;  // EXTENSION: MULT = 111, rate in SDnRATE
inline constexpr USHORT kFmtBitsPacked24 = 5;      // EXTENSION: BITS = 101

// The lowest and highest rates the model's converters run at (StreamFormat's range).
inline constexpr ULONG kMinRateHz = 8000;
inline constexpr ULONG kMaxRateHz = 192000;

struct FormatRegisters {
  USHORT fmt = 0;   // SDnFMT
  ULONG rate = 0;   // SDnRATE (EXTENSION): the rate in Hz when FMT.MULT = 111, else 0
};

// STATUS_INVALID_PARAMETER for a format the FMT register cannot carry (channels outside 1..8,
// a container/valid-bits pair HDA and the extensions lack, a rate outside 8..192 kHz).
[[nodiscard]] NTSTATUS encode_stream_format(const StreamFormat& format, FormatRegisters* out);

// The format the registers describe. channel_mask is not in FMT (HDA carries channel placement
// in the codec's converters, not the stream): it is returned as 0. STATUS_INVALID_PARAMETER for
// reserved encodings.
[[nodiscard]] NTSTATUS decode_stream_format(const FormatRegisters& registers, StreamFormat* out);

}  // namespace wavert::hw
