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
class Controller;

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

 private:
  friend class Controller;

  StreamDescriptor() = default;
  ~StreamDescriptor() = default;
  StreamDescriptor(const StreamDescriptor&) = delete;
  StreamDescriptor& operator=(const StreamDescriptor&) = delete;

  // Everything below is guarded by the owning controller's lock_ (Controller), except where
  // noted. The register page bytes of this descriptor are written only under that lock too.
  volatile UCHAR* reg(StreamRegister r) const;
  void write_ctl_locked(ULONG ctl);
  ULONG read_ctl() const;
  void write_sts_locked(UCHAR sts);
  void raise_status_locked(UCHAR bits);
  void write_lpib_locked();
  void clear_dma_state_locked();      // FIFO empty, cursor at entry 0, LPIB and counters 0
  void anchor_locked(ULONGLONG device_ticks);  // run starts on the next grid frame after this tick
  void freeze_position_locked(ULONGLONG device_ticks);  // base_frames_ = position now
  ULONG grid_period_us() const;       // IOC period of the programmed list (0: no IOC entries)
  [[nodiscard]] NTSTATUS allocate_fifo(const StreamFormat& format);  // PASSIVE_LEVEL
  void free_fifo();
  // DMA (engine DPC, lock held).
  const BufferDescriptor* resolve_bdl_locked();
  bool translate_locked(ULONGLONG physical, UCHAR** va, ULONG* available);
  // What one walk of the BDL does with the bytes it passes.
  enum class Transfer : UCHAR {
    MemoryToFifo,  // render DMA
    FifoToMemory,  // capture DMA
    Skip,          // realignment after an underrun / overrun: the cursor moves, no byte does
  };
  bool move_burst_locked(ULONG bytes, Transfer transfer);  // false: descriptor error (DESE)
  void render_dma_locked(ULONGLONG device_ticks);
  void capture_dma_locked();
  void descriptor_error_locked();
  void fifo_copy_in(const UCHAR* bytes, ULONG count);
  void fifo_copy_out(UCHAR* bytes, ULONG count);

  Controller* controller_ = nullptr;  // set once at Controller construction
  ULONG index_ = 0;                   // set once at Controller construction
  bool allocated_ = false;
  StreamRoute route_ = StreamRoute::SpeakerRender;

  // Programming (PASSIVE calls while not running).
  bool programmed_ = false;
  StreamFormat format_;
  ULONG block_align_bytes_ = 0;
  ULONGLONG bdl_physical_ = 0;
  ULONG cyclic_bytes_ = 0;
  ULONG entry_count_ = 0;
  ULONG ioc_period_us_ = 0;    // shortest time between two IOC completions; 0 = no IOC entry

  // FIFO: a byte ring. depth is SDnFIFOS (the DMA's lead / lag); capacity adds room for what one
  // engine tick (twice the configured period, so one late DPC fits) moves.
  UCHAR* fifo_ = nullptr;
  ULONG fifo_capacity_bytes_ = 0;
  ULONG fifo_depth_bytes_ = 0;
  ULONG fifo_read_index_ = 0;
  ULONG fifo_level_bytes_ = 0;

  // DMA cursor in the BDL and the bytes moved since reset (LPIB = dma_bytes_ mod CBL).
  ULONG entry_index_ = 0;
  ULONG entry_offset_bytes_ = 0;
  ULONGLONG dma_bytes_ = 0;
  // Bus translation cache: the last physical page the DMA touched and where the bus found it.
  ULONGLONG cached_page_physical_ = ~0ull;
  UCHAR* cached_page_va_ = nullptr;
  ULONG cached_page_bytes_ = 0;
  ULONG cached_bus_generation_ = 0;
  const BufferDescriptor* cached_bdl_ = nullptr;  // the list's kernel VA, valid for the generation below
  ULONG cached_bdl_generation_ = 0;               // 0: not resolved

  // Position: base_frames_ before this run, then grid_frame(t) - anchor_grid_frame_.
  bool running_ = false;
  bool anchored_ = false;      // false while RUN is set but the device is in D3
  ULONGLONG base_frames_ = 0;
  ULONGLONG anchor_grid_frame_ = 0;

  // Interrupts. handler_ and handler_context_ are set before start() and read by the engine
  // after it drops the lock.
  StreamInterruptHandler* handler_ = nullptr;
  void* handler_context_ = nullptr;
  UCHAR new_status_bits_ = 0;  // STS bits raised during the current engine tick

  CodecState codec_state_ = {};
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
  // WALCLK is written by the engine, which sleeps while no stream runs. Whoever hands the register
  // out holds it fresh (the engine keeps ticking, at DmaTickUs, while powered) until it releases
  // it; holds nest. Any IRQL <= DISPATCH_LEVEL.
  void hold_wall_clock();
  void release_wall_clock();

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
  // D0: the engine restarts; running streams resume on the grid where they stopped. The
  // oscillator (device time, WALCLK) keeps counting through D3; stream positions do not.
  void power_down();
  void power_up();
  bool powered() const;

  // ---- The engine (DISPATCH_LEVEL) -------------------------------------------------------------
  // One engine tick at device time `device_ticks`: what the engine timer's DPC does with the
  // current time (see the top of this file). Public so that the benchmark can drive the DMA path
  // without a timer and tests can play a late DPC; the rest of the driver never calls it.
  void run_engine_tick(ULONGLONG device_ticks);
  // The engine timer's current period (0 while it is stopped: D3 or no stream running).
  ULONG engine_period_us() const;

  // ---- No codec attached (create() with codec == nullptr) --------------------------------------
  // Then the engine's own converters stand in for the codec stage: each tick, the DAC takes every
  // running render stream's due frames from its FIFO (handing them to `render` if set, zeros
  // for bytes an underrun left missing, else dropping them) and the ADC puts every running capture stream's due frames into its FIFO
  // (filled by `capture` if set, else zeros). A probe on the link, for tests and benchmarks.
  // Both run in the engine DPC under the controller lock; they must not call the controller.
  typedef void LinkRenderTap(void* context, StreamDescriptor* stream, const UCHAR* bytes, ULONG count);
  typedef void LinkCaptureTap(void* context, StreamDescriptor* stream, UCHAR* bytes, ULONG count);
  void set_link_taps(LinkRenderTap* render, LinkCaptureTap* capture, void* context);

 private:
  friend class StreamDescriptor;

  Controller(const ControllerConfig& config, codec::CodecStage* codec);

  // A piece of memory made visible to the DMA engine ("system bus").
  struct BusAttachment {
    PMDL mdl;                  // attach_pages: the MDL whose PFN array names the pages
    UCHAR* kernel_va;          // first byte of the buffer (attach_pages) / of the range
    ULONGLONG physical;        // attach_contiguous: first physical byte; 0 for MDL attachments
    ULONG bytes;               // attach_contiguous: length; attach_pages: the MDL's byte count
  };
  static constexpr ULONG kMaxBusAttachments = 2 * kMaxStreamDescriptors + 16;

  static EXT_CALLBACK engine_timer_callback;
  void engine_tick_locked(ULONGLONG device_ticks);
  void builtin_converters_locked(ULONGLONG device_ticks);
  void update_engine_timer_locked();
  void update_interrupt_status_locked();
  void write_wall_clock_locked(ULONGLONG device_ticks);
  // Kernel VA of `physical` and the bytes readable from there on in one piece (to the end of the
  // page or contiguous range); false when nothing attached covers it.
  bool bus_translate_locked(ULONGLONG physical, UCHAR** va, ULONG* bytes) const;
  bool bus_covers_locked(ULONGLONG physical, ULONG bytes) const;
  ULONGLONG grid_frame_at(ULONG rate_hz, ULONGLONG device_ticks) const;

  // Constant after create().
  ControllerConfig config_;
  codec::CodecStage* codec_ = nullptr;  // not owned
  volatile UCHAR* page_ = nullptr;      // the register page (contiguous, non-cached)
  ULONGLONG page_physical_ = 0;
  PEX_TIMER timer_ = nullptr;
  ULONGLONG qpc_hz_ = 0;
  ULONGLONG ticks_per_qpc_numerator_ = 0;    // kWallClockHz * (1e6 + ppm)
  ULONGLONG ticks_per_qpc_denominator_ = 0;  // 1e6 * qpc_hz

  // lock_ guards everything below, every descriptor's state and register bytes, and the calls
  // into the codec stage's engine side. Taken at DISPATCH_LEVEL by the engine DPC and by the
  // PASSIVE/DISPATCH programming calls. Lock order: lock_ before any codec-stage lock. Never
  // held while a StreamInterruptHandler runs.
  mutable KSPIN_LOCK lock_ = 0;
  ULONGLONG qpc_at_power_on_ = 0;
  bool powered_ = false;
  ULONG timer_period_us_ = 0;  // 0: timer not set
  ULONG wall_clock_holders_ = 0;
  // Device time of the last engine step; a late DPC catches up from here in steps of one period.
  ULONGLONG last_engine_ticks_ = 0;
  BusAttachment bus_[kMaxBusAttachments] = {};
  ULONG bus_limit_ = 0;        // slots at and above this index have never been used
  ULONG stream_limit_ = 0;     // descriptors at and above this index have never been allocated
  ULONG bus_generation_ = 1;   // bumped on detach, invalidating the descriptors' caches
  LinkRenderTap* render_tap_ = nullptr;
  LinkCaptureTap* capture_tap_ = nullptr;
  void* tap_context_ = nullptr;
  StreamDescriptor descriptors_[kMaxStreamDescriptors];
};

}  // namespace wavert::hw
