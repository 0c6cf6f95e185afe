// Cost of the memory part of the host kernel: pool allocate/free pairs (with the verifier's table,
// guard and quarantine), MDL page allocation, mapping, and the DMA model's physical translation.
#include <benchmark/benchmark.h>

#include <wdm.h>

#include "wavert/host/kernel.hpp"
#include "wavert/host/memory.hpp"

using namespace wavert::host;

namespace {

constexpr ULONG kTag = 0x68636E42;  // "Bnch"

PHYSICAL_ADDRESS pa(std::uint64_t value) {
  PHYSICAL_ADDRESS p;
  p.QuadPart = static_cast<LONGLONG>(value);
  return p;
}

void BM_PoolAllocateFree(benchmark::State& state) {
  KernelSession session;
  const auto bytes = static_cast<SIZE_T>(state.range(0));
  for (auto _ : state) {
    void* p = ExAllocatePool2(POOL_FLAG_NON_PAGED, bytes, kTag);
    benchmark::DoNotOptimize(p);
    ExFreePoolWithTag(p, kTag);
  }
}
BENCHMARK(BM_PoolAllocateFree)->Arg(64)->Arg(4096);

void BM_MdlAllocateFree(benchmark::State& state) {
  KernelSession session;
  const auto bytes = static_cast<SIZE_T>(state.range(0));
  for (auto _ : state) {
    PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(0xFFFFFFFF), pa(0), bytes, MmCached, 0);
    benchmark::DoNotOptimize(mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
  }
}
BENCHMARK(BM_MdlAllocateFree)->Arg(64 * 1024)->Arg(1024 * 1024);

void BM_MdlMapUnmap(benchmark::State& state) {
  KernelSession session;
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(0xFFFFFFFF), pa(0), static_cast<SIZE_T>(state.range(0)), MmCached, 0);
  for (auto _ : state) {
    void* va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
    benchmark::DoNotOptimize(va);
    MmUnmapLockedPages(va, mdl);
  }
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}
BENCHMARK(BM_MdlMapUnmap)->Arg(64 * 1024);

void BM_PhysicalToHost(benchmark::State& state) {
  KernelSession session;
  PMDL mdl = MmAllocatePagesForMdlEx(pa(0), pa(0xFFFFFFFF), pa(0), PAGE_SIZE, MmCached, 0);
  const std::uint64_t address = MmGetMdlPfnArray(mdl)[0] * PAGE_SIZE + 128;
  for (auto _ : state) benchmark::DoNotOptimize(physical_to_host(address, 256));
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}
BENCHMARK(BM_PhysicalToHost);

} // namespace
