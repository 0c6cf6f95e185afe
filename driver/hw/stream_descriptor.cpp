// Stream descriptors (HDA rev. 1.0a §3.3.35-§3.3.43): programming, run control, the FIFO, the BDL
// walk of the DMA engine, position on the device's sample grid. docs/virtual-controller.md.
#include "hw/controller.h"

#include "common/muldiv.h"
#include "common/status.h"
#include "common/tags.h"
#include "hw/format_register.h"

namespace wavert::hw {
namespace {

constexpr ULONGLONG kMicrosecondsPerSecond = 1'000'000;
constexpr ULONG kBdlAlignment = 128;  // §3.3.42: BDPL bits 6:0 are zero

}  // namespace

// ---- Registers -------------------------------------------------------------------------------

volatile UCHAR* StreamDescriptor::reg(StreamRegister r) const {
  return controller_->page_ + stream_register(index_, r);
}

ULONG StreamDescriptor::read_ctl() const {
  // SDnCTL is 3 bytes (§3.3.35); byte 3 of the dword is SDnSTS.
  volatile UCHAR* ctl = reg(kSdCtl);
  return static_cast<ULONG>(ctl[0]) | (static_cast<ULONG>(ctl[1]) << 8) | (static_cast<ULONG>(ctl[2]) << 16);
}

void StreamDescriptor::write_ctl_locked(ULONG ctl) {
  volatile UCHAR* bytes = reg(kSdCtl);
  bytes[0] = static_cast<UCHAR>(ctl);
  bytes[1] = static_cast<UCHAR>(ctl >> 8);
  bytes[2] = static_cast<UCHAR>(ctl >> 16);
}

void StreamDescriptor::write_sts_locked(UCHAR sts) { *reg(kSdSts) = sts; }

void StreamDescriptor::raise_status_locked(UCHAR bits) {
  const UCHAR sts = *reg(kSdSts);
  new_status_bits_ |= static_cast<UCHAR>(bits & ~sts);
  write_sts_locked(static_cast<UCHAR>(sts | bits));
}

void StreamDescriptor::write_lpib_locked() {
  // §3.3.37: LPIB counts the bytes the DMA has moved in the cyclic buffer, wrapping at CBL.
  const ULONG lpib = cyclic_bytes_ == 0 ? 0 : static_cast<ULONG>(dma_bytes_ % cyclic_bytes_);
  *reinterpret_cast<volatile ULONG*>(reg(kSdLpib)) = lpib;
}

ULONG StreamDescriptor::index() const { return index_; }
StreamRoute StreamDescriptor::route() const { return route_; }
const StreamFormat& StreamDescriptor::format() const { return format_; }
volatile ULONG* StreamDescriptor::lpib_register() const { return reinterpret_cast<volatile ULONG*>(reg(kSdLpib)); }
ULONG StreamDescriptor::fifo_bytes() const { return fifo_depth_bytes_; }
ULONGLONG StreamDescriptor::dma_bytes() const { return dma_bytes_; }
StreamDescriptor::CodecState& StreamDescriptor::codec_state() { return codec_state_; }
ULONG StreamDescriptor::fifo_level() const { return fifo_level_bytes_; }

bool StreamDescriptor::running() const {
  // CTL.RUN as the register page shows it: lock-free, because the codec stage asks from inside
  // the engine DPC, which holds the controller lock already.
  return (read_ctl() & kCtlRun) != 0;
}

ULONG StreamDescriptor::position_accuracy_bytes() const {
  // LPIB changes only at engine ticks, by whole bursts: between two reads it may lag the ideal
  // position by what one tick moves. The engine's period never exceeds this stream's own bound.
  ULONG period_us = controller_->config_.dma_tick_us;
  if (ioc_period_us_ != 0 && ioc_period_us_ < period_us) period_us = ioc_period_us_;
  const ULONGLONG per_tick = mul_div_ceil(period_us, format_.bytes_per_second(), kMicrosecondsPerSecond);
  return static_cast<ULONG>(round_up(per_tick == 0 ? 1 : per_tick, controller_->config_.burst_bytes));
}

// ---- Programming -----------------------------------------------------------------------------

NTSTATUS StreamDescriptor::allocate_fifo(const StreamFormat& format) {
  PAGED_CODE();
  const ControllerConfig& config = controller_->config_;
  const ULONG block = format.block_align();
  // SDnFIFOS: fifo_bursts bursts, rounded up to whole frames, because the DAC takes (and the ADC
  // gives) whole frames: 256 bytes is 64 frames of 48 kHz stereo 16-bit, 1.3 ms.
  const ULONG depth = static_cast<ULONG>(round_up(static_cast<ULONGLONG>(config.fifo_bursts) * config.burst_bytes, block));
  // Storage: the depth plus what two engine periods move (one late DPC fits) plus a burst of slack
  // on either side (DMA moves whole bursts, the converters whole frames).
  const ULONGLONG per_tick = mul_div_ceil(config.dma_tick_us, format.bytes_per_second(), kMicrosecondsPerSecond);
  const ULONGLONG capacity = round_up(depth + 2 * round_up(per_tick, block) + 2ull * config.burst_bytes, 16);
  if (capacity > 64ull * 1024 * 1024) {
    return STATUS_INVALID_PARAMETER;
  }
  if (fifo_ != nullptr && fifo_capacity_bytes_ >= capacity) {
    fifo_depth_bytes_ = depth;
    return STATUS_SUCCESS;
  }
  auto* storage = static_cast<UCHAR*>(ExAllocatePool2(POOL_FLAG_NON_PAGED, static_cast<SIZE_T>(capacity), tags::kFifo));
  if (storage == nullptr) {
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  UCHAR* old = nullptr;
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  old = fifo_;
  fifo_ = storage;
  fifo_capacity_bytes_ = static_cast<ULONG>(capacity);
  fifo_depth_bytes_ = depth;
  fifo_read_index_ = 0;
  fifo_level_bytes_ = 0;
  KeReleaseSpinLock(&controller_->lock_, irql);
  if (old != nullptr) ExFreePool(old);
  return STATUS_SUCCESS;
}

void StreamDescriptor::free_fifo() {
  UCHAR* old = fifo_;
  fifo_ = nullptr;
  fifo_capacity_bytes_ = 0;
  fifo_level_bytes_ = 0;
  fifo_read_index_ = 0;
  if (old != nullptr) ExFreePool(old);
}

NTSTATUS StreamDescriptor::set_format(const StreamFormat& format) {
  PAGED_CODE();
  FormatRegisters encoded;
  WAVERT_RETURN_IF_FAILED(encode_stream_format(format, &encoded));
  if (running()) {
    return STATUS_INVALID_DEVICE_STATE;
  }
  WAVERT_RETURN_IF_FAILED(allocate_fifo(format));
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  if (running_) {
    KeReleaseSpinLock(&controller_->lock_, irql);
    return STATUS_INVALID_DEVICE_STATE;
  }
  format_ = format;
  block_align_bytes_ = format.block_align();
  *reinterpret_cast<volatile USHORT*>(reg(kSdFmt)) = encoded.fmt;
  *reinterpret_cast<volatile ULONG*>(reg(kSdRate)) = encoded.rate;
  *reinterpret_cast<volatile USHORT*>(reg(kSdFifos)) =
      static_cast<USHORT>(fifo_depth_bytes_ > 0xFFFFu ? 0xFFFFu : fifo_depth_bytes_);
  // A new format starts from an empty FIFO: bytes of the old format mean nothing in the new one.
  clear_dma_state_locked();
  KeReleaseSpinLock(&controller_->lock_, irql);
  return STATUS_SUCCESS;
}

NTSTATUS StreamDescriptor::program(const StreamFormat& format, PHYSICAL_ADDRESS bdl, ULONG cyclic_bytes,
                                   ULONG last_valid_index) {
  PAGED_CODE();
  const ULONGLONG bdl_physical = static_cast<ULONGLONG>(bdl.QuadPart);
  const ULONG entries = last_valid_index + 1;
  // §3.3.42: the list is 128-byte aligned; §3.3.39: LVI is a 16-bit entry index (wavert allows
  // up to kMaxBdlEntries entries, and a single entry: EXTENSION, HDA needs at least two).
  if (bdl_physical == 0 || (bdl_physical % kBdlAlignment) != 0 || last_valid_index >= kMaxBdlEntries ||
      cyclic_bytes == 0) {
    return STATUS_INVALID_PARAMETER;
  }
  WAVERT_RETURN_IF_FAILED(set_format(format));

  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  if (running_) {
    KeReleaseSpinLock(&controller_->lock_, irql);
    return STATUS_INVALID_DEVICE_STATE;
  }
  // What DESE would report, checked up front: the list and every fragment are on the bus, no
  // fragment is empty, and the fragments add up to CBL.
  UCHAR* list_va = nullptr;
  ULONG list_bytes = 0;
  NTSTATUS status = STATUS_SUCCESS;
  if (!controller_->bus_translate_locked(bdl_physical, &list_va, &list_bytes) ||
      list_bytes < entries * sizeof(BufferDescriptor)) {
    status = STATUS_INVALID_PARAMETER;
  } else {
    const auto* list = reinterpret_cast<const volatile BufferDescriptor*>(list_va);
    ULONGLONG total_bytes = 0;
    for (ULONG i = 0; i < entries && NT_SUCCESS(status); ++i) {
      const ULONGLONG address = list[i].address;
      const ULONG length = list[i].length;
      if (length == 0 || !controller_->bus_covers_locked(address, length)) {
        status = STATUS_INVALID_PARAMETER;
      }
      total_bytes += length;
    }
    if (NT_SUCCESS(status) && total_bytes != cyclic_bytes) {
      status = STATUS_INVALID_PARAMETER;
    }
  }
  if (NT_SUCCESS(status)) {
    bdl_physical_ = bdl_physical;
    cyclic_bytes_ = cyclic_bytes;
    entry_count_ = entries;
    programmed_ = true;
    ioc_period_us_ = grid_period_us();
    *reinterpret_cast<volatile ULONG*>(reg(kSdCbl)) = cyclic_bytes;
    *reinterpret_cast<volatile USHORT*>(reg(kSdLvi)) = static_cast<USHORT>(last_valid_index);
    *reinterpret_cast<volatile ULONG*>(reg(kSdBdpl)) = static_cast<ULONG>(bdl_physical);
    *reinterpret_cast<volatile ULONG*>(reg(kSdBdpu)) = static_cast<ULONG>(bdl_physical >> 32);
    clear_dma_state_locked();
  }
  KeReleaseSpinLock(&controller_->lock_, irql);
  return status;
}

ULONG StreamDescriptor::grid_period_us() const {
  // The shortest stretch of the cyclic buffer between two IOC completions (the whole buffer with
  // one IOC entry), as time at the stream's rate. Read from the list as programmed.
  UCHAR* list_va = nullptr;
  ULONG list_bytes = 0;
  if (!controller_->bus_translate_locked(bdl_physical_, &list_va, &list_bytes) || format_.bytes_per_second() == 0) {
    return 0;
  }
  const auto* list = reinterpret_cast<const volatile BufferDescriptor*>(list_va);
  ULONG first_ioc_end = 0;
  bool seen = false;
  ULONG previous_end = 0;
  ULONG shortest = 0;
  ULONG end = 0;
  for (ULONG i = 0; i < entry_count_; ++i) {
    end += list[i].length;
    if ((list[i].flags & kBdlIoc) == 0) continue;
    if (!seen) {
      first_ioc_end = end;
      seen = true;
    } else if (shortest == 0 || end - previous_end < shortest) {
      shortest = end - previous_end;
    }
    previous_end = end;
  }
  if (!seen) return 0;
  const ULONG wrap = cyclic_bytes_ - previous_end + first_ioc_end;  // last IOC to the first, next lap
  if (shortest == 0 || wrap < shortest) shortest = wrap;
  return static_cast<ULONG>(mul_div_floor(shortest, kMicrosecondsPerSecond, format_.bytes_per_second()));
}

// ---- Run control -----------------------------------------------------------------------------

void StreamDescriptor::clear_dma_state_locked() {
  running_ = false;
  write_ctl_locked(read_ctl() & ~kCtlRun);
  anchored_ = false;
  fifo_read_index_ = 0;
  fifo_level_bytes_ = 0;
  entry_index_ = 0;
  entry_offset_bytes_ = 0;
  dma_bytes_ = 0;
  base_frames_ = 0;
  anchor_grid_frame_ = 0;
  new_status_bits_ = 0;
  cached_page_physical_ = ~0ull;
  cached_bdl_generation_ = 0;
  codec_state_ = CodecState{};
  write_sts_locked(0);
  write_lpib_locked();
}

void StreamDescriptor::anchor_locked(ULONGLONG device_ticks) {
  // The run starts on the first grid frame due at or after `device_ticks`: the smallest k with
  // ceil(k * kWallClockHz / r) >= t, which is floor((t - 1) * r / kWallClockHz) + 1 for t > 0.
  anchor_grid_frame_ = device_ticks == 0 ? 0 : controller_->grid_frame_at(format_.rate_hz, device_ticks - 1) + 1;
  anchored_ = true;
}

void StreamDescriptor::freeze_position_locked(ULONGLONG device_ticks) {
  base_frames_ = converter_frames_at(device_ticks);
}

void StreamDescriptor::start() {
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  NT_ASSERT(allocated_ && programmed_);
  if (!running_ && programmed_) {
    running_ = true;
    write_ctl_locked(read_ctl() | kCtlRun);
    if (controller_->powered_) {
      const ULONGLONG now = controller_->device_ticks_now();
      controller_->write_wall_clock_locked(now);
      anchor_locked(now);
    }
    controller_->update_engine_timer_locked();
  }
  KeReleaseSpinLock(&controller_->lock_, irql);
}

void StreamDescriptor::stop() {
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  if (running_) {
    if (anchored_) {
      freeze_position_locked(controller_->device_ticks_now());
    }
    running_ = false;
    anchored_ = false;
    write_ctl_locked(read_ctl() & ~kCtlRun);
    controller_->update_engine_timer_locked();
  }
  KeReleaseSpinLock(&controller_->lock_, irql);
}

void StreamDescriptor::reset() {
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  // §3.3.35 SRST resets the descriptor's registers too; the model keeps what program() wrote
  // (FMT, CBL, LVI, BDPL/U) so that KSSTATE_STOP -> RUN needs no re-programming, and resets the
  // rest: RUN, STS, LPIB, the FIFO, the DMA cursor and the position.
  write_ctl_locked(read_ctl() & ~kCtlRun);
  clear_dma_state_locked();
  controller_->update_interrupt_status_locked();
  controller_->update_engine_timer_locked();
  KeReleaseSpinLock(&controller_->lock_, irql);
}

// ---- Interrupts ------------------------------------------------------------------------------

void StreamDescriptor::set_interrupt_handler(StreamInterruptHandler* handler, void* context) {
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  handler_ = handler;
  handler_context_ = context;
  const ULONG enables = kCtlIoce | kCtlFeie | kCtlDeie;
  write_ctl_locked(handler != nullptr ? (read_ctl() | enables) : (read_ctl() & ~enables));
  controller_->update_interrupt_status_locked();
  KeReleaseSpinLock(&controller_->lock_, irql);
}

UCHAR StreamDescriptor::acknowledge_interrupt() {
  KIRQL irql;
  KeAcquireSpinLock(&controller_->lock_, &irql);
  // §3.3.36: the status bits are RW1C; FIFORDY is read only.
  const UCHAR sts = *reg(kSdSts);
  const UCHAR clear = static_cast<UCHAR>(sts & (kStsBcis | kStsFifoe | kStsDese));
  write_sts_locked(static_cast<UCHAR>(sts & ~clear));
  controller_->update_interrupt_status_locked();
  KeReleaseSpinLock(&controller_->lock_, irql);
  return sts;
}

// ---- Position --------------------------------------------------------------------------------

ULONGLONG StreamDescriptor::converter_frames_at(ULONGLONG device_ticks) const {
  if (!running_ || !anchored_) {
    return base_frames_;
  }
  // A converter has finished grid frame k once frame k + 1 is due: by tick t it has finished the
  // frames before g(t) = floor(t * r / kWallClockHz); this run's are anchor..g(t) - 1.
  const ULONGLONG grid_frame = controller_->grid_frame_at(format_.rate_hz, device_ticks);
  return base_frames_ + (grid_frame > anchor_grid_frame_ ? grid_frame - anchor_grid_frame_ : 0);
}

ULONGLONG StreamDescriptor::device_ticks_of_frame(ULONGLONG frame) const {
  // Grid frame g is due at tick ceil(g * kWallClockHz / r); this run's frame `base_frames_` is
  // grid frame anchor_grid_frame_. A frame before this run maps to where the grid puts it.
  if (format_.rate_hz == 0) return 0;
  ULONGLONG grid_frame;
  if (frame >= base_frames_) {
    grid_frame = anchor_grid_frame_ + (frame - base_frames_);
  } else {
    const ULONGLONG back = base_frames_ - frame;
    grid_frame = back > anchor_grid_frame_ ? 0 : anchor_grid_frame_ - back;
  }
  return mul_div_ceil(grid_frame, kWallClockHz, format_.rate_hz);
}

// ---- FIFO (codec side) -----------------------------------------------------------------------

void StreamDescriptor::fifo_copy_in(const UCHAR* bytes, ULONG count) {
  ULONG write_index = fifo_read_index_ + fifo_level_bytes_;
  if (write_index >= fifo_capacity_bytes_) write_index -= fifo_capacity_bytes_;
  const ULONG first = fifo_capacity_bytes_ - write_index < count ? fifo_capacity_bytes_ - write_index : count;
  RtlCopyMemory(fifo_ + write_index, bytes, first);
  RtlCopyMemory(fifo_, bytes + first, count - first);
  fifo_level_bytes_ += count;
}

void StreamDescriptor::fifo_copy_out(UCHAR* bytes, ULONG count) {
  const ULONG first = fifo_capacity_bytes_ - fifo_read_index_ < count ? fifo_capacity_bytes_ - fifo_read_index_ : count;
  RtlCopyMemory(bytes, fifo_ + fifo_read_index_, first);
  RtlCopyMemory(bytes + first, fifo_, count - first);
  fifo_read_index_ += count;
  if (fifo_read_index_ >= fifo_capacity_bytes_) fifo_read_index_ -= fifo_capacity_bytes_;
  fifo_level_bytes_ -= count;
}

ULONG StreamDescriptor::fifo_take(void* bytes, ULONG max_bytes) {
  const ULONG count = fifo_level_bytes_ < max_bytes ? fifo_level_bytes_ : max_bytes;
  fifo_copy_out(static_cast<UCHAR*>(bytes), count);
  if (count < max_bytes) {
    raise_status_locked(kStsFifoe);  // §3.3.36 FIFOE: the DAC found the FIFO empty (underrun)
  }
  return count;
}

ULONG StreamDescriptor::fifo_put(const void* bytes, ULONG count) {
  const ULONG room = fifo_capacity_bytes_ - fifo_level_bytes_;
  const ULONG moved = room < count ? room : count;
  fifo_copy_in(static_cast<const UCHAR*>(bytes), moved);
  if (moved < count) {
    raise_status_locked(kStsFifoe);  // the ADC found the FIFO full (overrun)
  }
  return moved;
}

// ---- DMA -------------------------------------------------------------------------------------

const BufferDescriptor* StreamDescriptor::resolve_bdl_locked() {
  // The list's place on the bus changes only when something is detached (a new generation).
  if (cached_bdl_generation_ == controller_->bus_generation_) {
    return cached_bdl_;
  }
  UCHAR* list_va = nullptr;
  ULONG list_bytes = 0;
  if (!controller_->bus_translate_locked(bdl_physical_, &list_va, &list_bytes) ||
      list_bytes < entry_count_ * sizeof(BufferDescriptor)) {
    return nullptr;
  }
  cached_bdl_ = reinterpret_cast<const BufferDescriptor*>(list_va);
  cached_bdl_generation_ = controller_->bus_generation_;
  return cached_bdl_;
}

void StreamDescriptor::descriptor_error_locked() {
  // §3.3.36 DESE: "a descriptor error ... the stream's RUN bit is cleared". Position freezes.
  raise_status_locked(kStsDese);
  if (running_ && anchored_) {
    freeze_position_locked(controller_->device_ticks_now());
  }
  running_ = false;
  anchored_ = false;
  write_ctl_locked(read_ctl() & ~kCtlRun);
}

bool StreamDescriptor::translate_locked(ULONGLONG physical, UCHAR** va, ULONG* available) {
  // Consecutive bursts mostly touch the same page: remember where the bus found it.
  const ULONGLONG page = physical & ~static_cast<ULONGLONG>(PAGE_SIZE - 1);
  if (cached_page_physical_ != page || cached_bus_generation_ != controller_->bus_generation_) {
    UCHAR* page_va = nullptr;
    ULONG page_bytes = 0;
    if (!controller_->bus_translate_locked(page, &page_va, &page_bytes)) {
      // An attached range may start inside this page: translate the byte itself, uncached.
      cached_page_physical_ = ~0ull;
      return controller_->bus_translate_locked(physical, va, available);
    }
    cached_page_physical_ = page;
    cached_page_va_ = page_va;
    cached_page_bytes_ = page_bytes;
    cached_bus_generation_ = controller_->bus_generation_;
  }
  const ULONG offset = static_cast<ULONG>(physical - page);
  if (offset >= cached_page_bytes_) {
    return false;  // the attached bytes end before this one (a buffer ending mid-page)
  }
  *va = cached_page_va_ + offset;
  *available = cached_page_bytes_ - offset;
  return true;
}

bool StreamDescriptor::move_burst_locked(ULONG bytes, Transfer transfer) {
  const BufferDescriptor* list = resolve_bdl_locked();
  if (list == nullptr) {
    descriptor_error_locked();
    return false;
  }
  while (bytes > 0) {
    // Entries are read from memory as the walk reaches them, as the hardware fetches them.
    const volatile BufferDescriptor& entry = list[entry_index_];
    const ULONGLONG address = entry.address;
    const ULONG length = entry.length;
    const ULONG flags = entry.flags;
    if (length == 0 || entry_offset_bytes_ >= length) {
      descriptor_error_locked();
      return false;
    }
    // One piece: up to the end of the burst, of the entry, and of the page (a frame may be split
    // here between two pages or two entries; the FIFO joins it again).
    ULONG chunk = length - entry_offset_bytes_;
    if (chunk > bytes) chunk = bytes;
    UCHAR* va = nullptr;
    ULONG available = 0;
    switch (transfer) {
      case Transfer::MemoryToFifo:
      case Transfer::FifoToMemory:
        if (!translate_locked(address + entry_offset_bytes_, &va, &available)) {
          descriptor_error_locked();
          return false;
        }
        if (chunk > available) chunk = available;
        if (transfer == Transfer::MemoryToFifo) {
          fifo_copy_in(va, chunk);
        } else {
          fifo_copy_out(va, chunk);
        }
        break;
      case Transfer::Skip:
        break;
    }
    bytes -= chunk;
    dma_bytes_ += chunk;
    entry_offset_bytes_ += chunk;
    if (entry_offset_bytes_ == length) {
      // §3.6.3 IOC: the controller interrupts when this descriptor's buffer has been processed:
      // once per entry per lap.
      if (flags & kBdlIoc) {
        raise_status_locked(kStsBcis);
      }
      entry_offset_bytes_ = 0;
      entry_index_ = entry_index_ + 1 == entry_count_ ? 0 : entry_index_ + 1;
    }
  }
  return true;
}

void StreamDescriptor::render_dma_locked(ULONGLONG device_ticks) {
  const ULONG burst = controller_->config_.burst_bytes;
  // After an underrun (the DAC found the FIFO empty and played silence) the DAC is ahead of the
  // DMA: the bytes of the frames it already played are skipped in memory, so that byte n of the
  // buffer still meets frame n / block at the DAC, as it would on a link whose timing is fixed.
  const ULONGLONG dac_bytes = codec_state_.frames_converted * block_align_bytes_;
  if (fifo_level_bytes_ == 0 && dma_bytes_ < dac_bytes) {
    ULONGLONG behind = dac_bytes - dma_bytes_;
    while (behind > 0) {
      const ULONG step = behind < 0x10000000ull ? static_cast<ULONG>(behind) : 0x10000000u;
      if (!move_burst_locked(step, Transfer::Skip)) return;
      behind -= step;
    }
  }
  // Keep the FIFO full: by device time t the DMA has fetched at least the bytes the DAC needs up
  // to t plus the FIFO depth, a burst at a time, as long as the FIFO has room for a burst.
  // The bursts due in this tick are walked in one pass: the walk splits at entries and pages
  // anyway, so consecutive bursts in one page cost one copy (the result is the same).
  const ULONGLONG need_bytes = converter_frames_at(device_ticks) * block_align_bytes_ + fifo_depth_bytes_;
  if (dma_bytes_ < need_bytes) {
    const ULONGLONG bursts_due = (need_bytes - dma_bytes_ + burst - 1) / burst;
    const ULONG bursts_room = (fifo_capacity_bytes_ - fifo_level_bytes_) / burst;
    const ULONG bursts = bursts_due < bursts_room ? static_cast<ULONG>(bursts_due) : bursts_room;
    if (bursts > 0 && !move_burst_locked(bursts * burst, Transfer::MemoryToFifo)) return;
  }
  write_lpib_locked();
  const UCHAR sts = *reg(kSdSts);
  write_sts_locked(fifo_level_bytes_ >= fifo_depth_bytes_ ? static_cast<UCHAR>(sts | kStsFifordy)
                                                          : static_cast<UCHAR>(sts & ~kStsFifordy));
}

void StreamDescriptor::capture_dma_locked() {
  // A burst goes to memory as soon as the FIFO holds one.
  const ULONG burst = controller_->config_.burst_bytes;
  const ULONG bursts = fifo_level_bytes_ / burst;
  if (bursts > 0 && !move_burst_locked(bursts * burst, Transfer::FifoToMemory)) return;
  // After an overrun (the ADC found the FIFO full and dropped frames) the memory cursor skips the
  // bytes of the dropped frames, once what the FIFO holds is written: byte n of the buffer stays
  // frame n / block of the ADC.
  const ULONGLONG adc_bytes = codec_state_.frames_converted * block_align_bytes_;
  if (adc_bytes > dma_bytes_ + fifo_level_bytes_) {
    const ULONGLONG dropped = adc_bytes - dma_bytes_ - fifo_level_bytes_;
    if (fifo_level_bytes_ > 0 && !move_burst_locked(fifo_level_bytes_, Transfer::FifoToMemory)) return;
    ULONGLONG behind = dropped;
    while (behind > 0) {
      const ULONG step = behind < 0x10000000ull ? static_cast<ULONG>(behind) : 0x10000000u;
      if (!move_burst_locked(step, Transfer::Skip)) return;
      behind -= step;
    }
  }
  write_lpib_locked();
}

}  // namespace wavert::hw
