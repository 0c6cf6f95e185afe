// stdunk.h for the wavert host: the standard IUnknown implementation that PortCls miniports and
// adapters derive from (INonDelegatingUnknown, CUnknown and the DECLARE_STD_UNKNOWN family).
//
// Aggregation model (the one COM and the WDK's stdunk.h use): every object has a *non-delegating*
// unknown that owns its reference count and answers QueryInterface for the object itself, and an
// *outer* unknown to which the object's public IUnknown methods delegate. An object created on its
// own is its own outer; an aggregated object forwards QueryInterface/AddRef/Release to the
// aggregating object, so its clients see one identity and one reference count.
//
// The pool-aware operator new lives in portcls.h (wavert/portcls/pool_new.h): STD_CREATE_BODY*
// below expands to `new(PoolType, Tag) Class(...)`, so code using those macros must include it.
// The matching delete is CUnknown's class-scope operator delete.
#pragma once

#include "wavert/nt/ex.h"
#include "wavert/nt/types.h"
#include "wavert/nt/status.h"
#include "punknown.h"

#undef INTERFACE
#define INTERFACE INonDelegatingUnknown
DECLARE_INTERFACE(INonDelegatingUnknown) {
  STDMETHOD_(NTSTATUS, NonDelegatingQueryInterface)(THIS_ REFIID InterfaceId, PVOID * Interface) PURE;
  STDMETHOD_(ULONG, NonDelegatingAddRef)(THIS) PURE;
  STDMETHOD_(ULONG, NonDelegatingRelease)(THIS) PURE;
};
#undef INTERFACE

typedef INonDelegatingUnknown* PNONDELEGATINGUNKNOWN;

// CUnknown: reference count plus the outer unknown. Derived classes add DECLARE_STD_UNKNOWN(),
// which routes their IUnknown methods to GetOuterUnknown(), and override
// NonDelegatingQueryInterface to hand out their own interfaces.
//
// The WDK implementation makes `this` its own outer by reinterpreting the INonDelegatingUnknown
// vtable as an IUnknown one (the slots line up). That call through an unrelated type is undefined
// behaviour in C++ and trips UBSan's vptr check in the sanitizer build, so here a small member
// object, a real IUnknown, forwards to the non-delegating methods instead. Callers cannot tell
// the difference: QueryInterface(IID_IUnknown) on an unaggregated object returns that member,
// always the same pointer, as COM identity requires.
class CUnknown : public INonDelegatingUnknown {
 public:
  explicit CUnknown(PUNKNOWN pUnknownOuter)
      : m_lRefCount(0), m_Inner(this), m_pUnknownOuter(pUnknownOuter ? pUnknownOuter : &m_Inner) {}
  virtual ~CUnknown() {}

  // CUnknown objects live in pool memory (portcls.h's `new (PoolType, Tag) Class(...)`), so the
  // `delete this` in NonDelegatingRelease must return them to the pool. Class scope, not a global
  // replacement: on the host the driver shares the process with host code whose deletes must
  // stay the C++ runtime's. A CUnknown made with plain `new` is a bug the pool reports
  // (POOL_FREE_UNKNOWN) when it is released.
  static void operator delete(void* p) noexcept {
    if (p != nullptr) ExFreePool(p);
  }
  static void operator delete(void* p, size_t) noexcept {
    if (p != nullptr) ExFreePool(p);
  }

  CUnknown(const CUnknown&) = delete;
  CUnknown& operator=(const CUnknown&) = delete;

  PUNKNOWN GetOuterUnknown() { return m_pUnknownOuter; }

  // Interlocked semantics, as InterlockedIncrement: a full barrier, returns the new count.
  STDMETHODIMP_(ULONG) NonDelegatingAddRef() override {
    return static_cast<ULONG>(__atomic_add_fetch(&m_lRefCount, 1, __ATOMIC_SEQ_CST));
  }

  // At zero the object deletes itself. The count is parked at 1 first, as the COM base classes
  // do, so that an AddRef/Release pair made by the destructor cannot delete the object twice.
  STDMETHODIMP_(ULONG) NonDelegatingRelease() override {
    LONG remaining = __atomic_sub_fetch(&m_lRefCount, 1, __ATOMIC_SEQ_CST);
    if (remaining == 0) {
      m_lRefCount = 1;
      delete this;
      return 0;
    }
    return static_cast<ULONG>(remaining);
  }

  // The base answers only IID_IUnknown. A miss stores NULL and returns STATUS_INVALID_PARAMETER,
  // the status Microsoft's samples return (waveRT-contract.md §0; ReactOS uses
  // STATUS_UNSUCCESSFUL, and callers may rely only on !NT_SUCCESS).
  STDMETHODIMP_(NTSTATUS) NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface) override {
    if (Interface == nullptr) {
      return STATUS_INVALID_PARAMETER;
    }
    if (IsEqualGUIDAligned(InterfaceId, IID_IUnknown)) {
      *Interface = static_cast<PUNKNOWN>(&m_Inner);
      m_Inner.AddRef();
      return STATUS_SUCCESS;
    }
    *Interface = nullptr;
    return STATUS_INVALID_PARAMETER;
  }

 private:
  // The object's own IUnknown face: every call lands on the non-delegating methods.
  class InnerUnknown final : public IUnknown {
   public:
    explicit InnerUnknown(CUnknown* owner) : m_Owner(owner) {}
    STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID InterfaceId, PVOID* Interface) override {
      return m_Owner->NonDelegatingQueryInterface(InterfaceId, Interface);
    }
    STDMETHODIMP_(ULONG) AddRef() override { return m_Owner->NonDelegatingAddRef(); }
    // May delete the owner, and with it this member: touch nothing after the call.
    STDMETHODIMP_(ULONG) Release() override { return m_Owner->NonDelegatingRelease(); }

   private:
    CUnknown* m_Owner;
  };

  LONG m_lRefCount;
  InnerUnknown m_Inner;
  PUNKNOWN m_pUnknownOuter;
};

typedef CUnknown* PCUNKNOWN;

// The public IUnknown of a CUnknown-derived class: declares NonDelegatingQueryInterface (each
// class defines it) and delegates QueryInterface/AddRef/Release to the outer unknown.
#define DECLARE_STD_UNKNOWN()                                                        \
  STDMETHODIMP_(NTSTATUS) NonDelegatingQueryInterface(REFIID InterfaceId, PVOID* Interface); \
  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID InterfaceId, PVOID* Interface) {      \
    return GetOuterUnknown()->QueryInterface(InterfaceId, Interface);                \
  }                                                                                  \
  STDMETHODIMP_(ULONG) AddRef() { return GetOuterUnknown()->AddRef(); }              \
  STDMETHODIMP_(ULONG) Release() { return GetOuterUnknown()->Release(); }

#define DEFINE_STD_CONSTRUCTOR(Class) \
  Class(PUNKNOWN pUnknownOuter) : CUnknown(pUnknownOuter) {}

// Casts used inside NonDelegatingQueryInterface to pick the interface subobject to hand out.
#define QICAST(Type) PVOID((Type)(this))
#define QICASTUNKNOWN(Type) PVOID(PUNKNOWN((Type)(this)))

// The body of a CreateXxx(PUNKNOWN* Unknown, REFCLSID, PUNKNOWN UnknownOuter, POOL_TYPE) function:
// allocate, hand out `base` with one reference, or fail with STATUS_INSUFFICIENT_RESOURCES.
// Needs portcls.h's operator new(size_t, POOL_TYPE, ULONG).
#define STD_CREATE_BODY_WITH_TAG_(Class, ppUnknown, pUnknownOuter, poolType, tag, base) \
  NTSTATUS ntStatus;                                                                     \
  Class* p = new (poolType, tag) Class(pUnknownOuter);                                   \
  if (p) {                                                                               \
    *(ppUnknown) = PUNKNOWN((base)(p));                                                  \
    (*(ppUnknown))->AddRef();                                                            \
    ntStatus = STATUS_SUCCESS;                                                           \
  } else {                                                                               \
    ntStatus = STATUS_INSUFFICIENT_RESOURCES;                                            \
  }                                                                                      \
  return ntStatus

#define STD_CREATE_BODY_WITH_TAG(Class, ppUnknown, pUnknownOuter, poolType, tag) \
  STD_CREATE_BODY_WITH_TAG_(Class, ppUnknown, pUnknownOuter, poolType, tag, PUNKNOWN)

// The WDK's default tag for these objects is 'PcCr' (written 'rCcP' as a multi-character
// constant, which stores the bytes P, c, C, r in pool-tag order).
#define WAVERT_STD_CREATE_DEFAULT_TAG ((ULONG)0x72436350)

#define STD_CREATE_BODY_(Class, ppUnknown, pUnknownOuter, poolType, base) \
  STD_CREATE_BODY_WITH_TAG_(Class, ppUnknown, pUnknownOuter, poolType, WAVERT_STD_CREATE_DEFAULT_TAG, base)

#define STD_CREATE_BODY(Class, ppUnknown, pUnknownOuter, poolType) \
  STD_CREATE_BODY_(Class, ppUnknown, pUnknownOuter, poolType, PUNKNOWN)
