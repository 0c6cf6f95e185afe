// Test rig for the virtual controller: a simulated machine, a controller without a codec (its
// built-in converters, docs/virtual-controller.md "No codec attached"), and streams whose cyclic
// buffer comes from MmAllocatePagesForMdl (scattered physical pages) with a BDL the test builds.
#pragma once

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "hw/controller.h"
#include "wavert/host/clock.hpp"
#include "wavert/host/kernel.hpp"

namespace hw_test {

using wavert::StreamFormat;
using wavert::hw::BufferDescriptor;
using wavert::hw::Controller;
using wavert::hw::ControllerConfig;
using wavert::hw::StreamDescriptor;
using wavert::hw::StreamRoute;

inline StreamFormat pcm_format(int channels, int container, int valid, ULONG rate) {
  StreamFormat f;
  f.type = wavert::SampleType::Pcm;
  f.channels = static_cast<UCHAR>(channels);
  f.container_bits = static_cast<UCHAR>(container);
  f.valid_bits = static_cast<UCHAR>(valid);
  f.rate_hz = rate;
  return f;
}

inline wavert::host::KernelConfig sim_config(std::uint64_t start_uptime_100ns = 0) {
  wavert::host::KernelConfig config;
  config.sim_start_uptime_100ns = start_uptime_100ns;
  return config;
}

inline void run_ms(std::int64_t ms) { wavert::host::run_for(std::chrono::milliseconds(ms)); }

// One machine with one controller; destroyed controller first, then the machine.
class Rig {
 public:
  explicit Rig(const ControllerConfig& config = {}, const wavert::host::KernelConfig& kernel = sim_config())
      : session_(kernel) {
    status_ = Controller::create(config, nullptr, &controller_);
  }
  ~Rig() { delete controller_; }
  Controller* controller() const { return controller_; }
  NTSTATUS create_status() const { return status_; }

 private:
  wavert::host::KernelSession session_;
  Controller* controller_ = nullptr;
  NTSTATUS status_ = STATUS_UNSUCCESSFUL;
};

// A cyclic buffer on scattered pages, its BDL, and the descriptor that walks it.
class TestStream {
 public:
  // The BDL has an entry boundary at every page boundary (pages are not physically adjacent),
  // at every multiple of `fragment_bytes`, and at each offset in `ioc_ends` (whose entries get IOC).
  TestStream(Controller* controller, StreamRoute route, const StreamFormat& format, ULONG buffer_bytes,
             ULONG fragment_bytes, const std::vector<ULONG>& ioc_ends = {})
      : controller_(controller), bytes_(buffer_bytes) {
    PHYSICAL_ADDRESS low, high, skip;
    low.QuadPart = 0;
    high.QuadPart = -1;
    skip.QuadPart = 0;
    mdl_ = MmAllocatePagesForMdl(low, high, skip, buffer_bytes);
    EXPECT_NE(mdl_, nullptr);
    EXPECT_EQ(MmGetMdlByteCount(mdl_), buffer_bytes);
    va_ = static_cast<UCHAR*>(
        MmMapLockedPagesSpecifyCache(mdl_, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority));
    EXPECT_NE(va_, nullptr);
    std::memset(va_, 0xEE, buffer_bytes);
    EXPECT_EQ(controller_->attach_pages(mdl_, va_), STATUS_SUCCESS);

    bdl_ = static_cast<BufferDescriptor*>(
        MmAllocateContiguousMemorySpecifyCache(wavert::hw::kMaxBdlEntries * sizeof(BufferDescriptor), low, high,
                                               skip, MmCached));
    EXPECT_NE(bdl_, nullptr);
    bdl_physical_ = MmGetPhysicalAddress(bdl_);
    EXPECT_EQ(controller_->attach_contiguous(bdl_physical_, bdl_, wavert::hw::kMaxBdlEntries * sizeof(BufferDescriptor)),
              STATUS_SUCCESS);
    ULONG offset = 0;
    entries_ = 0;
    while (offset < buffer_bytes) {
      ULONG end = (offset / PAGE_SIZE + 1) * PAGE_SIZE;
      const ULONG next_fragment = (offset / fragment_bytes + 1) * fragment_bytes;
      if (next_fragment < end) end = next_fragment;
      for (ULONG ioc_end : ioc_ends) {
        if (ioc_end > offset && ioc_end < end) end = ioc_end;
      }
      if (end > buffer_bytes) end = buffer_bytes;
      BufferDescriptor& entry = bdl_[entries_++];
      entry.address = physical_of(offset);
      entry.length = end - offset;
      entry.flags = 0;
      for (ULONG ioc_end : ioc_ends) {
        if (ioc_end == end) entry.flags = wavert::hw::kBdlIoc;
      }
      offset = end;
    }
    EXPECT_EQ(controller_->allocate_stream(route, &stream_), STATUS_SUCCESS);
    program_status_ = stream_->program(format, bdl_physical_, buffer_bytes, entries_ - 1);
  }

  ~TestStream() {
    controller_->free_stream(stream_);
    controller_->detach_pages(mdl_);
    controller_->detach_contiguous(bdl_physical_);
    MmFreeContiguousMemory(bdl_);
    MmUnmapLockedPages(va_, mdl_);
    MmFreePagesFromMdl(mdl_);
    ExFreePool(mdl_);
  }

  ULONGLONG physical_of(ULONG offset) const {
    const PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl_);
    const ULONG position = MmGetMdlByteOffset(mdl_) + offset;
    return (static_cast<ULONGLONG>(pfns[position / PAGE_SIZE]) << PAGE_SHIFT) + position % PAGE_SIZE;
  }

  StreamDescriptor* sd() const { return stream_; }
  UCHAR* buffer() const { return va_; }
  ULONG bytes() const { return bytes_; }
  BufferDescriptor* bdl() const { return bdl_; }
  ULONG entries() const { return entries_; }
  NTSTATUS program_status() const { return program_status_; }
  PMDL mdl() const { return mdl_; }

 private:
  Controller* controller_;
  ULONG bytes_;
  PMDL mdl_ = nullptr;
  UCHAR* va_ = nullptr;
  BufferDescriptor* bdl_ = nullptr;
  PHYSICAL_ADDRESS bdl_physical_{};
  ULONG entries_ = 0;
  StreamDescriptor* stream_ = nullptr;
  NTSTATUS program_status_ = STATUS_UNSUCCESSFUL;
};

// Device time of the engine's last tick: WALCLK holds its low 32 bits.
inline ULONGLONG last_tick_device_time(const Controller* controller) {
  const ULONGLONG now = controller->device_ticks_now();
  const ULONG walclk = *controller->wall_clock_register();
  return now - static_cast<ULONG>(static_cast<ULONG>(now) - walclk);
}

}  // namespace hw_test
