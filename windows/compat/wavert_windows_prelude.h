// wavert_windows_prelude.h — force-included (-include) into every translation unit of the
// mingw-w64 Windows kernel build, and into nothing else.
//
// The driver sources are written against the WDK's names (ntddk.h, portcls.h, ksmedia.h) so that
// they compile unchanged against the host headers (host/include) and against mingw-w64's DDK
// headers. mingw-w64 10.0 (Debian 12) ships DDK headers that are close but not complete for a
// Windows 10 WaveRT miniport. This prelude includes them in a working order and supplies exactly
// what is missing or wrong, each item with the reason. Everything here is a declaration or a
// type; code the kernel needs the driver to provide (operator new/delete, __cxa_pure_virtual) is
// in wavert_windows_runtime.cpp, because global replacement operators must not be inline.
//
// Facts (layouts, GUIDs, vtable order, flag values) come from the public WDK documentation; the
// layouts are pinned by static_asserts at the end, against the table in DESIGN.md.
#pragma once

#if !defined(__MINGW64__) || !defined(__x86_64__)
#error "wavert_windows_prelude.h is for the x86_64 mingw-w64 kernel build only"
#endif
#ifndef __cplusplus
#error "the wavert driver is C++"
#endif

// ---------------------------------------------------------------------------------------------
// 1. Before the DDK headers.
// ---------------------------------------------------------------------------------------------

// wdm.h defines InterlockedBitTestAndSet/Reset as static inline functions, and so does mingw's
// <intrin.h> (which wdm.h includes first); g++ rejects the second definition ("redeclared inline
// without gnu_inline"). intrin-impl.h skips any intrinsic whose __INTRINSIC_DEFINED_<name> is
// already defined, so claiming these two leaves wdm.h's versions as the only ones.
#define __INTRINSIC_DEFINED_InterlockedBitTestAndSet
#define __INTRINSIC_DEFINED_InterlockedBitTestAndReset

// DEFINE_GUID only declares unless <initguid.h> came first. Because this prelude is included
// before any source line, a driver file cannot do that itself; exactly one translation unit of
// the image (wavert_windows_runtime.cpp) is compiled with WAVERT_WINDOWS_DEFINE_GUIDS so that the
// portcls.h/punknown.h GUIDs (CLSID_PortWaveRT, IID_IMiniportWaveRT, ...) get one definition.
// KS GUIDs declared with DEFINE_GUIDSTRUCT come from mingw's libksguid.a instead.
#ifdef WAVERT_WINDOWS_DEFINE_GUIDS
#include <initguid.h>
#endif

#include <ntddk.h>
// ksmedia.h uses BYTE, WORD, DWORD, FLOAT and RECT without including their header; punknown.h
// includes <windef.h> right after wdm.h for the same reason, so do the same, before ks.h.
#include <windef.h>

// punknown.h/portcls.h use the COM declaration macros of <basetyps.h>, which expect winnt.h's
// DECLSPEC_NOVTABLE and DECLSPEC_NOTHROW. Kernel code never includes winnt.h (ntdef.h replaces
// it), so give them winnt.h's meaning for g++: no novtable optimisation, nothrow.
#ifndef DECLSPEC_NOVTABLE
#define DECLSPEC_NOVTABLE
#endif
#ifndef DECLSPEC_NOTHROW
#define DECLSPEC_NOTHROW __declspec(nothrow)
#endif

// ksmedia.h's KSPROPERTY_EXTXPORT_S uses TCHAR, which only winnt.h/tchar.h define. wavert never
// uses that structure; kernel code is not UNICODE-switched, so TCHAR is CHAR as in winnt.h.
#ifndef _TCHAR_DEFINED
#define _TCHAR_DEFINED
typedef CHAR TCHAR, *PTCHAR;
#endif

#include <ks.h>
#include <ksmedia.h>

// ---------------------------------------------------------------------------------------------
// 2. Pool: ExAllocatePool2 (Windows 10 2004, ntoskrnl.exe) is not declared by mingw's wdm.h, and
//    its import library has no stub for it (windows/importlibs/ntoskrnl-extra.def adds one). Flag values
//    from the WDK's POOL_FLAGS documentation.
// ---------------------------------------------------------------------------------------------

#ifndef POOL_FLAG_NON_PAGED
typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
extern "C" NTKERNELAPI PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes,
                                                   ULONG Tag);
#endif

// ---------------------------------------------------------------------------------------------
// 3. KSPROPSETID_RtAudio structures. mingw's ksmedia.h defines the property set GUID but none of
//    its structures, and portcls.h's IMiniportWaveRTStream needs two of them. Layouts: WDK
//    ksmedia.h documentation; sizes and offsets pinned below.
// ---------------------------------------------------------------------------------------------

#ifndef KSPROPERTY_RTAUDIO_BUFFER
// mingw's enum stops after GETPOSITIONFUNCTION (0); the documented ids continue from 1.
#define KSPROPERTY_RTAUDIO_BUFFER ((KSPROPERTY_RTAUDIO)1)
#define KSPROPERTY_RTAUDIO_HWLATENCY ((KSPROPERTY_RTAUDIO)2)
#define KSPROPERTY_RTAUDIO_POSITIONREGISTER ((KSPROPERTY_RTAUDIO)3)
#define KSPROPERTY_RTAUDIO_CLOCKREGISTER ((KSPROPERTY_RTAUDIO)4)
#define KSPROPERTY_RTAUDIO_BUFFER_WITH_NOTIFICATION ((KSPROPERTY_RTAUDIO)5)
#define KSPROPERTY_RTAUDIO_REGISTER_NOTIFICATION_EVENT ((KSPROPERTY_RTAUDIO)6)
#define KSPROPERTY_RTAUDIO_UNREGISTER_NOTIFICATION_EVENT ((KSPROPERTY_RTAUDIO)7)
#define KSPROPERTY_RTAUDIO_QUERY_NOTIFICATION_SUPPORT ((KSPROPERTY_RTAUDIO)8)
#define KSPROPERTY_RTAUDIO_PACKETCOUNT ((KSPROPERTY_RTAUDIO)9)
#define KSPROPERTY_RTAUDIO_PRESENTATION_POSITION ((KSPROPERTY_RTAUDIO)10)
#define KSPROPERTY_RTAUDIO_GETREADPACKET ((KSPROPERTY_RTAUDIO)11)
#define KSPROPERTY_RTAUDIO_SETWRITEPACKET ((KSPROPERTY_RTAUDIO)12)
#endif

// The structures themselves are shared with the host build (one source for both).
#include "../../host/include/wavert/ks/rtaudio.h"

#ifndef KSAUDIO_PRESENTATION_POSITION_DEFINED
#define KSAUDIO_PRESENTATION_POSITION_DEFINED
typedef struct {
  UINT64 u64PositionInBlocks;
  UINT64 u64QPCPosition;
} KSAUDIO_PRESENTATION_POSITION, *PKSAUDIO_PRESENTATION_POSITION;
#endif

// mingw's stdunk.h defines the pool operators new(size_t, POOL_TYPE[, tag]) and a global
// operator delete(void*) as inline functions. A replacement global operator delete must not be
// inline (C++ [replacement.functions]), and g++ also calls the sized operator delete(void*, size_t)
// from deleting destructors, which stdunk.h lacks. Claim its guard and declare the complete set
// here; wavert_windows_runtime.cpp defines them. There is deliberately no operator new(size_t):
// every kernel allocation names its pool and its tag, and an untagged `new` fails to link.
#define _NEW_DELETE_OPERATORS_

#include <portcls.h>
#include <stdunk.h>

PVOID __cdecl operator new(size_t size, POOL_TYPE pool_type, ULONG tag);  // zeroed
PVOID __cdecl operator new(size_t size, POOL_TYPE pool_type);             // zeroed, tag 'TRvW'
PVOID __cdecl operator new(size_t size, POOL_FLAGS flags, ULONG tag);     // ExAllocatePool2
PVOID __cdecl operator new[](size_t size, POOL_TYPE pool_type, ULONG tag);
PVOID __cdecl operator new[](size_t size, POOL_FLAGS flags, ULONG tag);
void __cdecl operator delete(PVOID p) noexcept;
void __cdecl operator delete(PVOID p, size_t size) noexcept;
void __cdecl operator delete[](PVOID p) noexcept;
void __cdecl operator delete[](PVOID p, size_t size) noexcept;

// ---------------------------------------------------------------------------------------------
// 4. Windows 10 WaveRT packet-mode interfaces, absent from mingw's portcls.h. Method order is
//    the WDK's vtable order (SetWritePacket, GetOutputStreamPresentationPosition,
//    GetPacketCount); the miniport is called through these vtables by the real portcls.sys, so
//    the order is the ABI. IIDs from the WDK portcls.h documentation.
// ---------------------------------------------------------------------------------------------

DEFINE_GUID(IID_IMiniportWaveRTInputStream, 0xcd8e756a, 0x5fc7, 0x4624, 0x98, 0x4b, 0x2a, 0xf0,
            0x29, 0x25, 0xb9, 0x1f);
DEFINE_GUID(IID_IMiniportWaveRTOutputStream, 0x831fc7bc, 0x6347, 0x44bc, 0xb4, 0x7b, 0xc0, 0xc6,
            0x57, 0xb5, 0xbf, 0x73);

#undef INTERFACE
#define INTERFACE IMiniportWaveRTInputStream
DECLARE_INTERFACE_(IMiniportWaveRTInputStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(NTSTATUS, GetReadPacket)
  (THIS_ ULONG * PacketNumber, DWORD * Flags, ULONG64 * PerformanceCounterValue, BOOL * MoreData)
      PURE;
};
typedef IMiniportWaveRTInputStream* PMINIPORTWAVERTINPUTSTREAM;

#undef INTERFACE
#define INTERFACE IMiniportWaveRTOutputStream
DECLARE_INTERFACE_(IMiniportWaveRTOutputStream, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  STDMETHOD_(NTSTATUS, SetWritePacket)(THIS_ ULONG PacketNumber, DWORD Flags, ULONG EosPacketLength)
      PURE;
  STDMETHOD_(NTSTATUS, GetOutputStreamPresentationPosition)
  (THIS_ KSAUDIO_PRESENTATION_POSITION * PresentationPosition) PURE;
  STDMETHOD_(NTSTATUS, GetPacketCount)(THIS_ ULONG * PacketCount) PURE;
};
typedef IMiniportWaveRTOutputStream* PMINIPORTWAVERTOUTPUTSTREAM;
#undef INTERFACE

// ---------------------------------------------------------------------------------------------
// 4b. Port library functions newer than mingw's portcls.h. PcUnregisterAdapterPowerManagement
//     (Windows 7 and later, WDK "PcUnregisterAdapterPowerManagement function") is exported by
//     portcls.sys and listed in importlibs/portcls.def; the adapter calls it to undo a
//     PcRegisterAdapterPowerManagement when a later StartDevice step fails.
// ---------------------------------------------------------------------------------------------

extern "C" NTSTATUS NTAPI PcUnregisterAdapterPowerManagement(PDEVICE_OBJECT DeviceObject);

// KSPROPERTY_AUDIO_PEAKMETER2 (Windows 8): mingw's KSPROPERTY_AUDIO enum stops at
// KSPROPERTY_AUDIO_PREFERRED_STATUS; the WDK's ksmedia.h numbers PEAKMETER2 55. The topology
// miniport's peak meter nodes answer it.
#ifndef KSPROPERTY_AUDIO_PEAKMETER2
#define KSPROPERTY_AUDIO_PEAKMETER2 ((KSPROPERTY_AUDIO)55)
#endif

// KSPROPSETID_Jack (Windows Vista; WDK ksmedia.h): mingw's ksmedia.h has KSJACK_DESCRIPTION (from
// devicetopology.h) but neither the property set GUID nor its ids. The topology miniports answer
// KSPROPERTY_JACK_DESCRIPTION on their outer bridge pins.
#ifndef KSPROPERTY_JACK_DESCRIPTION
DEFINE_GUID(KSPROPSETID_Jack, 0x4509f757, 0x2d46, 0x4637, 0x8e, 0x62, 0xce, 0x7d, 0xb9, 0x44, 0xf5, 0x7b);
typedef enum {
  KSPROPERTY_JACK_DESCRIPTION = 1,
  KSPROPERTY_JACK_DESCRIPTION2 = 2,
  KSPROPERTY_JACK_SINK_INFO = 3,
  KSPROPERTY_JACK_CONTAINERID = 4
} KSPROPERTY_JACK;
#endif

// ---------------------------------------------------------------------------------------------
// 5. Layout pins (DESIGN.md, "Contract facts (x64 layouts)"). A mismatch here would corrupt
//    every property request between portcls.sys and the miniport, so fail the build instead.
// ---------------------------------------------------------------------------------------------

static_assert(sizeof(KSPROPERTY) == 24, "KSPROPERTY");
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY) == 40, "KSRTAUDIO_BUFFER_PROPERTY");
static_assert(offsetof(KSRTAUDIO_BUFFER_PROPERTY, BaseAddress) == 24, "BaseAddress");
static_assert(offsetof(KSRTAUDIO_BUFFER_PROPERTY, RequestedBufferSize) == 32, "RequestedSize");
static_assert(sizeof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION) == 40, "..._WITH_NOTIFICATION");
static_assert(offsetof(KSRTAUDIO_BUFFER_PROPERTY_WITH_NOTIFICATION, NotificationCount) == 36,
              "NotificationCount");
static_assert(sizeof(KSRTAUDIO_BUFFER) == 16, "KSRTAUDIO_BUFFER");
static_assert(offsetof(KSRTAUDIO_BUFFER, ActualBufferSize) == 8, "ActualBufferSize");
static_assert(offsetof(KSRTAUDIO_BUFFER, CallMemoryBarrier) == 12, "CallMemoryBarrier");
static_assert(sizeof(KSRTAUDIO_HWLATENCY) == 12, "KSRTAUDIO_HWLATENCY");
static_assert(sizeof(KSRTAUDIO_HWREGISTER_PROPERTY) == 32, "KSRTAUDIO_HWREGISTER_PROPERTY");
static_assert(sizeof(KSRTAUDIO_HWREGISTER) == 40, "KSRTAUDIO_HWREGISTER");
static_assert(offsetof(KSRTAUDIO_HWREGISTER, Width) == 8, "Width");
static_assert(offsetof(KSRTAUDIO_HWREGISTER, Numerator) == 16, "Numerator");
static_assert(offsetof(KSRTAUDIO_HWREGISTER, Denominator) == 24, "Denominator");
static_assert(offsetof(KSRTAUDIO_HWREGISTER, Accuracy) == 32, "Accuracy");
static_assert(sizeof(KSRTAUDIO_NOTIFICATION_EVENT_PROPERTY) == 32, "..._NOTIFICATION_EVENT_...");
static_assert(sizeof(KSAUDIO_POSITION) == 16, "KSAUDIO_POSITION");
static_assert(sizeof(KSAUDIO_PRESENTATION_POSITION) == 16, "KSAUDIO_PRESENTATION_POSITION");
static_assert(sizeof(KSRTAUDIO_GETREADPACKET_INFO) == 24, "KSRTAUDIO_GETREADPACKET_INFO");
static_assert(offsetof(KSRTAUDIO_GETREADPACKET_INFO, PerformanceCounterValue) == 8, "QPC");
static_assert(offsetof(KSRTAUDIO_GETREADPACKET_INFO, MoreData) == 16, "MoreData");
static_assert(sizeof(KSRTAUDIO_SETWRITEPACKET_INFO) == 12, "KSRTAUDIO_SETWRITEPACKET_INFO");
static_assert(sizeof(KSJACK_DESCRIPTION) == 28, "KSJACK_DESCRIPTION");
static_assert(sizeof(wchar_t) == 2, "WCHAR strings must be UTF-16 as on Windows");
