// IPortWaveRTStream: the per-pin memory helpers a WaveRT miniport allocates its cyclic buffer with
// (waveRT-contract.md §3). One object per pin, created before NewStream and handed to it.
//
// Referee duties (Rule::PortContract reports): every helper runs at PASSIVE_LEVEL; an MDL passed in
// must come from this stream's Allocate*; FreePagesFromMdl needs every MapAllocatedPages mapping of
// the MDL undone first; GetPhysicalPageAddress's index lies inside the MDL.
//
// Threading: the miniport may call from any thread at PASSIVE_LEVEL; the bookkeeping is guarded by
// a leaf mutex, never held across a kernel call that may report (the report may abort).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include <portcls.h>

namespace wavert::portcls {

class PortWaveRTStream final : public IPortWaveRTStream {
 public:
  // One reference, for the pin. Cannot fail (host allocation).
  static PortWaveRTStream* create();

  // ---- IUnknown ----
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* out) override;
  STDMETHODIMP_(ULONG) AddRef() override;
  STDMETHODIMP_(ULONG) Release() override;

  // ---- IPortWaveRTStream ----
  // MmAllocatePagesForMdl(0, High, 0, Bytes): whole pages, scattered, maybe fewer bytes than asked
  // when memory is short; NULL on failure.
  STDMETHODIMP_(PMDL) AllocatePagesForMdl(PHYSICAL_ADDRESS high, SIZE_T total_bytes) override;
  // MmAllocatePagesForMdlEx(Low, High, 0, Bytes, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS):
  // one physically contiguous run of all the pages or NULL, never fewer bytes (host runs are at
  // most kPhysicalExtentBytes, 4 MiB).
  STDMETHODIMP_(PMDL) AllocateContiguousPagesForMdl(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high,
                                                    SIZE_T total_bytes) override;
  // A kernel mapping of the MDL's pages (MmMapLockedPagesSpecifyCache, KernelMode), or NULL.
  STDMETHODIMP_(PVOID) MapAllocatedPages(PMDL mdl, MEMORY_CACHING_TYPE cache_type) override;
  STDMETHODIMP_(VOID) UnmapAllocatedPages(PVOID base, PMDL mdl) override;
  // Frees the pages and the MDL (the port allocated both).
  STDMETHODIMP_(VOID) FreePagesFromMdl(PMDL mdl) override;
  STDMETHODIMP_(ULONG) GetPhysicalPagesCount(PMDL mdl) override;
  // Returned by value: the port and the host-built miniport share one compiler, so the ABI agrees
  // (portcls.h explains the MSVC/GCC difference for a Windows-built miniport).
  STDMETHODIMP_(PHYSICAL_ADDRESS) GetPhysicalPageAddress(PMDL mdl, ULONG index) override;

  // MDLs the miniport allocated through this object and has not freed (checked at pin close).
  std::size_t outstanding_mdls() const;
  // Frees what a miniport left behind, after reporting it (pin close, last resort against leaks).
  void free_leftovers();

 private:
  PortWaveRTStream() = default;
  ~PortWaveRTStream() = default;
  bool at_passive(const char* method) const;
  // True when `mdl` was allocated here and not yet freed; reports otherwise.
  bool known(PMDL mdl, const char* method) const;
  PMDL track(PMDL mdl);

  std::atomic<ULONG> references_{1};
  mutable std::mutex mutex_;                       // leaf lock
  std::map<PMDL, std::vector<PVOID>> mappings_;    // guarded by mutex_: allocated MDL -> live kernel mappings
};

}  // namespace wavert::portcls
