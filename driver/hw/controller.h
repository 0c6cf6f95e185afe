// The virtual controller: an HDA-style audio controller with scatter/gather stream DMA, modelled
// at register level (hw/registers.h, docs/virtual-controller.md).
//
//   Controller      -- owns the register page, the device oscillator, the wall clock, the DMA
//                      engine's timer and the stream descriptors; raises stream interrupts.
//   StreamDescriptor -- one DMA stream: registers (CTL, STS, LPIB, CBL, LVI, FIFOS, FMT, BDPL/U),
//                      its FIFO, its position on the device's sample grid.
//
// Time. The device runs from its own oscillator, nominally kWallClockHz, `oscillator_ppm` off
// nominal. Device time is a pure function of the host's performance counter:
//     device_ticks(qpc) = (qpc - qpc_at_power_on) * kWallClockHz * (1e6 + ppm) / (1e6 * qpc_hz)
// computed with 128-bit intermediates (common/muldiv.h). WALCLK is its low 32 bits. Every rate's
// sample grid is anchored at device tick 0: frame k of a rate-r stream is due at tick
// ceil(k * kWallClockHz / r). A stream that enters RUN starts on the next grid frame of its own
// rate, so streams of equal rate are frame-aligned with each other (what makes loopback and cable
// bit-exact), and its position is grid_frame(now) - anchor: computed, never accumulated.
//
// DMA. One engine timer (a high-resolution EX_TIMER, periodic) drives everything: each expiry, in
// its DPC, the engine (1) moves every running render stream's due bursts from memory into its FIFO
// by walking the BDL's physical addresses, (2) runs the codec stage up to the current device time
// (the DAC takes frames from render FIFOs, the ADC puts frames into capture FIFOs), (3) moves every
// running capture stream's full bursts from its FIFO to memory, (4) raises BCIS for each BDL entry
// with IOC that completed and calls the stream's interrupt handler. LPIB is written per burst.
// The same code runs under Windows and on the host; only the kernel underneath differs.
#pragma once

#include <ntddk.h>

#include "common/pool_object.h"
#include "common/stream_format.h"
#include "hw/registers.h"

namespace wavert::codec {
class CodecStage;
}

namespace wavert::hw {

// HDA §3.3.16: "The Wall Clock Counter ... increments at the 24 MHz rate".
inline constexpr ULONG kWallClockHz = 24'000'000;

struct ControllerConfig {
  // Offset of the device's crystal from nominal in parts per million (-1000..1000). 0: exact.
  LONG oscillator_ppm = 0;
  // Period of the DMA engine's timer. 1000 us moves 48 kHz stereo 16-bit in 192-byte steps; the
  // engine shortens it to the shortest notification period of a running stream (not below 100 us)
  // so that an event is never more than one packet late.
  ULONG dma_tick_us = 1000;
  // Bytes one DMA burst moves between memory and a FIFO (HDA controllers fetch 64 or 128).
  ULONG burst_bytes = 128;
  // Render FIFO depth in bursts: how far the DMA runs ahead of the DAC (and capture behind the ADC).
  ULONG fifo_bursts = 2;
};

// What a stream descriptor carries, from the codec's point of view.
enum class StreamRoute : UCHAR {
  SpeakerRender,     // render stream mixed into the speaker output
  SpeakerLoopback,   // capture stream fed with the speaker output
  MicrophoneCapture, // capture stream fed from the microphone's source
};

class StreamDescriptor;

// Called at DISPATCH_LEVEL from the engine's DPC when the stream's SDnSTS has BCIS (or FIFOE)
// set and its CTL.IOCE is on -- the model's interrupt. Like an ISR it may only read and clear
// registers (StreamDescriptor::acknowledge_interrupt) and queue a DPC; it must not call back
// into the controller otherwise.
typedef void StreamInterruptHandler(void* context, StreamDescriptor* stream, UCHAR status);

class StreamDescriptor {
 public:
  ULONG index() const;         // n in SDn; the STRM tag is n + 1
  StreamRoute route() const;
  bool capture() const { return route() != StreamRoute::SpeakerRender; }

  // ---- Programming, while not running (PASSIVE_LEVEL) ---------------------------------------
  // FMT (HDA §3.7.1; float and rates HDA cannot express are wavert extensions), the BDL's
  // physical address (BDPL/BDPU, 128-byte aligned, entries read from memory when the stream
  // starts and while it runs), CBL = sum of the entries' lengths, LVI = entry count - 1.
  // STATUS_INVALID_DEVICE_STATE while running; STATUS_INVALID_PARAMETER for a format, BDL or
  // length the model cannot take (the controller checks the list, as DESE would report).
  [[nodiscard]] NTSTATUS program(const StreamFormat& format, PHYSICAL_ADDRESS bdl, ULONG cyclic_bytes,
                                 ULONG last_valid_index);
  // Re-programs FMT only (SetFormat while stopped). STATUS_INVALID_DEVICE_STATE while running.
  [[nodiscard]] NTSTATUS set_format(const StreamFormat& format);
  const StreamFormat& format() const;

  // ---- Run control (<= DISPATCH_LEVEL) -------------------------------------------------------
  // CTL.RUN = 1: DMA starts at the next engine tick; the position continues from where it was
  // (0 after reset), anchored to the next grid frame of the stream's rate.
  void start();
  // CTL.RUN = 0: DMA stops at a burst boundary; position, LPIB and FIFO keep their values (PAUSE).
  void stop();
  // CTL.SRST: stops DMA, empties the FIFO, LPIB = 0, position and byte/interrupt counters = 0
  // (KSSTATE_STOP).
  void reset();
  bool running() const;

  // ---- Interrupts ----------------------------------------------------------------------------
  // CTL.IOCE and the handler. Set before start().
  void set_interrupt_handler(StreamInterruptHandler* handler, void* context);
  // Reads SDnSTS and writes 1s back to clear what was read (what an ISR does). Returns the bits.
  UCHAR acknowledge_interrupt();

  // ---- Registers for clients -------------------------------------------------------------------
  // LPIB inside the register page (GetPositionRegister maps it), and the register page's physical
  // address of it.
  volatile ULONG* lpib_register() const;
  // Bytes LPIB may lag the true DMA position: what one engine tick moves, rounded up to bursts.
  ULONG position_accuracy_bytes() const;
  ULONG fifo_bytes() const;  // SDnFIFOS: the render lead / capture lag of the DMA, in bytes

  // ---- Pure functions of device time (any IRQL) ----------------------------------------------
  // Frames that passed the DAC (render) or left the ADC (capture) since reset, at device time
  // `device_ticks`: exact to one frame, since the grid is computed, not sampled.
  ULONGLONG converter_frames_at(ULONGLONG device_ticks) const;
  // Bytes the DMA has moved between memory and FIFO since reset (not wrapped; LPIB = this mod CBL).
  ULONGLONG dma_bytes() const;
  // Device tick at which grid frame `frame` (counted since reset) reaches the DAC / leaves the
  // ADC, for the frames of the current run; used for capture packet timestamps.
  ULONGLONG device_ticks_of_frame(ULONGLONG frame) const;

  // ---- Codec side (DISPATCH_LEVEL, only from CodecStage::process inside the engine DPC) ------
  // The DAC takes bytes a render stream's DMA fetched; the ADC puts bytes a capture stream's DMA
  // will write. Both return the bytes moved (fewer when the FIFO runs empty / full: the stream's
  // STS.FIFOE is set then, an underrun or overrun the driver can see).
  ULONG fifo_take(void* bytes, ULONG max_bytes);
  ULONG fifo_put(const void* bytes, ULONG count);
  ULONG fifo_level() const;  // bytes in the FIFO now
  // The codec stage's per-stream state lives with the descriptor (frames converted so far,
  // resampler phase); the codec owns its meaning.
  struct CodecState {
    ULONGLONG frames_converted;  // DAC/ADC frames the codec has handled since reset
    ULONGLONG phase;             // resampler position, codec-defined
    ULONGLONG speaker_frame_at_start;  // speaker-grid frame aligned with this stream's frame 0
    bool started;
  };
  CodecState& codec_state();

 protected:
  StreamDescriptor() = default;
  ~StreamDescriptor() = default;
};

class Controller : public PoolObject {
 public:
  // Allocates the register page (one page, contiguous, non-cached), the engine timer and the
  // descriptors; powers the device on (oscillator starts at 0). PASSIVE_LEVEL.
  [[nodiscard]] static NTSTATUS create(const ControllerConfig& config, codec::CodecStage* codec,
                                       Controller** out);
  // Stops every stream and the engine (waits for its DPC), frees everything. PASSIVE_LEVEL.
  ~Controller();

  const ControllerConfig& config() const;

  // ---- Stream descriptors (PASSIVE_LEVEL) ------------------------------------------------------
  // A free descriptor in reset state, or STATUS_INSUFFICIENT_RESOURCES when all are taken.
  [[nodiscard]] NTSTATUS allocate_stream(StreamRoute route, StreamDescriptor** out);
  void free_stream(StreamDescriptor* stream);  // resets it first

  // Descriptors by index, for the codec stage's walk over running streams (DISPATCH_LEVEL, in the
  // engine DPC): nullptr for a descriptor that is not allocated.
  ULONG stream_capacity() const;  // kMaxStreamDescriptors
  StreamDescriptor* stream(ULONG index) const;

  // ---- Registers ---------------------------------------------------------------------------------
  volatile UCHAR* register_page() const;
  volatile ULONG* wall_clock_register() const;  // WALCLK (GetClockRegister maps it)

  // ---- Time (any IRQL) -------------------------------------------------------------------------
  ULONGLONG device_ticks_now() const;                   // oscillator ticks since power-on
  ULONGLONG device_ticks_at_qpc(ULONGLONG qpc) const;   // the same for a QPC value
  ULONGLONG qpc_at_device_ticks(ULONGLONG ticks) const; // inverse (floor)
  ULONGLONG oscillator_hz_numerator() const;            // actual frequency = numerator / denominator
  ULONGLONG oscillator_hz_denominator() const;          // (24e6 * (1e6 + ppm)) / 1e6

  // ---- System bus ----------------------------------------------------------------------------
  // The DMA engine reaches memory by physical address. The kernel gives the driver no general
  // physical-to-virtual translation, so the pages a stream's DMA may touch are made visible to
  // the bus first: attach_pages(mdl, kernel_va) for a buffer mapped with MapAllocatedPages (the
  // PFN array gives each page's frame), attach_contiguous for a BDL. A BDL entry that points
  // outside what is attached is a descriptor error (STS.DESE), as on real hardware.
  [[nodiscard]] NTSTATUS attach_pages(PMDL mdl, PVOID kernel_va);
  void detach_pages(PMDL mdl);
  [[nodiscard]] NTSTATUS attach_contiguous(PHYSICAL_ADDRESS physical, PVOID kernel_va, ULONG bytes);
  void detach_contiguous(PHYSICAL_ADDRESS physical);

  // ---- Power (PASSIVE_LEVEL) -------------------------------------------------------------------
  // D3: the engine stops; every descriptor keeps its registers, FIFO and position (context save).
  // D0: the engine restarts; running streams resume on the grid where they stopped.
  void power_down();
  void power_up();
  bool powered() const;

 protected:
  Controller() = default;
};

}  // namespace wavert::hw
