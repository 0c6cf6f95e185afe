// The dispatcher part of the kernel API (wdm.h): dispatcher objects and waits, spin locks, time,
// DPCs, timers, fast mutexes. Implemented in host/kernel/dispatcher*.cpp over one clock that is
// real or simulated (wavert/host/clock.hpp).
//
// Objects are self-contained in the driver's storage, as on Windows: a driver embeds a KEVENT in
// its own structure, initializes it, and frees it with that memory. The host keeps no per-object
// allocation; what it needs lives in the object's own fields.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/irql.h"
#include "wavert/nt/list.h"
#include "wavert/nt/status.h"
#include "wavert/nt/types.h"
#include "wavert/nt/ke_interlocked.h"

// ----- Dispatcher objects --------------------------------------------------------------------

// KOBJECTS: the Type byte of a dispatcher header (Windows values).
#define WAVERT_EVENT_NOTIFICATION_OBJECT 0
#define WAVERT_EVENT_SYNCHRONIZATION_OBJECT 1
#define WAVERT_MUTANT_OBJECT 2
#define WAVERT_SEMAPHORE_OBJECT 5
#define WAVERT_TIMER_NOTIFICATION_OBJECT 8
#define WAVERT_TIMER_SYNCHRONIZATION_OBJECT 9
#define WAVERT_DPC_OBJECT 19

// The common head of every waitable object. SignalState > 0 means signaled (for a mutex: free).
// WaitListHead links the KWAIT_BLOCKs of threads waiting on the object; an object whose wait list
// is not linked was never initialized, which is how the host catches waits on garbage.
// Guarded by the host's dispatcher lock once initialized.
typedef struct _DISPATCHER_HEADER {
  UCHAR Type;       // KOBJECTS value
  UCHAR Inserted;   // timers: TRUE while in the timer queue
  UCHAR Size;       // sizeof(object) / sizeof(LONG), as Windows records it
  UCHAR Reserved;
  volatile LONG SignalState;
  LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll, WaitAny, WaitNotification, WaitDequeue } WAIT_TYPE;

typedef enum _KWAIT_REASON {
  Executive,
  FreePage,
  PageIn,
  PoolAllocation,
  DelayExecution,
  Suspended,
  UserRequest,
  WrExecutive,
  WrFreePage,
  WrPageIn,
  WrPoolAllocation,
  WrDelayExecution,
  WrSuspended,
  WrUserRequest,
  MaximumWaitReason = 41,
} KWAIT_REASON;

// A thread, as far as drivers see one: an opaque pointer (KeGetCurrentThread).
struct _KTHREAD;
typedef struct _KTHREAD* PKTHREAD, *PRKTHREAD;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

// KMUTEX (a mutant): SignalState 1 is free; each acquire by the owner decrements it, so
// 1 - SignalState is the owner's recursion depth.
typedef struct _KMUTANT {
  DISPATCHER_HEADER Header;
  LIST_ENTRY MutantListEntry;
  PKTHREAD OwnerThread;
  BOOLEAN Abandoned;
  UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

// Windows x64 sizes, which drivers rely on when they size their own structures.
static_assert(sizeof(DISPATCHER_HEADER) == 24, "DISPATCHER_HEADER is 24 bytes on x64");
static_assert(sizeof(KEVENT) == 24, "KEVENT is 24 bytes on x64");
static_assert(sizeof(KMUTEX) == 56, "KMUTEX is 56 bytes on x64");
static_assert(sizeof(KSEMAPHORE) == 32, "KSEMAPHORE is 32 bytes on x64");

// A wait block. Waits on up to THREAD_WAIT_OBJECTS objects use the thread's built-in blocks;
// more need a caller-supplied array of Count blocks (the host checks it is there, as Windows
// does, and keeps its own bookkeeping on the waiter's stack).
typedef struct _KWAIT_BLOCK {
  LIST_ENTRY WaitListEntry;
  PKTHREAD Thread;
  PVOID Object;
  PVOID HostWait;
  USHORT WaitKey;
  UCHAR WaitType;
  UCHAR BlockState;
  ULONG Reserved;
} KWAIT_BLOCK, *PKWAIT_BLOCK, *PRKWAIT_BLOCK;
static_assert(sizeof(KWAIT_BLOCK) == 48, "KWAIT_BLOCK is 48 bytes on x64");

#define THREAD_WAIT_OBJECTS 3
#define MAXIMUM_WAIT_OBJECTS 64

// Priority increments passed to KeSetEvent & co. The host has no priorities; they are accepted.
#ifndef IO_NO_INCREMENT
#define IO_NO_INCREMENT 0
#endif
#ifndef EVENT_INCREMENT
#define EVENT_INCREMENT 1
#endif
#ifndef SEMAPHORE_INCREMENT
#define SEMAPHORE_INCREMENT 1
#endif
#ifndef MUTANT_INCREMENT
#define MUTANT_INCREMENT 1
#endif

extern "C" {

// Events. KeSetEvent, KeResetEvent and KePulseEvent return the previous SignalState.
// _IRQL_requires_max_(DISPATCH_LEVEL) for all of them.
NTKERNELAPI VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State, WAVERT_CALLER);
NTKERNELAPI LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait, WAVERT_CALLER);
NTKERNELAPI LONG KeResetEvent(PRKEVENT Event, WAVERT_CALLER);
NTKERNELAPI VOID KeClearEvent(PRKEVENT Event, WAVERT_CALLER);
NTKERNELAPI LONG KeReadStateEvent(PRKEVENT Event, WAVERT_CALLER);
NTKERNELAPI LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait, WAVERT_CALLER);

// Mutexes. A KMUTEX may be acquired again by its owner (it counts); releasing one the thread
// does not own is a MutexNotOwned report. KeReleaseMutex returns the previous SignalState.
NTKERNELAPI VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level, WAVERT_CALLER);
NTKERNELAPI LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait, WAVERT_CALLER);
NTKERNELAPI LONG KeReadStateMutex(PRKMUTEX Mutex, WAVERT_CALLER);

// Semaphores. KeReleaseSemaphore returns the previous count; releasing past Limit is reported.
NTKERNELAPI VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit, WAVERT_CALLER);
NTKERNELAPI LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                                    BOOLEAN Wait, WAVERT_CALLER);
NTKERNELAPI LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore, WAVERT_CALLER);

// Waits. Timeout: NULL waits forever; negative is relative in 100 ns units; positive is an
// absolute system time (100 ns since 1601); zero polls. Returns STATUS_WAIT_0 + index (WaitAny),
// STATUS_WAIT_0 (WaitAll) or STATUS_TIMEOUT. A non-zero wait needs IRQL <= APC_LEVEL; at
// DISPATCH_LEVEL only a zero timeout is allowed (WaitAtDispatch otherwise).
NTKERNELAPI NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                           BOOLEAN Alertable, PLARGE_INTEGER Timeout, WAVERT_CALLER);
NTKERNELAPI NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                              KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                              BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                              PKWAIT_BLOCK WaitBlockArray, WAVERT_CALLER);
NTKERNELAPI NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                            PLARGE_INTEGER Interval, WAVERT_CALLER);
NTKERNELAPI PKTHREAD KeGetCurrentThread(void);
// Critical regions disable normal kernel APCs, which the host does not deliver; the calls must
// still pair up, and an unbalanced leave is a BadArgument report.
NTKERNELAPI VOID KeEnterCriticalRegion(WAVERT_CALLER);
NTKERNELAPI VOID KeLeaveCriticalRegion(WAVERT_CALLER);

} // extern "C"

#define KeWaitForMutexObject KeWaitForSingleObject

// ----- Fast mutexes (ex) ---------------------------------------------------------------------

// FAST_MUTEX: not recursive; ExAcquireFastMutex raises to APC_LEVEL and records the old IRQL,
// ExReleaseFastMutex restores it. Count is 1 when free. Layout and size as on Windows x64.
typedef struct _FAST_MUTEX {
  volatile LONG Count;
  PVOID Owner;       // the owning PKTHREAD
  ULONG Contention;  // how many acquires had to wait
  KEVENT Event;      // synchronization event: signaled while the mutex is free
  ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;
static_assert(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX is 56 bytes on x64");

extern "C" {
NTKERNELAPI VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALLER);
// _IRQL_requires_max_(APC_LEVEL), _IRQL_raises_(APC_LEVEL)
NTKERNELAPI VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALLER);
NTKERNELAPI VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALLER);
NTKERNELAPI BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALLER);
// The Unsafe pair leaves the IRQL alone; the caller is at APC_LEVEL already.
NTKERNELAPI VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex, WAVERT_CALLER);
NTKERNELAPI VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex, WAVERT_CALLER);
}

// ----- Spin locks ----------------------------------------------------------------------------

// KSPIN_LOCK is a pointer-sized word drivers declare inline. The host stores the holder in it
// (0: free), so release by a non-holder and recursive acquisition are caught.
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
  struct _KSPIN_LOCK_QUEUE* volatile Next;
  PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
  KSPIN_LOCK_QUEUE LockQueue;
  KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;
static_assert(sizeof(KLOCK_QUEUE_HANDLE) == 24, "KLOCK_QUEUE_HANDLE is 24 bytes on x64");

extern "C" {
NTKERNELAPI VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
// Raise to DISPATCH_LEVEL and spin; returns the IRQL to pass to KeReleaseSpinLock.
// _IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock, WAVERT_CALLER);
NTKERNELAPI KIRQL KfAcquireSpinLock(PKSPIN_LOCK SpinLock, WAVERT_CALLER);
NTKERNELAPI VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql, WAVERT_CALLER);
NTKERNELAPI VOID KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql, WAVERT_CALLER);
// _IRQL_requires_min_(DISPATCH_LEVEL): the caller is at DISPATCH_LEVEL already.
NTKERNELAPI VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALLER);
NTKERNELAPI VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALLER);
NTKERNELAPI BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALLER);
NTKERNELAPI BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle,
                                                WAVERT_CALLER);
NTKERNELAPI VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle, WAVERT_CALLER);
NTKERNELAPI VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle,
                                                          WAVERT_CALLER);
NTKERNELAPI VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle, WAVERT_CALLER);
}

#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))

// ----- Time ----------------------------------------------------------------------------------

extern "C" {
// 10 MHz, as Windows reports on current hardware; the frequency comes back through the optional
// argument. All time routines read the one host clock (real or simulated).
NTKERNELAPI LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
// Time since boot in 100 ns units. The host never sleeps, so unbiased equals biased.
NTKERNELAPI ULONGLONG KeQueryInterruptTime(void);
NTKERNELAPI ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);
NTKERNELAPI ULONGLONG KeQueryUnbiasedInterruptTime(void);
// 100 ns units since 1601-01-01 UTC. Simulated time starts at a fixed epoch so runs repeat.
NTKERNELAPI VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
// 100 ns units per clock tick. The host's timers are exact, as if the timer resolution had been
// raised to 1 ms the way audio sessions do, so it reports 10000.
NTKERNELAPI ULONG KeQueryTimeIncrement(void);
// Clock ticks since boot: interrupt time divided by KeQueryTimeIncrement().
NTKERNELAPI VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount);
// Busy-waits; in simulated time the clock moves by MicroSeconds while nothing else runs, like a
// processor spinning.
NTKERNELAPI VOID KeStallExecutionProcessor(ULONG MicroSeconds, WAVERT_CALLER);
}

#include "wavert/nt/ke_timer.h"
#include "wavert/nt/io_workitem.h"
