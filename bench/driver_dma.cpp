// The virtual controller's DMA path (driver/hw, docs/virtual-controller.md): cost per frame of an
// engine tick -- the render DMA walking the BDL through the system bus in bursts into the FIFO,
// and the built-in DAC taking the frames out -- against a plain memcpy of the same bytes in the
// same tick-sized pieces, measured in the same run. Counters:
//   dma_ns_per_frame, memcpy_ns_per_frame, ratio (= dma / memcpy).
// The controller runs without a codec (its built-in converters), so the codec's mixing is not in
// the figure; ticks are driven directly (Controller::run_engine_tick), not by the timer.
#include <chrono>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "hw/controller.h"
#include "wavert/host/kernel.hpp"

namespace {

using wavert::StreamFormat;
using wavert::hw::BufferDescriptor;
using wavert::hw::Controller;
using wavert::hw::ControllerConfig;
using wavert::hw::StreamDescriptor;
using wavert::hw::StreamRoute;

StreamFormat pcm(int channels, int bits, ULONG rate) {
  StreamFormat f;
  f.channels = static_cast<UCHAR>(channels);
  f.container_bits = static_cast<UCHAR>(bits);
  f.valid_bits = static_cast<UCHAR>(bits);
  f.rate_hz = rate;
  return f;
}

void BM_RenderDmaTick(benchmark::State& state, StreamFormat format) {
  const ULONG tick_us = static_cast<ULONG>(state.range(0));
  wavert::host::KernelSession session;
  ControllerConfig config;
  config.dma_tick_us = tick_us;
  Controller* controller = nullptr;
  if (Controller::create(config, nullptr, &controller) != STATUS_SUCCESS) {
    state.SkipWithError("Controller::create failed");
    return;
  }
  // 64 KiB on scattered pages, one BDL entry per page, 10 ms packets with IOC (as the port would).
  constexpr ULONG kBufferBytes = 64 * 1024;
  PHYSICAL_ADDRESS low, high, skip;
  low.QuadPart = 0;
  high.QuadPart = -1;
  skip.QuadPart = 0;
  PMDL mdl = MmAllocatePagesForMdl(low, high, skip, kBufferBytes);
  auto* buffer = static_cast<UCHAR*>(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE,
                                                                  NormalPagePriority));
  for (ULONG i = 0; i < kBufferBytes; ++i) buffer[i] = static_cast<UCHAR>(i * 7);
  auto* bdl = static_cast<BufferDescriptor*>(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, low, high, skip, MmCached));
  const PHYSICAL_ADDRESS bdl_physical = MmGetPhysicalAddress(bdl);
  const PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
  const ULONG entries = kBufferBytes / PAGE_SIZE;
  for (ULONG i = 0; i < entries; ++i) {
    bdl[i].address = static_cast<ULONGLONG>(pfns[i]) << PAGE_SHIFT;
    bdl[i].length = PAGE_SIZE;
    bdl[i].flags = wavert::hw::kBdlIoc;
  }
  StreamDescriptor* stream = nullptr;
  if (controller->attach_pages(mdl, buffer) != STATUS_SUCCESS ||
      controller->attach_contiguous(bdl_physical, bdl, PAGE_SIZE) != STATUS_SUCCESS ||
      controller->allocate_stream(StreamRoute::SpeakerRender, &stream) != STATUS_SUCCESS ||
      stream->program(format, bdl_physical, kBufferBytes, entries - 1) != STATUS_SUCCESS) {
    state.SkipWithError("programming failed");
    return;
  }
  stream->start();

  const ULONGLONG ticks_per_period = static_cast<ULONGLONG>(wavert::hw::kWallClockHz) * tick_us / 1'000'000;
  ULONGLONG device_ticks = controller->device_ticks_now();
  const ULONGLONG frames_before = stream->converter_frames_at(device_ticks);
  const ULONGLONG bytes_before = stream->dma_bytes();
  const auto dma_begin = std::chrono::steady_clock::now();
  for (auto _ : state) {
    device_ticks += ticks_per_period;
    controller->run_engine_tick(device_ticks);
  }
  const double dma_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - dma_begin).count();
  const ULONGLONG frames = stream->converter_frames_at(device_ticks) - frames_before;
  const ULONGLONG bytes = stream->dma_bytes() - bytes_before;

  // The same bytes with memcpy, in the same per-tick pieces, from the same buffer.
  const ULONG per_tick_bytes = static_cast<ULONG>(bytes / (state.iterations() ? state.iterations() : 1));
  std::vector<UCHAR> sink(per_tick_bytes + 64);
  ULONG offset = 0;
  const auto copy_begin = std::chrono::steady_clock::now();
  for (ULONGLONG moved = 0; moved < bytes; moved += per_tick_bytes) {
    if (offset + per_tick_bytes > kBufferBytes) offset = 0;
    std::memcpy(sink.data(), buffer + offset, per_tick_bytes);
    benchmark::DoNotOptimize(sink.data());
    benchmark::ClobberMemory();
    offset += per_tick_bytes;
  }
  const double copy_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - copy_begin).count();

  state.SetItemsProcessed(static_cast<int64_t>(frames));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (frames > 0) {
    state.counters["dma_ns_per_frame"] = dma_ns / static_cast<double>(frames);
    state.counters["memcpy_ns_per_frame"] = copy_ns / static_cast<double>(frames);
    state.counters["ratio"] = copy_ns > 0 ? dma_ns / copy_ns : 0;
  }

  stream->stop();
  controller->free_stream(stream);
  controller->detach_pages(mdl);
  controller->detach_contiguous(bdl_physical);
  delete controller;
  MmFreeContiguousMemory(bdl);
  MmUnmapLockedPages(buffer, mdl);
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}

BENCHMARK_CAPTURE(BM_RenderDmaTick, stereo16_48k, pcm(2, 16, 48000))->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_RenderDmaTick, ch8_32bit_48k, pcm(8, 32, 48000))->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_RenderDmaTick, ch8_32bit_192k, pcm(8, 32, 192000))->Arg(1000);

}  // namespace
