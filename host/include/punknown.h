// punknown.h for the wavert host: the kernel-mode COM base that PortCls interfaces are built on.
//
// Kernel COM differs from user-mode COM in one visible way: QueryInterface returns NTSTATUS, not
// HRESULT (waveRT-contract.md §0). Both are a 32-bit LONG, so the slot signature is the same and
// a caller may test either with NT_SUCCESS. The vtable order is QueryInterface, AddRef, Release.
//
// The interface-declaration macros below are those of the SDK's basetyps.h / objbase.h for C++,
// which WDK headers (portcls.h, ks.h) use to declare every interface:
//
//   DECLARE_INTERFACE_(IMiniportWaveRT, IMiniport) {
//     DEFINE_ABSTRACT_UNKNOWN()
//     STDMETHOD_(NTSTATUS, Init)(THIS_ PUNKNOWN UnknownAdapter, ...) PURE;
//   };
#pragma once

#include "wavert/nt/types.h"

// `interface` is a keyword-like macro in every Windows C++ header; WDK sources spell forward
// declarations with it ("interface IPortWaveRT;").
#ifndef interface
#define interface struct
#endif

// MSVC's novtable is an optimisation hint only; GCC and Clang have no equivalent.
#ifndef DECLSPEC_NOVTABLE
#define DECLSPEC_NOVTABLE
#endif

#define STDMETHOD(method) virtual HRESULT STDMETHODCALLTYPE method
#define STDMETHOD_(type, method) virtual type STDMETHODCALLTYPE method
#define STDMETHODV(method) virtual HRESULT STDMETHODVCALLTYPE method
#define STDMETHODV_(type, method) virtual type STDMETHODVCALLTYPE method
#define STDMETHODIMP HRESULT STDMETHODCALLTYPE
#define STDMETHODIMP_(type) type STDMETHODCALLTYPE
#define STDMETHODIMPV HRESULT STDMETHODVCALLTYPE
#define STDMETHODIMPV_(type) type STDMETHODVCALLTYPE
#define STDMETHODVCALLTYPE
#define STDAPI EXTERN_C HRESULT STDAPICALLTYPE
#define STDAPI_(type) EXTERN_C type STDAPICALLTYPE
#define STDAPICALLTYPE
#define PURE = 0
#define THIS_
#define THIS void
#define DECLARE_INTERFACE(iface) interface DECLSPEC_NOVTABLE iface
#define DECLARE_INTERFACE_(iface, baseiface) interface DECLSPEC_NOVTABLE iface : public baseiface

// The three IUnknown slots, redeclared at the top of every derived interface by WDK headers so
// that the declaration reads as a complete vtable. Redeclaring a pure virtual keeps its slot.
#define DEFINE_ABSTRACT_UNKNOWN()                                                   \
  STDMETHOD_(NTSTATUS, QueryInterface)(THIS_ REFIID InterfaceId, PVOID * Interface) PURE; \
  STDMETHOD_(ULONG, AddRef)(THIS) PURE;                                             \
  STDMETHOD_(ULONG, Release)(THIS) PURE;

// IID_IUnknown is the COM-wide constant 00000000-0000-0000-C000-000000000046.
DEFINE_GUID(IID_IUnknown, 0x00000000, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46);

#undef INTERFACE
#define INTERFACE IUnknown
DECLARE_INTERFACE(IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
};
#undef INTERFACE

typedef IUnknown* PUNKNOWN;
typedef IUnknown* LPUNKNOWN;
