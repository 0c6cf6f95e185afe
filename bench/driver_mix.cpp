// Cost of the codec stage's mixer: one engine tick (10 ms at 48 kHz, 16-bit stereo) with N render
// streams mixed into the speaker, against the same tick with the controller's built-in converters
// (DMA and FIFO only, no codec) and against a plain add loop over the same number of samples.
//   codec tick - built-in tick  = what the codec stage costs (decode, map, mix, volume, encode);
//   plain add loop              = the floor any mixer of doubles has to pay.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include <ntddk.h>

#include "codec/codec_stage.h"
#include "hw/controller.h"
#include "hw/registers.h"
#include "wavert/host/kernel.hpp"

namespace {

using wavert::StreamFormat;
using wavert::codec::CodecStage;
using wavert::hw::Controller;
using wavert::hw::StreamDescriptor;

constexpr ULONG kRateHz = 48000;
constexpr ULONG kTickUs = 10000;
constexpr ULONG kFramesPerTick = kRateHz / (1000000 / kTickUs);  // 480
constexpr ULONGLONG kTicksPerEngineTick = 24'000'000ull / (1000000 / kTickUs);

StreamFormat stereo16() {
  StreamFormat f;
  f.channels = 2;
  f.container_bits = 16;
  f.valid_bits = 16;
  f.rate_hz = kRateHz;
  f.channel_mask = 0x3;
  return f;
}

PHYSICAL_ADDRESS pa(LONGLONG value) {
  PHYSICAL_ADDRESS p;
  p.QuadPart = value;
  return p;
}

// A running render stream: 100 ms cyclic buffer of noise on scattered pages, one BDL entry a page.
struct BenchStream {
  PMDL mdl = nullptr;
  UCHAR* va = nullptr;
  wavert::hw::BufferDescriptor* bdl = nullptr;
  PHYSICAL_ADDRESS bdl_physical{};
  StreamDescriptor* sd = nullptr;

  bool open(Controller* controller, ULONG seed) {
    const StreamFormat f = stereo16();
    const ULONG bytes = f.bytes_per_second() / 10;
    mdl = MmAllocatePagesForMdl(pa(0), pa(-1), pa(0), bytes);
    va = static_cast<UCHAR*>(MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority));
    for (ULONG i = 0; i < bytes; ++i) va[i] = static_cast<UCHAR>((i * 2654435761u + seed) >> 13);
    if (controller->attach_pages(mdl, va) != STATUS_SUCCESS) return false;
    bdl = static_cast<wavert::hw::BufferDescriptor*>(
        MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(-1), pa(0), MmCached));
    bdl_physical = MmGetPhysicalAddress(bdl);
    if (controller->attach_contiguous(bdl_physical, bdl, PAGE_SIZE) != STATUS_SUCCESS) return false;
    const PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    ULONG entries = 0;
    for (ULONG offset = 0; offset < bytes; ++entries) {
      const ULONG position = MmGetMdlByteOffset(mdl) + offset;
      ULONG end = (offset / PAGE_SIZE + 1) * PAGE_SIZE;
      if (end > bytes) end = bytes;
      bdl[entries].address = (static_cast<ULONGLONG>(pfns[position / PAGE_SIZE]) << PAGE_SHIFT) + position % PAGE_SIZE;
      bdl[entries].length = end - offset;
      bdl[entries].flags = 0;
      offset = end;
    }
    if (controller->allocate_stream(wavert::hw::StreamRoute::SpeakerRender, &sd) != STATUS_SUCCESS) return false;
    if (sd->program(f, bdl_physical, bytes, entries - 1) != STATUS_SUCCESS) return false;
    sd->start();
    return true;
  }

  void close(Controller* controller) {
    controller->free_stream(sd);
    controller->detach_pages(mdl);
    controller->detach_contiguous(bdl_physical);
    MmFreeContiguousMemory(bdl);
    MmUnmapLockedPages(va, mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
  }
};

void run_ticks(benchmark::State& state, bool with_codec) {
  wavert::host::KernelSession session;
  CodecStage* codec = nullptr;
  if (with_codec && CodecStage::create(&codec) != STATUS_SUCCESS) {
    state.SkipWithError("CodecStage::create failed");
    return;
  }
  wavert::hw::ControllerConfig config;
  config.dma_tick_us = kTickUs;
  Controller* controller = nullptr;
  if (Controller::create(config, codec, &controller) != STATUS_SUCCESS) {
    state.SkipWithError("Controller::create failed");
    return;
  }
  const int streams = static_cast<int>(state.range(0));
  std::vector<BenchStream> render(streams);
  for (int i = 0; i < streams; ++i) {
    if (!render[i].open(controller, i)) {
      state.SkipWithError("stream setup failed");
      return;
    }
  }
  ULONGLONG ticks = controller->device_ticks_now();
  for (auto _ : state) {
    ticks += kTicksPerEngineTick;
    controller->run_engine_tick(ticks);
  }
  state.counters["per_stream_us"] = benchmark::Counter(
      static_cast<double>(streams), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(streams) * kFramesPerTick,
                                                  benchmark::Counter::kIsIterationInvariantRate);
  for (auto& s : render) s.close(controller);
  delete controller;
  delete codec;
}

void BM_EngineTickCodecMix(benchmark::State& state) { run_ticks(state, true); }
void BM_EngineTickNoCodec(benchmark::State& state) { run_ticks(state, false); }

// The same samples (streams x 480 frames x 2 channels) summed into one buffer of doubles.
void BM_PlainAddLoop(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const size_t samples = kFramesPerTick * 2;
  std::vector<std::vector<double>> inputs(streams, std::vector<double>(samples));
  for (int i = 0; i < streams; ++i) {
    for (size_t k = 0; k < samples; ++k) inputs[i][k] = static_cast<double>((k * 2654435761u + i) % 65536) / 32768.0 - 1.0;
  }
  std::vector<double> mix(samples);
  for (auto _ : state) {
    std::fill(mix.begin(), mix.end(), 0.0);
    for (int i = 0; i < streams; ++i) {
      const double* in = inputs[i].data();
      for (size_t k = 0; k < samples; ++k) mix[k] += in[k];
    }
    benchmark::DoNotOptimize(mix.data());
    benchmark::ClobberMemory();
  }
  state.counters["per_stream_us"] = benchmark::Counter(
      static_cast<double>(streams), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(streams) * kFramesPerTick,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_EngineTickCodecMix)->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EngineTickNoCodec)->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PlainAddLoop)->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
