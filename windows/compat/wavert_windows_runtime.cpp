// wavert_windows_runtime.cpp — the little C++ runtime a kernel-mode image must bring itself.
//
// Linked into wavert.sys in the mingw-w64 Windows build only (the host build gets these from the
// host). There is no C++ runtime in the Windows kernel: no libstdc++, no global operator new,
// no pure-virtual handler; and the WDK's stdunk.lib (CUnknown) has no mingw counterpart.
// Everything here resolves against ntoskrnl.exe exports only; windows/check-imports.sh enforces
// that on the linked image.
//
// This translation unit is also the one compiled with WAVERT_WINDOWS_DEFINE_GUIDS, so the
// DEFINE_GUID declarations of portcls.h/punknown.h are defined here, once per image.

// The prelude (wavert_windows_prelude.h) is force-included before this line.

// ---------------------------------------------------------------------------------------------
// Pool operators. Every allocation is tagged; the POOL_TYPE forms zero the block as mingw's
// stdunk.h (and the WDK's) always did, the POOL_FLAGS form zeroes unless POOL_FLAG_UNINITIALIZED
// is passed, as ExAllocatePool2 documents.
// ---------------------------------------------------------------------------------------------

namespace {
// 'WvRT' read backwards in pool dumps: the tag for allocations that did not name one.
constexpr ULONG kDefaultPoolTag = 'TRvW';

PVOID AllocateZeroed(size_t size, POOL_TYPE pool_type, ULONG tag) {
  PVOID p = ExAllocatePoolWithTag(pool_type, size, tag);
  if (p != nullptr) RtlZeroMemory(p, size);
  return p;
}
}  // namespace

PVOID __cdecl operator new(size_t size, POOL_TYPE pool_type, ULONG tag) {
  return AllocateZeroed(size, pool_type, tag);
}
PVOID __cdecl operator new(size_t size, POOL_TYPE pool_type) {
  return AllocateZeroed(size, pool_type, kDefaultPoolTag);
}
PVOID __cdecl operator new(size_t size, POOL_FLAGS flags, ULONG tag) {
  return ExAllocatePool2(flags, size, tag);
}
PVOID __cdecl operator new[](size_t size, POOL_TYPE pool_type, ULONG tag) {
  return AllocateZeroed(size, pool_type, tag);
}
PVOID __cdecl operator new[](size_t size, POOL_FLAGS flags, ULONG tag) {
  return ExAllocatePool2(flags, size, tag);
}

// ExFreePool accepts any pool block whatever its tag; ExFreePoolWithTag would need the tag, which
// delete does not know. Deleting nullptr is a no-op in C++ but a bugcheck in ExFreePool.
void __cdecl operator delete(PVOID p) noexcept {
  if (p != nullptr) ExFreePool(p);
}
void __cdecl operator delete(PVOID p, size_t) noexcept { operator delete(p); }
void __cdecl operator delete[](PVOID p) noexcept { operator delete(p); }
void __cdecl operator delete[](PVOID p, size_t) noexcept { operator delete(p); }

// ---------------------------------------------------------------------------------------------
// Compiler support.
// ---------------------------------------------------------------------------------------------

// g++ puts __cxa_pure_virtual in the vtable slots of pure virtual functions; it runs only if an
// object is used while partly constructed or destroyed. In the kernel that is a driver bug
// whose right outcome is a bugcheck that names it (PURE_VIRTUAL_FUNCTION_CALL, 0x20), with the
// return address as the first parameter.
extern "C" void __cxa_pure_virtual() {
  KeBugCheckEx(0x20 /* PURE_VIRTUAL_FUNCTION_CALL */,
               reinterpret_cast<ULONG_PTR>(__builtin_return_address(0)), 0, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// CUnknown: portcls.h's standard aggregatable IUnknown base. The WDK implements it in stdunk.lib,
// mingw-w64 only declares it (ddk/stdunk.h). Semantics per the WDK documentation of CUnknown:
// reference count starts at 0, the object deletes itself when it drops back to 0, and an object
// created without an outer unknown delegates to itself.
// ---------------------------------------------------------------------------------------------

CUnknown::CUnknown(PUNKNOWN pUnknownOuter) : m_ref_count(0) {
  // Without aggregation, the outer unknown is this object's own non-delegating IUnknown: the
  // COM rule that INonDelegatingUnknown and IUnknown share a vtable layout makes the cast valid.
  m_outer_unknown =
      pUnknownOuter != nullptr
          ? pUnknownOuter
          : reinterpret_cast<PUNKNOWN>(static_cast<INonDelegatingUnknown*>(this));
}

CUnknown::~CUnknown() {}

STDMETHODIMP_(ULONG) CUnknown::NonDelegatingAddRef() {
  return static_cast<ULONG>(InterlockedIncrement(&m_ref_count));
}

STDMETHODIMP_(ULONG) CUnknown::NonDelegatingRelease() {
  LONG remaining = InterlockedDecrement(&m_ref_count);
  if (remaining == 0) {
    // Guard against re-entry from a QueryInterface/Release pair inside the destructor.
    m_ref_count = 1;
    delete this;
  }
  return static_cast<ULONG>(remaining);
}

STDMETHODIMP_(NTSTATUS) CUnknown::NonDelegatingQueryInterface(REFIID rIID, PVOID* ppVoid) {
  if (IsEqualGUIDAligned(rIID, IID_IUnknown)) {
    *ppVoid = reinterpret_cast<PVOID>(static_cast<INonDelegatingUnknown*>(this));
    reinterpret_cast<PUNKNOWN>(*ppVoid)->AddRef();
    return STATUS_SUCCESS;
  }
  *ppVoid = nullptr;
  return STATUS_INVALID_PARAMETER;
}

// ---------------------------------------------------------------------------------------------
// GUIDs that mingw's ksmedia.h declares (DEFINE_GUIDSTRUCT) but libksguid.a does not define.
// Value: ksmedia.h's STATIC_KSCATEGORY_REALTIME.
// ---------------------------------------------------------------------------------------------

extern "C" const GUID KSCATEGORY_REALTIME = {STATIC_KSCATEGORY_REALTIME};
