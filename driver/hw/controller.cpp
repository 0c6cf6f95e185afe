// The virtual controller: register page, device oscillator, system bus, engine timer, power.
// Stream descriptors and their DMA are in stream_descriptor.cpp. docs/virtual-controller.md.
#include "hw/controller.h"

#include <portcls.h>  // operator new(size_t, POOL_TYPE, ULONG)

#include "codec/codec_stage.h"
#include "common/muldiv.h"
#include "common/tags.h"

namespace wavert::hw {
namespace {

constexpr ULONGLONG kPpmScale = 1'000'000;
constexpr ULONG kMinEnginePeriodUs = 100;
// How far behind a late engine DPC still catches up step by step (the codec stage skips longer
// stalls too: CodecStage::kMaxCatchUpTicks). 250 ms of device time.
constexpr ULONGLONG kMaxCatchUpTicks = kWallClockHz / 4;

template <typename T>
void write_register(volatile UCHAR* page, ULONG offset, T value) {
  *reinterpret_cast<volatile T*>(page + offset) = value;
}

template <typename T>
T read_register(volatile UCHAR* page, ULONG offset) {
  return *reinterpret_cast<volatile T*>(page + offset);
}

}  // namespace

Controller::Controller(const ControllerConfig& config, codec::CodecStage* codec) : config_(config), codec_(codec) {
  KeInitializeSpinLock(&lock_);
  for (ULONG i = 0; i < kMaxStreamDescriptors; ++i) {
    descriptors_[i].controller_ = this;
    descriptors_[i].index_ = i;
  }
}

NTSTATUS Controller::create(const ControllerConfig& config, codec::CodecStage* codec, Controller** out) {
  PAGED_CODE();
  *out = nullptr;
  if (config.oscillator_ppm < -1000 || config.oscillator_ppm > 1000 || config.burst_bytes == 0 ||
      config.burst_bytes > PAGE_SIZE || config.fifo_bursts == 0 || config.fifo_bursts > 64 ||
      config.dma_tick_us < kMinEnginePeriodUs || config.dma_tick_us > 1'000'000) {
    return STATUS_INVALID_PARAMETER;
  }
  auto* controller = new (NonPagedPoolNx, tags::kController) Controller(config, codec);
  if (controller == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  PHYSICAL_ADDRESS lowest;
  PHYSICAL_ADDRESS highest;
  PHYSICAL_ADDRESS boundary;
  lowest.QuadPart = 0;
  highest.QuadPart = -1;
  boundary.QuadPart = 0;
  // A BAR is uncached device memory; the port maps LPIB and WALCLK out of this page for clients.
  void* page = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, lowest, highest, boundary, MmNonCached);
  if (page == nullptr) {
    delete controller;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlZeroMemory(page, PAGE_SIZE);
  controller->page_ = static_cast<volatile UCHAR*>(page);
  controller->page_physical_ = static_cast<ULONGLONG>(MmGetPhysicalAddress(page).QuadPart);
  controller->timer_ = ExAllocateTimer(&Controller::engine_timer_callback, controller, EX_TIMER_HIGH_RESOLUTION);
  if (controller->timer_ == nullptr) {
    delete controller;
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  LARGE_INTEGER frequency;
  const LARGE_INTEGER qpc = KeQueryPerformanceCounter(&frequency);
  controller->qpc_hz_ = static_cast<ULONGLONG>(frequency.QuadPart);
  controller->ticks_per_qpc_numerator_ =
      static_cast<ULONGLONG>(kWallClockHz) * static_cast<ULONGLONG>(static_cast<LONGLONG>(kPpmScale) + config.oscillator_ppm);
  controller->ticks_per_qpc_denominator_ = kPpmScale * controller->qpc_hz_;
  controller->qpc_at_power_on_ = static_cast<ULONGLONG>(qpc.QuadPart);
  controller->powered_ = true;
  // §3.3.14: GIE on; the model's per-stream enables follow each descriptor's handler.
  write_register<ULONG>(controller->page_, kIntctl, kIntGlobal);
  *out = controller;
  return STATUS_SUCCESS;
}

Controller::~Controller() {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (ULONG i = 0; i < kMaxStreamDescriptors; ++i) {
    if (descriptors_[i].allocated_) {
      descriptors_[i].running_ = false;
    }
  }
  powered_ = false;
  KeReleaseSpinLock(&lock_, irql);
  if (timer_ != nullptr) {
    // Cancel and wait for a callback that is running to return: nothing touches *this after.
    ExDeleteTimer(timer_, TRUE, TRUE, nullptr);
    timer_ = nullptr;
  }
  for (ULONG i = 0; i < kMaxStreamDescriptors; ++i) {
    descriptors_[i].free_fifo();
  }
  if (page_ != nullptr) {
    MmFreeContiguousMemory(const_cast<UCHAR*>(page_));
    page_ = nullptr;
  }
}

const ControllerConfig& Controller::config() const { return config_; }

// ---- Stream descriptors ----------------------------------------------------------------------

NTSTATUS Controller::allocate_stream(StreamRoute route, StreamDescriptor** out) {
  PAGED_CODE();
  *out = nullptr;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (ULONG i = 0; i < kMaxStreamDescriptors; ++i) {
    StreamDescriptor& stream = descriptors_[i];
    if (!stream.allocated_) {
      if (i >= stream_limit_) stream_limit_ = i + 1;
      stream.allocated_ = true;
      stream.route_ = route;
      stream.programmed_ = false;
      stream.handler_ = nullptr;
      stream.handler_context_ = nullptr;
      stream.clear_dma_state_locked();
      // §3.3.35: STRM names the stream on the link; the model has no link, keeps its low 4 bits.
      stream.write_ctl_locked(((i + 1) & 0xFu) << kCtlStrmShift);
      *out = &stream;
      KeReleaseSpinLock(&lock_, irql);
      return STATUS_SUCCESS;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return STATUS_INSUFFICIENT_RESOURCES;
}

void Controller::free_stream(StreamDescriptor* stream) {
  PAGED_CODE();
  if (stream == nullptr) return;
  stream->reset();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  stream->allocated_ = false;
  stream->programmed_ = false;
  stream->handler_ = nullptr;
  stream->handler_context_ = nullptr;
  for (ULONG offset = 0; offset < kStreamDescriptorStride; offset += 4) {
    write_register<ULONG>(page_, kStreamDescriptorBase + stream->index_ * kStreamDescriptorStride + offset, 0);
  }
  update_interrupt_status_locked();
  KeReleaseSpinLock(&lock_, irql);
  // An engine DPC that read this descriptor's handler before the reset may still be calling it:
  // let it finish before the caller frees the handler's context.
  KeFlushQueuedDpcs();
  stream->free_fifo();
}

ULONG Controller::stream_capacity() const { return kMaxStreamDescriptors; }

StreamDescriptor* Controller::stream(ULONG index) const {
  if (index >= kMaxStreamDescriptors || !descriptors_[index].allocated_) return nullptr;
  return const_cast<StreamDescriptor*>(&descriptors_[index]);
}

// ---- Registers ---------------------------------------------------------------------------------

volatile UCHAR* Controller::register_page() const { return page_; }

volatile ULONG* Controller::wall_clock_register() const {
  return reinterpret_cast<volatile ULONG*>(page_ + kWalclk);
}

void Controller::hold_wall_clock() {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  ++wall_clock_holders_;
  update_engine_timer_locked();
  KeReleaseSpinLock(&lock_, irql);
}

void Controller::release_wall_clock() {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NT_ASSERT(wall_clock_holders_ > 0);
  if (wall_clock_holders_ > 0) --wall_clock_holders_;
  update_engine_timer_locked();
  KeReleaseSpinLock(&lock_, irql);
}

void Controller::write_wall_clock_locked(ULONGLONG device_ticks) {
  // §3.3.16: WALCLK is the low 32 bits of the oscillator count (it wraps every ~179 s).
  write_register<ULONG>(page_, kWalclk, static_cast<ULONG>(device_ticks));
}

void Controller::update_interrupt_status_locked() {
  ULONG intsts = 0;
  ULONG intctl = kIntGlobal;
  for (ULONG i = 0; i < stream_limit_; ++i) {
    const StreamDescriptor& stream = descriptors_[i];
    if (!stream.allocated_) continue;
    const ULONG ctl = stream.read_ctl();
    const UCHAR sts = *stream.reg(kSdSts);
    const bool pending = ((sts & kStsBcis) && (ctl & kCtlIoce)) || ((sts & kStsFifoe) && (ctl & kCtlFeie)) ||
                         ((sts & kStsDese) && (ctl & kCtlDeie));
    if (i < kIntStreamBits) {
      if (ctl & kCtlIoce) intctl |= 1u << i;
      if (pending) intsts |= 1u << i;
    }
    if (pending) intsts |= kIntGlobal;
  }
  write_register<ULONG>(page_, kIntctl, intctl);
  write_register<ULONG>(page_, kIntsts, intsts);
}

// ---- Time --------------------------------------------------------------------------------------

ULONGLONG Controller::device_ticks_at_qpc(ULONGLONG qpc) const {
  if (qpc <= qpc_at_power_on_) return 0;
  return mul_div_floor(qpc - qpc_at_power_on_, ticks_per_qpc_numerator_, ticks_per_qpc_denominator_);
}

ULONGLONG Controller::device_ticks_now() const {
  return device_ticks_at_qpc(static_cast<ULONGLONG>(KeQueryPerformanceCounter(nullptr).QuadPart));
}

ULONGLONG Controller::qpc_at_device_ticks(ULONGLONG ticks) const {
  return qpc_at_power_on_ + mul_div_floor(ticks, ticks_per_qpc_denominator_, ticks_per_qpc_numerator_);
}

ULONGLONG Controller::oscillator_hz_numerator() const {
  return static_cast<ULONGLONG>(kWallClockHz) * static_cast<ULONGLONG>(static_cast<LONGLONG>(kPpmScale) + config_.oscillator_ppm);
}

ULONGLONG Controller::oscillator_hz_denominator() const { return kPpmScale; }

ULONGLONG Controller::grid_frame_at(ULONG rate_hz, ULONGLONG device_ticks) const {
  // Grid frame k is due at tick ceil(k * kWallClockHz / r): the last frame due by tick t is
  // g(t) = floor(t * r / kWallClockHz), and the frames before it are finished.
  return mul_div_floor(device_ticks, rate_hz, kWallClockHz);
}

// ---- System bus --------------------------------------------------------------------------------

NTSTATUS Controller::attach_pages(PMDL mdl, PVOID kernel_va) {
  PAGED_CODE();
  if (mdl == nullptr || kernel_va == nullptr || MmGetMdlByteCount(mdl) == 0) {
    return STATUS_INVALID_PARAMETER;
  }
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (ULONG i = 0; i < kMaxBusAttachments; ++i) {
    BusAttachment& slot = bus_[i];
    if (slot.mdl == nullptr && slot.physical == 0) {
      if (i >= bus_limit_) bus_limit_ = i + 1;
      slot.mdl = mdl;
      slot.kernel_va = static_cast<UCHAR*>(kernel_va);
      slot.physical = 0;
      slot.bytes = MmGetMdlByteCount(mdl);
      KeReleaseSpinLock(&lock_, irql);
      return STATUS_SUCCESS;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return STATUS_INSUFFICIENT_RESOURCES;
}

void Controller::detach_pages(PMDL mdl) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (BusAttachment& slot : bus_) {
    if (slot.mdl == mdl && mdl != nullptr) {
      slot = BusAttachment{};
    }
  }
  ++bus_generation_;
  KeReleaseSpinLock(&lock_, irql);
}

NTSTATUS Controller::attach_contiguous(PHYSICAL_ADDRESS physical, PVOID kernel_va, ULONG bytes) {
  PAGED_CODE();
  if (physical.QuadPart == 0 || kernel_va == nullptr || bytes == 0) {
    return STATUS_INVALID_PARAMETER;
  }
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (ULONG i = 0; i < kMaxBusAttachments; ++i) {
    BusAttachment& slot = bus_[i];
    if (slot.mdl == nullptr && slot.physical == 0) {
      if (i >= bus_limit_) bus_limit_ = i + 1;
      slot.mdl = nullptr;
      slot.kernel_va = static_cast<UCHAR*>(kernel_va);
      slot.physical = static_cast<ULONGLONG>(physical.QuadPart);
      slot.bytes = bytes;
      KeReleaseSpinLock(&lock_, irql);
      return STATUS_SUCCESS;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return STATUS_INSUFFICIENT_RESOURCES;
}

void Controller::detach_contiguous(PHYSICAL_ADDRESS physical) {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  for (BusAttachment& slot : bus_) {
    if (slot.mdl == nullptr && slot.physical != 0 && slot.physical == static_cast<ULONGLONG>(physical.QuadPart)) {
      slot = BusAttachment{};
    }
  }
  ++bus_generation_;
  KeReleaseSpinLock(&lock_, irql);
}

bool Controller::bus_translate_locked(ULONGLONG physical, UCHAR** va, ULONG* bytes) const {
  const ULONGLONG frame = physical >> PAGE_SHIFT;
  const ULONG page_offset = static_cast<ULONG>(physical & (PAGE_SIZE - 1));
  for (ULONG i = 0; i < bus_limit_; ++i) {
    const BusAttachment& slot = bus_[i];
    if (slot.physical != 0) {
      if (physical >= slot.physical && physical - slot.physical < slot.bytes) {
        const ULONG offset = static_cast<ULONG>(physical - slot.physical);
        *va = slot.kernel_va + offset;
        *bytes = slot.bytes - offset;
        return true;
      }
    } else if (slot.mdl != nullptr) {
      // The MDL's pages in buffer order: page i holds buffer bytes [i*PAGE - offset0, ...).
      const ULONG first_offset = MmGetMdlByteOffset(slot.mdl);
      const ULONG pages = BYTES_TO_PAGES(first_offset + slot.bytes);
      const PPFN_NUMBER pfns = MmGetMdlPfnArray(slot.mdl);
      for (ULONG i = 0; i < pages; ++i) {
        if (static_cast<ULONGLONG>(pfns[i]) != frame) continue;
        // Buffer offset of this physical byte; bytes outside the described range are not visible.
        const LONGLONG buffer_offset = static_cast<LONGLONG>(i) * PAGE_SIZE + page_offset - first_offset;
        if (buffer_offset < 0 || buffer_offset >= static_cast<LONGLONG>(slot.bytes)) continue;
        const ULONG to_page_end = PAGE_SIZE - page_offset;
        const ULONG to_buffer_end = slot.bytes - static_cast<ULONG>(buffer_offset);
        *va = slot.kernel_va + buffer_offset;
        *bytes = to_page_end < to_buffer_end ? to_page_end : to_buffer_end;
        return true;
      }
    }
  }
  return false;
}

bool Controller::bus_covers_locked(ULONGLONG physical, ULONG bytes) const {
  while (bytes > 0) {
    UCHAR* va;
    ULONG available;
    if (!bus_translate_locked(physical, &va, &available)) return false;
    const ULONG step = available < bytes ? available : bytes;
    physical += step;
    bytes -= step;
  }
  return true;
}

// ---- The engine ------------------------------------------------------------------------------

ULONG Controller::engine_period_us() const {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const ULONG period = timer_period_us_;
  KeReleaseSpinLock(&lock_, irql);
  return period;
}

void Controller::update_engine_timer_locked() {
  ULONG period_us = 0;
  if (powered_) {
    for (ULONG i = 0; i < stream_limit_; ++i) {
      const StreamDescriptor& stream = descriptors_[i];
      if (!stream.allocated_ || !stream.running_) continue;
      ULONG stream_period_us = config_.dma_tick_us;
      if (stream.ioc_period_us_ != 0 && stream.ioc_period_us_ < stream_period_us) {
        stream_period_us = stream.ioc_period_us_;
      }
      if (period_us == 0 || stream_period_us < period_us) period_us = stream_period_us;
    }
  }
  // With no stream running, a handed-out WALCLK still has to count.
  if (period_us == 0 && powered_ && wall_clock_holders_ != 0) period_us = config_.dma_tick_us;
  if (period_us != 0 && period_us < kMinEnginePeriodUs) period_us = kMinEnginePeriodUs;
  if (period_us == timer_period_us_) return;
  // The engine starts from idle now: nothing before this instant is owed a catch-up.
  if (timer_period_us_ == 0) last_engine_ticks_ = device_ticks_now();
  timer_period_us_ = period_us;
  if (period_us == 0) {
    ExCancelTimer(timer_, nullptr);
    return;
  }
  EXT_SET_PARAMETERS parameters;
  ExInitializeSetTimerParameters(&parameters);
  const LONGLONG period_100ns = static_cast<LONGLONG>(period_us) * 10;
  ExSetTimer(timer_, -period_100ns, period_100ns, &parameters);
}

void Controller::engine_timer_callback(PEX_TIMER, PVOID context) {
  auto* controller = static_cast<Controller*>(context);
  controller->run_engine_tick(controller->device_ticks_now());
}

void Controller::run_engine_tick(ULONGLONG device_ticks) {
  ULONGLONG deliver[(kMaxStreamDescriptors + 63) / 64] = {};
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  if (!powered_) {
    // A DPC that was already queued when power_down() cancelled the timer.
    KeReleaseSpinLock(&lock_, irql);
    return;
  }
  // Hardware works continuously; the model works at timer expiries. A DPC that runs late (a
  // loaded host, another driver's long DPC) must not turn into FIFO underruns and overruns the
  // real device would never have had: the engine replays the missed expiries, one period apart,
  // each moving render DMA, converters and capture DMA as the timer would have. Only a stall
  // beyond kMaxCatchUpTicks is left to the FIFOs (STS.FIFOE) and the realignment after it.
  if (timer_period_us_ != 0 && last_engine_ticks_ != 0 && device_ticks > last_engine_ticks_) {
    const ULONGLONG step = static_cast<ULONGLONG>(timer_period_us_) * (kWallClockHz / 1'000'000);
    ULONGLONG t = device_ticks - last_engine_ticks_ > kMaxCatchUpTicks ? device_ticks : last_engine_ticks_ + step;
    while (t < device_ticks && timer_period_us_ != 0) {
      engine_tick_locked(t);
      t += step;
    }
  }
  engine_tick_locked(device_ticks);
  last_engine_ticks_ = device_ticks;
  for (ULONG i = 0; i < stream_limit_; ++i) {
    StreamDescriptor& stream = descriptors_[i];
    if (!stream.allocated_ || stream.new_status_bits_ == 0) continue;
    const ULONG ctl = stream.read_ctl();
    const UCHAR bits = stream.new_status_bits_;
    stream.new_status_bits_ = 0;
    const bool enabled = ((bits & kStsBcis) && (ctl & kCtlIoce)) || ((bits & kStsFifoe) && (ctl & kCtlFeie)) ||
                         ((bits & kStsDese) && (ctl & kCtlDeie));
    if (enabled && stream.handler_ != nullptr) {
      deliver[i / 64] |= 1ull << (i % 64);
    }
  }
  update_interrupt_status_locked();
  KeReleaseSpinLock(&lock_, irql);

  // The interrupt: like an ISR, outside the engine's lock, so the handler can acknowledge.
  for (ULONG i = 0; i < stream_limit_; ++i) {
    if ((deliver[i / 64] & (1ull << (i % 64))) == 0) continue;
    StreamDescriptor& stream = descriptors_[i];
    StreamInterruptHandler* handler = stream.handler_;
    if (handler != nullptr) {
      handler(stream.handler_context_, &stream, *stream.reg(kSdSts));
    }
  }
}

void Controller::engine_tick_locked(ULONGLONG device_ticks) {
  write_wall_clock_locked(device_ticks);
  // (1) Render DMA: memory -> FIFO, ahead of the DAC.
  for (ULONG i = 0; i < stream_limit_; ++i) {
    StreamDescriptor& stream = descriptors_[i];
    if (stream.allocated_ && stream.running_ && stream.anchored_ && !stream.capture()) {
      stream.render_dma_locked(device_ticks);
    }
  }
  // (2) The converters, up to now.
  if (codec_ != nullptr) {
    codec_->process(*this, device_ticks);
  } else {
    builtin_converters_locked(device_ticks);
  }
  // (3) Capture DMA: FIFO -> memory, burst by burst.
  for (ULONG i = 0; i < stream_limit_; ++i) {
    StreamDescriptor& stream = descriptors_[i];
    if (stream.allocated_ && stream.running_ && stream.anchored_ && stream.capture()) {
      stream.capture_dma_locked();
    }
  }
  // A stream stopped by a descriptor error no longer needs the engine.
  update_engine_timer_locked();
}

void Controller::set_link_taps(LinkRenderTap* render, LinkCaptureTap* capture, void* context) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  render_tap_ = render;
  capture_tap_ = capture;
  tap_context_ = context;
  KeReleaseSpinLock(&lock_, irql);
}

void Controller::builtin_converters_locked(ULONGLONG device_ticks) {
  // No codec attached: a DAC and an ADC per stream at the stream's own rate, no mixing. Bytes
  // pass through a small stack buffer; a frame may be split between two chunks, which the FIFO
  // (a byte ring) does not mind.
  UCHAR scratch[512];
  for (ULONG i = 0; i < stream_limit_; ++i) {
    StreamDescriptor& stream = descriptors_[i];
    if (!stream.allocated_ || !stream.running_ || !stream.anchored_) continue;
    StreamDescriptor::CodecState& state = stream.codec_state_;
    const ULONGLONG due_frames = stream.converter_frames_at(device_ticks);
    if (due_frames <= state.frames_converted) continue;
    ULONGLONG bytes = (due_frames - state.frames_converted) * stream.block_align_bytes_;
    state.frames_converted = due_frames;
    state.started = true;
    while (bytes > 0) {
      const ULONG chunk = bytes < sizeof(scratch) ? static_cast<ULONG>(bytes) : static_cast<ULONG>(sizeof(scratch));
      if (stream.capture()) {
        if (capture_tap_ != nullptr) {
          capture_tap_(tap_context_, &stream, scratch, chunk);
        } else {
          RtlZeroMemory(scratch, chunk);
        }
        stream.fifo_put(scratch, chunk);
      } else {
        // On an underrun the DAC plays silence for what the FIFO lacked (and FIFOE is set).
        const ULONG taken = stream.fifo_take(scratch, chunk);
        RtlZeroMemory(scratch + taken, chunk - taken);
        if (render_tap_ != nullptr) {
          render_tap_(tap_context_, &stream, scratch, chunk);
        }
      }
      bytes -= chunk;
    }
  }
}

// ---- Power -----------------------------------------------------------------------------------

void Controller::power_down() {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  if (!powered_) {
    KeReleaseSpinLock(&lock_, irql);
    return;
  }
  // Context save: a running stream keeps RUN, its FIFO and its position frozen at this tick;
  // the oscillator (and so WALCLK's time base) keeps counting.
  const ULONGLONG now = device_ticks_now();
  for (StreamDescriptor& stream : descriptors_) {
    if (stream.allocated_ && stream.running_ && stream.anchored_) {
      stream.freeze_position_locked(now);
      stream.anchored_ = false;
    }
  }
  powered_ = false;
  update_engine_timer_locked();
  KeReleaseSpinLock(&lock_, irql);
  KeFlushQueuedDpcs();
}

void Controller::power_up() {
  PAGED_CODE();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  if (powered_) {
    KeReleaseSpinLock(&lock_, irql);
    return;
  }
  powered_ = true;
  const ULONGLONG now = device_ticks_now();
  write_wall_clock_locked(now);
  for (StreamDescriptor& stream : descriptors_) {
    if (stream.allocated_ && stream.running_) {
      stream.anchor_locked(now);  // resumes where it froze, on the next grid frame
    }
  }
  update_engine_timer_locked();
  KeReleaseSpinLock(&lock_, irql);
}

bool Controller::powered() const {
  // A single byte written under lock_; read without it so it can be asked from anywhere.
  return *static_cast<const volatile bool*>(&powered_);
}

}  // namespace wavert::hw
