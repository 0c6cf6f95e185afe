// Register map of the virtual controller: the stream descriptor and controller registers of the
// Intel High Definition Audio Specification rev. 1.0a, §3.3, plus wavert's extensions (each
// marked EXTENSION with the reason). docs/virtual-controller.md describes their behaviour.
//
// The register page is one page of physically contiguous non-cached memory owned by the
// controller model (MmAllocateContiguousMemorySpecifyCache), so that the WaveRT port can map the
// position (LPIB) and clock (WALCLK) registers for clients exactly as it maps a real device's BAR.
// Offsets are from the start of that page.
#pragma once

#include <ntddk.h>

namespace wavert::hw {

// ---- Controller registers (§3.3.1 ff) ------------------------------------------------------------
enum ControllerRegister : ULONG {
  kIntctl = 0x20,  // §3.3.14 Interrupt Control: bit n = SIE for stream n, bit 31 GIE
  kIntsts = 0x24,  // §3.3.15 Interrupt Status: bit n = SIS for stream n, bit 31 GIS
  kWalclk = 0x30,  // §3.3.16 Wall Clock Counter: 32 bits at 24 MHz, from the device oscillator
};

// INTCTL / INTSTS bits. HDA has SIE/SIS bits for streams 0..29 only; descriptors 30 and up
// (EXTENSION) raise GIS without a SIS bit of their own.
inline constexpr ULONG kIntGlobal = 1u << 31;  // GIE / GIS
inline constexpr ULONG kIntStreamBits = 30;

// ---- Stream descriptors (§3.3.35 - §3.3.43) ------------------------------------------------------
// "The first stream descriptor starts at 0x80; each is 0x20 bytes" (§3.3). The model has up to
// kMaxStreamDescriptors of them (EXTENSION: HDA allows 30; wavert mixes up to 64 render streams
// and needs capture streams besides, so the page holds 96 descriptors: 0x80 + 96 * 0x20 = 0xC80).
inline constexpr ULONG kStreamDescriptorBase = 0x80;
inline constexpr ULONG kStreamDescriptorStride = 0x20;
inline constexpr ULONG kMaxStreamDescriptors = 96;

enum StreamRegister : ULONG {
  kSdCtl = 0x00,    // 24 bits: SRST 0, RUN 1, IOCE 2, FEIE 3, DEIE 4, STRM 23:20
  kSdSts = 0x03,    // BCIS 2, FIFOE 3, DESE 4, FIFORDY 5 (write 1 to clear)
  kSdLpib = 0x04,   // Link Position in Buffer: bytes, wraps at CBL
  kSdCbl = 0x08,    // Cyclic Buffer Length: bytes
  kSdLvi = 0x0C,    // Last Valid Index of the BDL (16 bits)
  kSdFifos = 0x10,  // FIFO Size: bytes (read only)
  kSdFmt = 0x12,    // Stream Format (16 bits), hw/format_register.h
  kSdRate = 0x14,   // EXTENSION: reserved in HDA; the rate in Hz when FMT.MULT = 111
  kSdBdpl = 0x18,   // BDL Pointer Lower: bits 31:7 (128-byte aligned)
  kSdBdpu = 0x1C,   // BDL Pointer Upper
};

inline constexpr ULONG stream_register(ULONG stream_index, StreamRegister reg) {
  return kStreamDescriptorBase + stream_index * kStreamDescriptorStride + reg;
}

static_assert(stream_register(kMaxStreamDescriptors - 1, kSdBdpu) + 4 <= PAGE_SIZE,
              "every stream descriptor fits the register page");

// SDnCTL bits (§3.3.35).
inline constexpr ULONG kCtlSrst = 1u << 0;
inline constexpr ULONG kCtlRun = 1u << 1;
inline constexpr ULONG kCtlIoce = 1u << 2;
inline constexpr ULONG kCtlFeie = 1u << 3;
inline constexpr ULONG kCtlDeie = 1u << 4;
inline constexpr ULONG kCtlStrmShift = 20;

// SDnSTS bits (§3.3.36).
inline constexpr UCHAR kStsBcis = 1u << 2;
inline constexpr UCHAR kStsFifoe = 1u << 3;
inline constexpr UCHAR kStsDese = 1u << 4;
inline constexpr UCHAR kStsFifordy = 1u << 5;

// A buffer descriptor list entry (§3.6.3): 16 bytes, 128-byte aligned list of up to 256 entries.
struct BufferDescriptor {
  ULONGLONG address;  // physical address of the buffer fragment
  ULONG length;       // bytes
  ULONG flags;        // bit 0: IOC, interrupt on completion
};
static_assert(sizeof(BufferDescriptor) == 16, "HDA §3.6.3: a BDL entry is 16 bytes");
inline constexpr ULONG kBdlIoc = 1u << 0;
// EXTENSION: HDA allows 256 entries; a scattered 2 MiB buffer split at packet boundaries needs more,
// so the model walks lists of up to 1024 (16 KiB, still one contiguous allocation).
inline constexpr ULONG kMaxBdlEntries = 1024;

}  // namespace wavert::hw
