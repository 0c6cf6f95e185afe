// IPortWaveRTStream (port_wavert_stream.hpp; waveRT-contract.md §3).
#include "port_wavert_stream.hpp"

#include <algorithm>

#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using host::Rule;
using host::verifier_report;

PortWaveRTStream* PortWaveRTStream::create() { return new PortWaveRTStream(); }

NTSTATUS PortWaveRTStream::QueryInterface(REFIID iid, PVOID* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IPortWaveRTStream)) {
    *out = static_cast<IPortWaveRTStream*>(this);
    AddRef();
    return STATUS_SUCCESS;
  }
  *out = nullptr;
  return STATUS_INVALID_PARAMETER;
}

ULONG PortWaveRTStream::AddRef() { return references_.fetch_add(1) + 1; }

ULONG PortWaveRTStream::Release() {
  const ULONG left = references_.fetch_sub(1) - 1;
  if (left == 0) delete this;
  return left;
}

bool PortWaveRTStream::at_passive(const char* method) const {
  const KIRQL irql = KeGetCurrentIrql();
  if (irql == PASSIVE_LEVEL) return true;
  verifier_report(Rule::IrqlTooHigh, WAVERT_HERE, "IPortWaveRTStream::%s called at IRQL %u; all its methods run at "
                  "PASSIVE_LEVEL (waveRT-contract.md §3)", method, unsigned{irql});
  return false;
}

bool PortWaveRTStream::known(PMDL mdl, const char* method) const {
  {
    std::lock_guard lock(mutex_);
    if (mdl != nullptr && mappings_.contains(mdl)) return true;
  }
  verifier_report(Rule::PortContract, WAVERT_HERE,
                  "IPortWaveRTStream::%s(%p): not an MDL this stream's AllocatePagesForMdl / "
                  "AllocateContiguousPagesForMdl returned (or it was already freed)", method, static_cast<void*>(mdl));
  return false;
}

PMDL PortWaveRTStream::track(PMDL mdl) {
  if (mdl != nullptr) {
    std::lock_guard lock(mutex_);
    mappings_[mdl];
  }
  return mdl;
}

PMDL PortWaveRTStream::AllocatePagesForMdl(PHYSICAL_ADDRESS high, SIZE_T total_bytes) {
  if (!at_passive("AllocatePagesForMdl")) return nullptr;
  PHYSICAL_ADDRESS low{}, skip{};
  return track(MmAllocatePagesForMdl(low, high, skip, total_bytes));
}

PMDL PortWaveRTStream::AllocateContiguousPagesForMdl(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high, SIZE_T total_bytes) {
  if (!at_passive("AllocateContiguousPagesForMdl")) return nullptr;
  PHYSICAL_ADDRESS skip{};
  PMDL mdl = MmAllocatePagesForMdlEx(low, high, skip, total_bytes, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
  if (mdl == nullptr) return nullptr;
  // "Fails rather than returning less": a short contiguous run is given back.
  if (MmGetMdlByteCount(mdl) < total_bytes) {
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    return nullptr;
  }
  return track(mdl);
}

PVOID PortWaveRTStream::MapAllocatedPages(PMDL mdl, MEMORY_CACHING_TYPE cache_type) {
  if (!at_passive("MapAllocatedPages") || !known(mdl, "MapAllocatedPages")) return nullptr;
  PVOID va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, cache_type, nullptr, FALSE, NormalPagePriority);
  if (va != nullptr) {
    std::lock_guard lock(mutex_);
    mappings_[mdl].push_back(va);
  }
  return va;
}

VOID PortWaveRTStream::UnmapAllocatedPages(PVOID base, PMDL mdl) {
  if (!at_passive("UnmapAllocatedPages") || !known(mdl, "UnmapAllocatedPages")) return;
  {
    std::lock_guard lock(mutex_);
    auto& list = mappings_[mdl];
    auto it = std::find(list.begin(), list.end(), base);
    if (it != list.end()) list.erase(it);
    else base = nullptr;
  }
  if (base == nullptr) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "IPortWaveRTStream::UnmapAllocatedPages: not an address MapAllocatedPages returned for MDL %p",
                    static_cast<void*>(mdl));
    return;
  }
  MmUnmapLockedPages(base, mdl);
}

VOID PortWaveRTStream::FreePagesFromMdl(PMDL mdl) {
  if (!at_passive("FreePagesFromMdl") || !known(mdl, "FreePagesFromMdl")) return;
  std::vector<PVOID> still_mapped;
  {
    std::lock_guard lock(mutex_);
    still_mapped = std::move(mappings_[mdl]);
    mappings_.erase(mdl);
  }
  if (!still_mapped.empty()) {
    // "The miniport must unmap (UnmapAllocatedPages) before freeing" (waveRT-contract.md §3).
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "IPortWaveRTStream::FreePagesFromMdl(%p) while %zu MapAllocatedPages mapping(s) are live: call "
                    "UnmapAllocatedPages first", static_cast<void*>(mdl), still_mapped.size());
    for (PVOID va : still_mapped) MmUnmapLockedPages(va, mdl);
  }
  MmFreePagesFromMdl(mdl);
  ExFreePool(mdl);
}

ULONG PortWaveRTStream::GetPhysicalPagesCount(PMDL mdl) {
  if (!at_passive("GetPhysicalPagesCount") || !known(mdl, "GetPhysicalPagesCount")) return 0;
  return ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
}

PHYSICAL_ADDRESS PortWaveRTStream::GetPhysicalPageAddress(PMDL mdl, ULONG index) {
  PHYSICAL_ADDRESS address{};
  if (!at_passive("GetPhysicalPageAddress") || !known(mdl, "GetPhysicalPageAddress")) return address;
  const ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
  if (index >= pages) {
    // "Index ... can range from zero to the count": read as 0 <= i < count (waveRT-contract.md §3).
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "IPortWaveRTStream::GetPhysicalPageAddress(%p, %lu): the MDL has %lu page(s)",
                    static_cast<void*>(mdl), static_cast<unsigned long>(index), static_cast<unsigned long>(pages));
    return address;
  }
  // The stored PFN array, not the system VA: the pages need not be mapped (contract §3 notes).
  address.QuadPart = static_cast<LONGLONG>(MmGetMdlPfnArray(mdl)[index]) << PAGE_SHIFT;
  return address;
}

std::size_t PortWaveRTStream::outstanding_mdls() const {
  std::lock_guard lock(mutex_);
  return mappings_.size();
}

void PortWaveRTStream::free_leftovers() {
  std::map<PMDL, std::vector<PVOID>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(mappings_);
  }
  for (auto& [mdl, maps] : left) {
    for (PVOID va : maps) MmUnmapLockedPages(va, mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
  }
}

}  // namespace wavert::portcls
