// The foundation's smoke demo, until the driver exists (then `wavert loopback` replaces it).
//
// A cyclic buffer of two 10 ms periods of 6-channel 24-bit 48 kHz audio lives on scattered
// physical pages (18-byte frames straddle page boundaries). A "DMA engine" — a periodic
// high-resolution timer at DISPATCH_LEVEL — reads each period through *physical* addresses, page by
// page, and checks every byte against what the client wrote; the client refills a period each time
// the engine signals it. One hour of audio in simulated time, or a few seconds on the real clock.
#include <wdm.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wavert/host/clock.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"

namespace {

constexpr ULONG kTag = 'omeD';
constexpr ULONG kFramesPerSecond = 48000;
constexpr ULONG kBytesPerFrame = 6 * 3;  // six channels of packed 24-bit samples
constexpr ULONG kPeriodFrames = 480;     // 10 ms
constexpr ULONG kPeriodBytes = kPeriodFrames * kBytesPerFrame;
constexpr ULONG kPeriods = 2;
constexpr ULONG kBufferBytes = kPeriodBytes * kPeriods;
constexpr LONGLONG kPeriod100ns = 100'000;

// The byte the stream carries at a given position since start: a cheap hash, so a period read
// from the wrong page, offset or time cannot pass for the right one.
UCHAR expected_byte(ULONGLONG stream_offset) {
  return static_cast<UCHAR>((stream_offset * 2654435761ull) >> 24);
}

struct DemoStream {
  PMDL mdl = nullptr;
  PUCHAR client_view = nullptr;  // the client's mapping of the cyclic buffer
  PEX_TIMER dma_timer = nullptr;
  KEVENT period_done;            // synchronization event: one period consumed
  ULONGLONG start_100ns = 0;

  // Written by the DMA callback (DISPATCH_LEVEL), read by the client after the event.
  volatile LONG64 periods_consumed = 0;
  LONG64 byte_mismatches = 0;
  LONG64 max_lateness_100ns = 0;
};

void fill_period(DemoStream& s, ULONGLONG period_index) {
  const ULONG slot = static_cast<ULONG>(period_index % kPeriods) * kPeriodBytes;
  const ULONGLONG stream_offset = period_index * kPeriodBytes;
  for (ULONG i = 0; i < kPeriodBytes; ++i) s.client_view[slot + i] = expected_byte(stream_offset + i);
}

// The DMA engine: walks one period of the buffer through the MDL's page frames, as a
// scatter/gather controller would, and checks it.
VOID dma_period(PEX_TIMER, PVOID context) {
  auto& s = *static_cast<DemoStream*>(context);
  const ULONGLONG period = static_cast<ULONGLONG>(s.periods_consumed);
  const ULONGLONG due = s.start_100ns + (period + 1) * kPeriod100ns;
  const LONG64 lateness = static_cast<LONG64>(KeQueryInterruptTime() - due);
  if (lateness > s.max_lateness_100ns) s.max_lateness_100ns = lateness;

  const PPFN_NUMBER frames = MmGetMdlPfnArray(s.mdl);
  ULONG offset = static_cast<ULONG>(period % kPeriods) * kPeriodBytes;
  ULONGLONG stream_offset = period * kPeriodBytes;
  ULONG remaining = kPeriodBytes;
  while (remaining > 0) {
    const ULONG in_page = offset % PAGE_SIZE;
    const ULONG chunk = remaining < PAGE_SIZE - in_page ? remaining : PAGE_SIZE - in_page;
    const ULONGLONG physical = (static_cast<ULONGLONG>(frames[offset / PAGE_SIZE]) << PAGE_SHIFT) + in_page;
    const auto* bytes = static_cast<const UCHAR*>(wavert::host::physical_to_host(physical, chunk));
    for (ULONG i = 0; i < chunk; ++i) s.byte_mismatches += bytes[i] != expected_byte(stream_offset + i);
    offset += chunk;
    stream_offset += chunk;
    remaining -= chunk;
  }
  InterlockedIncrement64(&s.periods_consumed);
  KeSetEvent(&s.period_done, IO_NO_INCREMENT, FALSE);
}

struct Options {
  wavert::host::ClockKind clock = wavert::host::ClockKind::Simulated;
  double seconds = 3600.0;
};

int usage(const char* why) {
  std::fprintf(stderr, "wavert-demo: %s\nusage: wavert-demo [--clock sim|real] [--seconds S]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool seconds_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--clock" && i + 1 < argc) {
      const std::string kind = argv[++i];
      if (kind == "sim") options.clock = wavert::host::ClockKind::Simulated;
      else if (kind == "real") options.clock = wavert::host::ClockKind::Real;
      else return usage("--clock takes sim or real");
    } else if (arg == "--seconds" && i + 1 < argc) {
      char* end = nullptr;
      options.seconds = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(options.seconds > 0) || options.seconds > 86400 * 7) {
        return usage("--seconds takes a duration from 0 to 604800");
      }
      seconds_given = true;
    } else {
      return usage(("unknown argument: " + arg).c_str());
    }
  }
  if (options.clock == wavert::host::ClockKind::Real && !seconds_given) options.seconds = 3;

  wavert::host::KernelConfig config;
  config.clock = options.clock;
  const auto wall_start = std::chrono::steady_clock::now();
  LONG64 periods = 0, mismatches = 0, late_100ns = 0;
  {
    wavert::host::KernelSession session(config);
    std::printf("wavert foundation demo: %s clock, seed %" PRIu64 "\n",
                wavert::host::clock_kind_name(config.clock), config.seed);

    DemoStream s;
    PHYSICAL_ADDRESS low{}, high{}, skip{};
    high.QuadPart = -1;
    s.mdl = MmAllocatePagesForMdlEx(low, high, skip, kBufferBytes, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    if (s.mdl == nullptr) {
      std::fprintf(stderr, "wavert-demo: could not allocate %u bytes of buffer\n", kBufferBytes);
      return 3;
    }
    s.client_view = static_cast<PUCHAR>(
        MmMapLockedPagesSpecifyCache(s.mdl, UserMode, MmCached, nullptr, FALSE, NormalPagePriority));
    KeInitializeEvent(&s.period_done, SynchronizationEvent, FALSE);

    const ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(nullptr, kBufferBytes);
    std::printf("buffer: %u bytes = 2 periods of 10 ms, 6 ch 24-bit 48 kHz, on %u pages at", kBufferBytes, pages);
    for (ULONG i = 0; i < pages; ++i) std::printf(" 0x%" PRIx64, static_cast<uint64_t>(MmGetMdlPfnArray(s.mdl)[i]) << PAGE_SHIFT);
    std::printf("\n");

    for (ULONGLONG p = 0; p < kPeriods; ++p) fill_period(s, p);
    const auto total_periods = static_cast<ULONGLONG>(options.seconds * 100.0 + 0.5);

    s.dma_timer = ExAllocateTimer(dma_period, &s, EX_TIMER_HIGH_RESOLUTION);
    s.start_100ns = KeQueryInterruptTime();
    ExSetTimer(s.dma_timer, -kPeriod100ns, kPeriod100ns, nullptr);

    ULONGLONG refilled = kPeriods;  // periods written so far
    LARGE_INTEGER timeout;
    timeout.QuadPart = -10 * kPeriod100ns;  // ten periods without the engine is a failure
    while (static_cast<ULONGLONG>(s.periods_consumed) < total_periods) {
      if (KeWaitForSingleObject(&s.period_done, Executive, KernelMode, FALSE, &timeout) != STATUS_SUCCESS) {
        std::fprintf(stderr, "wavert-demo: the DMA engine stopped signalling\n");
        break;
      }
      // Refill every slot the engine has finished with, for the period two ahead.
      while (refilled < static_cast<ULONGLONG>(s.periods_consumed) + kPeriods) fill_period(s, refilled++);
    }
    ExDeleteTimer(s.dma_timer, TRUE, TRUE, nullptr);
    periods = s.periods_consumed;
    mismatches = s.byte_mismatches;
    late_100ns = s.max_lateness_100ns;

    MmUnmapLockedPages(s.client_view, s.mdl);
    MmFreePagesFromMdl(s.mdl);
    ExFreePool(s.mdl);
    std::printf("streamed %.3f s of audio in %lld periods: %lld byte mismatches, worst timer lateness %.1f us\n",
                static_cast<double>(periods) / 100.0, static_cast<long long>(periods),
                static_cast<long long>(mismatches), static_cast<double>(late_100ns) / 10.0);
  }  // session shutdown: leak checks run here and abort with a report on any leak
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("wall time %.2f s (%.0fx real time); shutdown clean: no leaked pool, pages, timers or DPCs\n",
              wall_s, static_cast<double>(periods) / 100.0 / wall_s);
  return mismatches == 0 && periods > 0 ? 0 : 1;
}
