// DPCs, KTIMERs and high-resolution EX_TIMERs (wdm.h). Included by ke.h.
//
// DPC routines run at DISPATCH_LEVEL, one at a time, like one processor's DPC queue. A routine
// that returns at another IRQL than it entered is an IrqlNotRestored report.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

struct _KDPC;
typedef VOID KDEFERRED_ROUTINE(struct _KDPC* Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                               PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE* PKDEFERRED_ROUTINE;

typedef enum _KDPC_IMPORTANCE { LowImportance, MediumImportance, HighImportance, MediumHighImportance } KDPC_IMPORTANCE;

// Queued while DpcData is non-null (the host's queued marker, as Windows uses the field).
// Guarded by the dispatcher lock.
typedef struct _KDPC {
  UCHAR Type;        // WAVERT_DPC_OBJECT once initialized
  UCHAR Importance;
  USHORT Number;
  ULONG Reserved;
  LIST_ENTRY DpcListEntry;
  PKDEFERRED_ROUTINE DeferredRoutine;
  PVOID DeferredContext;
  PVOID SystemArgument1;
  PVOID SystemArgument2;
  PVOID volatile DpcData;
} KDPC, *PKDPC, *PRKDPC;
static_assert(sizeof(KDPC) == 64, "KDPC is 64 bytes on x64");

// A timer is a dispatcher object: it is signaled when it expires and can be waited on. While set
// (Header.Inserted) it sits in the host's timer queue keyed by (DueTime, HostSequence).
// Guarded by the dispatcher lock.
typedef struct _KTIMER {
  DISPATCHER_HEADER Header;
  ULARGE_INTEGER DueTime;     // interrupt time of the next expiry, 100 ns units
  ULONGLONG HostSequence;     // order among timers due at the same time: first set, first fired
  LONGLONG HostPeriod100ns;   // period in 100 ns units (KeSetTimerEx's milliseconds converted)
  struct _KDPC* Dpc;
  ULONG Processor;
  ULONG Period;               // milliseconds, as passed to KeSetTimerEx
} KTIMER, *PKTIMER, *PRKTIMER;
static_assert(sizeof(KTIMER) == 64, "KTIMER is 64 bytes on x64");

extern "C" {
NTKERNELAPI VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext,
                                 WAVERT_CALLER);
// Threaded DPCs run like ordinary ones in the host (at DISPATCH_LEVEL), which Windows allows.
NTKERNELAPI VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                                         PVOID DeferredContext, WAVERT_CALLER);
// FALSE when the DPC is already queued (the arguments are then not updated).
NTKERNELAPI BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2, WAVERT_CALLER);
// TRUE when the DPC was queued and is now removed.
NTKERNELAPI BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc, WAVERT_CALLER);
// _IRQL_requires_max_(PASSIVE_LEVEL): returns once every DPC queued before the call has run.
NTKERNELAPI VOID KeFlushQueuedDpcs(WAVERT_CALLER);
NTKERNELAPI VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance);
NTKERNELAPI VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number);

NTKERNELAPI VOID KeInitializeTimer(PKTIMER Timer, WAVERT_CALLER);
NTKERNELAPI VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type, WAVERT_CALLER);
// DueTime: negative relative, positive absolute system time (100 ns). Setting a timer makes it
// not signaled. Returns TRUE when the timer was already in the timer queue (it is re-set).
// Periodic timers are due at the first due time + k * Period exactly: they do not drift.
NTKERNELAPI BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc, WAVERT_CALLER);
NTKERNELAPI BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc, WAVERT_CALLER);
// TolerableDelay (ms) is accepted; the host fires at the due time, which the contract allows.
NTKERNELAPI BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
                                          ULONG TolerableDelay, PKDPC Dpc, WAVERT_CALLER);
// TRUE when the timer was in the queue.
NTKERNELAPI BOOLEAN KeCancelTimer(PKTIMER Timer, WAVERT_CALLER);
NTKERNELAPI BOOLEAN KeReadStateTimer(PKTIMER Timer, WAVERT_CALLER);
}

// ----- High-resolution timers (ExAllocateTimer, Windows 8.1+) --------------------------------

// Opaque: allocated and owned by the host. Its first member is a KTIMER, so drivers may wait on
// the PEX_TIMER with KeWaitForSingleObject, as the documentation allows.
struct _EX_TIMER;
typedef struct _EX_TIMER* PEX_TIMER;

typedef VOID EXT_CALLBACK(PEX_TIMER Timer, PVOID Context);
typedef EXT_CALLBACK* PEXT_CALLBACK;
typedef VOID EXT_DELETE_CALLBACK(PVOID Context);
typedef EXT_DELETE_CALLBACK* PEXT_DELETE_CALLBACK;

#define EX_TIMER_HIGH_RESOLUTION 0x4
#define EX_TIMER_NO_WAKE 0x8
#define EX_TIMER_NOTIFICATION (1ul << 31)
#define EX_TIMER_UNLIMITED_TOLERANCE ((LONGLONG)-1)

typedef struct _EXT_SET_PARAMETERS_V0 {
  ULONG Version;
  ULONG Reserved;
  LONGLONG NoWakeTolerance;  // 100 ns units, or EX_TIMER_UNLIMITED_TOLERANCE
} EXT_SET_PARAMETERS, *PEXT_SET_PARAMETERS;
static_assert(sizeof(EXT_SET_PARAMETERS) == 16, "EXT_SET_PARAMETERS is 16 bytes on x64");

typedef struct _EXT_DELETE_PARAMETERS {
  ULONG Version;
  ULONG Reserved;
  PEXT_DELETE_CALLBACK DeleteCallback;
  PVOID DeleteContext;
} EXT_DELETE_PARAMETERS, *PEXT_DELETE_PARAMETERS;

typedef struct _EXT_CANCEL_PARAMETERS {
  ULONG Version;
  ULONG Reserved;
  ULONG64 Reserved1[3];
} EXT_CANCEL_PARAMETERS, *PEXT_CANCEL_PARAMETERS;

inline VOID ExInitializeSetTimerParameters(PEXT_SET_PARAMETERS Parameters) {
  Parameters->Version = 0;
  Parameters->Reserved = 0;
  Parameters->NoWakeTolerance = 0;
}

inline VOID ExInitializeDeleteTimerParameters(PEXT_DELETE_PARAMETERS Parameters) {
  Parameters->Version = 0;
  Parameters->Reserved = 0;
  Parameters->DeleteCallback = nullptr;
  Parameters->DeleteContext = nullptr;
}

extern "C" {
// NULL on failure (FaultSite::Timer injects one). HIGH_RESOLUTION and NO_WAKE together are a
// BadArgument report (Windows bug-checks).
NTKERNELAPI PEX_TIMER ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext, ULONG Attributes,
                                      WAVERT_CALLER);
// DueTime: negative relative, positive absolute (100 ns). Period in 100 ns units, 0: one-shot.
// Returns TRUE when the timer was set already (it is cancelled and set again).
NTKERNELAPI BOOLEAN ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period,
                               PEXT_SET_PARAMETERS Parameters, WAVERT_CALLER);
// TRUE when the timer was set and is now cancelled.
NTKERNELAPI BOOLEAN ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters, WAVERT_CALLER);
// Returns TRUE when Cancel is TRUE and the timer was set and is now cancelled. Wait (needs
// Cancel, IRQL <= APC_LEVEL) waits for a callback already running to return.
NTKERNELAPI BOOLEAN ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait,
                                  PEXT_DELETE_PARAMETERS Parameters, WAVERT_CALLER);
}
