// Dispatcher objects (events, mutexes, semaphores, fast mutexes), waits, spin locks and the time
// routines of ke.h.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <ctime>

#include "dispatcher_internal.hpp"
#include "ob_events_internal.hpp"

namespace wavert::host::detail {

namespace {

constexpr UCHAR size_in_longs(std::size_t bytes) { return static_cast<UCHAR>(bytes / sizeof(LONG)); }

UCHAR expected_size(UCHAR type) {
  switch (type) {
    case WAVERT_EVENT_NOTIFICATION_OBJECT:
    case WAVERT_EVENT_SYNCHRONIZATION_OBJECT: return size_in_longs(sizeof(KEVENT));
    case WAVERT_MUTANT_OBJECT: return size_in_longs(sizeof(KMUTANT));
    case WAVERT_SEMAPHORE_OBJECT: return size_in_longs(sizeof(KSEMAPHORE));
    case WAVERT_TIMER_NOTIFICATION_OBJECT:
    case WAVERT_TIMER_SYNCHRONIZATION_OBJECT: return size_in_longs(sizeof(KTIMER));
    default: return 0;
  }
}

bool signaled_for(const DISPATCHER_HEADER* h, const ThreadRec* thread) {
  if (h->Type == WAVERT_MUTANT_OBJECT) {
    // The owner may acquire its mutex again: it counts recursion.
    return h->SignalState > 0 || reinterpret_cast<const KMUTANT*>(h)->OwnerThread == reinterpret_cast<PKTHREAD>(const_cast<ThreadRec*>(thread));
  }
  return h->SignalState > 0;
}

// A satisfied wait takes what it waited for: a synchronization object resets, a semaphore
// counts down, a mutex gets its owner.
void consume(DISPATCHER_HEADER* h, ThreadRec* thread) {
  switch (h->Type) {
    case WAVERT_EVENT_SYNCHRONIZATION_OBJECT:
    case WAVERT_TIMER_SYNCHRONIZATION_OBJECT: h->SignalState = 0; break;
    case WAVERT_SEMAPHORE_OBJECT: h->SignalState = h->SignalState - 1; break;
    case WAVERT_MUTANT_OBJECT:
      h->SignalState = h->SignalState - 1;
      reinterpret_cast<KMUTANT*>(h)->OwnerThread = reinterpret_cast<PKTHREAD>(thread);
      break;
    default: break;  // notification objects stay signaled for every waiter
  }
}

// The index that satisfies the wait now (consuming it), or -1.
int try_satisfy(WAIT_TYPE type, ULONG count, DISPATCHER_HEADER** objects, ThreadRec* thread) {
  if (type == WaitAny) {
    for (ULONG i = 0; i < count; ++i) {
      if (signaled_for(objects[i], thread)) {
        consume(objects[i], thread);
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  for (ULONG i = 0; i < count; ++i) {
    if (!signaled_for(objects[i], thread)) return -1;
  }
  for (ULONG i = 0; i < count; ++i) consume(objects[i], thread);
  return 0;
}

void complete_wait_locked(WaitState& w, NTSTATUS status, const void* satisfied_by) {
  Dispatcher& d = g_dispatcher;
  for (ULONG i = 0; i < w.count; ++i) RemoveEntryList(&w.links[i].entry);
  if (w.has_deadline && d.kind == ClockKind::Simulated) d.queue.erase({w.deadline_100ns, w.timeout_sequence});
  w.has_deadline = false;
  w.done = true;
  w.status = status;
  trace_locked(TraceKind::ThreadWoken, satisfied_by, w.thread->id);
  if (d.kind == ClockKind::Simulated && w.thread->registered) {
    w.thread->state = ThreadState::Ready;
    d.ready.push_back(w.thread);
  } else {
    w.thread->cv.notify_one();
  }
}

bool check_header(const void* object, const char* routine, const WAVERT_CALL_SITE& site) {
  if (header_valid(static_cast<const DISPATCHER_HEADER*>(object))) return true;
  verifier_report(Rule::InvalidObject, site,
                  "%s on %p: not an initialized dispatcher object (call KeInitializeEvent/Mutex/Semaphore/"
                  "Timer first; a freed or overwritten object looks like this too)", routine, object);
  return false;
}

bool check_max_irql(KIRQL max, const char* routine, const WAVERT_CALL_SITE& site) {
  const KIRQL irql = current_irql();
  if (irql <= max) return true;
  verifier_report(Rule::IrqlTooHigh, site, "%s called at IRQL %u; it may be called at IRQL <= %u", routine,
                  unsigned{irql}, unsigned{max});
  return false;
}

std::optional<std::uint64_t> deadline_from_timeout(const LARGE_INTEGER* timeout) {
  if (timeout == nullptr) return std::nullopt;
  return due_from_nt_time(timeout->QuadPart);
}

} // namespace

bool header_valid(const DISPATCHER_HEADER* h) {
  if (h == nullptr) return false;
  const UCHAR size = expected_size(h->Type);
  return size != 0 && h->Size == size && h->WaitListHead.Flink != nullptr && h->WaitListHead.Blink != nullptr;
}

void satisfy_waiters_locked(DISPATCHER_HEADER* h) {
  // Restart from the head after each wake: completing a wait unlinks all of its blocks, which
  // may include the next entry of this very list.
  bool progress = true;
  while (progress && h->SignalState > 0) {
    progress = false;
    for (LIST_ENTRY* e = h->WaitListHead.Flink; e != &h->WaitListHead; e = e->Flink) {
      WaitLink* link = CONTAINING_RECORD(e, WaitLink, entry);
      WaitState& w = *link->wait;
      const int index = try_satisfy(w.type, w.count, w.objects, w.thread);
      if (index >= 0) {
        complete_wait_locked(w, STATUS_WAIT_0 + index, w.objects[index]);
        progress = true;
        break;
      }
    }
  }
}

void signal_event_locked(KEVENT* event) {
  event->Header.SignalState = 1;
  satisfy_waiters_locked(&event->Header);
}

NTSTATUS block_locked(Lock& lock, WaitState& w) {
  Dispatcher& d = g_dispatcher;
  ThreadRec* me = w.thread;
  w.since_100ns = interrupt_time_100ns();
  for (ULONG i = 0; i < w.count; ++i) {
    w.links[i].object = w.objects[i];
    w.links[i].wait = &w;
    InsertTailList(&w.objects[i]->WaitListHead, &w.links[i].entry);
  }
  me->wait = &w;
  if (d.kind == ClockKind::Simulated) {
    if (w.has_deadline) {
      // Sequence numbers of host "run until" deadlines sort after every timer's, so whatever is due
      // exactly at the deadline (even a periodic timer re-set at that instant) fires first.
      w.timeout_sequence = (w.after_ties ? kAfterTiesSequence : 0) + ++d.sequence;
      queue_insert_locked({w.deadline_100ns, w.timeout_sequence}, {nullptr, &w});
    }
    me->state = ThreadState::Blocked;
    sim_schedule_locked(lock, me);
  } else {
    while (!w.done) {
      if (!w.has_deadline) {
        me->cv.wait(lock);
        continue;
      }
      const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(w.deadline_100ns * 100));
      if (me->cv.wait_until(lock, until) == std::cv_status::timeout && !w.done) {
        for (ULONG i = 0; i < w.count; ++i) RemoveEntryList(&w.links[i].entry);
        w.done = true;
        w.status = STATUS_TIMEOUT;
        trace_locked(TraceKind::WaitTimedOut, nullptr, me->id);
      }
    }
  }
  me->wait = nullptr;
  return w.status;
}

NTSTATUS wait_for_objects(ULONG count, DISPATCHER_HEADER** objects, WAIT_TYPE type,
                          std::optional<std::uint64_t> deadline_100ns, bool idle, const WAVERT_CALL_SITE& site,
                          bool after_ties) {
  Dispatcher& d = g_dispatcher;
  ThreadRec* me = self_thread();
  Lock lock(d.mutex);
  if (count > 0) {
    const int index = try_satisfy(type, count, objects, me);
    if (index >= 0) return STATUS_WAIT_0 + index;
  }
  const bool poll = deadline_100ns.has_value() && *deadline_100ns <= interrupt_time_100ns() && count > 0;
  if (poll) return STATUS_TIMEOUT;
  if (d.kind == ClockKind::Simulated && !me->registered) {
    lock.unlock();
    verifier_report(Rule::HostContract, site,
                    "a blocking wait in simulated time from a thread the scheduler does not know: run it in a "
                    "HostThread (the wait returns STATUS_TIMEOUT)");
    return STATUS_TIMEOUT;
  }
  if (d.kind == ClockKind::Real && deadline_100ns.has_value() && *deadline_100ns <= interrupt_time_100ns()) {
    return count > 0 ? STATUS_TIMEOUT : STATUS_SUCCESS;
  }
  std::array<WaitLink, MAXIMUM_WAIT_OBJECTS> links;
  WaitState w;
  w.thread = me;
  w.type = type;
  w.count = count;
  w.objects = objects;
  w.links = links.data();
  w.has_deadline = deadline_100ns.has_value();
  w.deadline_100ns = deadline_100ns.value_or(0);
  w.idle = idle;
  w.after_ties = after_ties;
  w.site = site;
  return block_locked(lock, w);
}

// ----- Spin lock words -----------------------------------------------------------------------

namespace {

// A spin lock word holds (thread lock id << 8) | how it was acquired: the IRQL KeAcquireSpinLock
// returned, or kAcquiredAtDpc. 0 is free.
constexpr ULONG_PTR kAcquiredAtDpc = 0xFF;
std::atomic<std::uint32_t> g_next_lock_id{1};
thread_local std::uint32_t t_lock_id = 0;

ULONG_PTR lock_owner_tag() {
  if (t_lock_id == 0) t_lock_id = g_next_lock_id.fetch_add(1);
  return static_cast<ULONG_PTR>(t_lock_id) << 8;
}

void cpu_relax() { __builtin_ia32_pause(); }

bool spin_acquire(PKSPIN_LOCK lock, ULONG_PTR how, const char* routine, const WAVERT_CALL_SITE& site) {
  const ULONG_PTR mine = lock_owner_tag();
  if ((__atomic_load_n(lock, __ATOMIC_RELAXED) & ~ULONG_PTR{0xFF}) == mine) {
    verifier_report(Rule::SpinLockRecursion, site,
                    "%s on spin lock %p that this thread already holds: on Windows the processor spins "
                    "forever", routine, static_cast<void*>(lock));
    return false;
  }
  for (unsigned spins = 0;; ++spins) {
    ULONG_PTR expected = 0;
    if (__atomic_compare_exchange_n(lock, &expected, mine | how, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return true;
    while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0) {
      cpu_relax();
      // The host has fewer cores than threads: let a preempted holder run.
      if (++spins % 1024 == 0) std::this_thread::yield();
    }
  }
}

// Returns how the lock was acquired, or -1 when this thread does not hold it.
long spin_release(PKSPIN_LOCK lock, const char* routine, const WAVERT_CALL_SITE& site) {
  const ULONG_PTR value = __atomic_load_n(lock, __ATOMIC_RELAXED);
  const ULONG_PTR mine = lock_owner_tag();
  if (value == 0) {
    verifier_report(Rule::SpinLockNotHeld, site, "%s on spin lock %p, which is not held", routine,
                    static_cast<void*>(lock));
    return -1;
  }
  if ((value & ~ULONG_PTR{0xFF}) != mine) {
    verifier_report(Rule::SpinLockNotHeld, site,
                    "%s on spin lock %p, which another thread holds: only the holder may release it", routine,
                    static_cast<void*>(lock));
    return -1;
  }
  __atomic_store_n(lock, ULONG_PTR{0}, __ATOMIC_RELEASE);
  return static_cast<long>(value & 0xFF);
}

KIRQL raise_to_dispatch(const char* routine, const WAVERT_CALL_SITE& site) {
  const KIRQL old = current_irql();
  if (old > DISPATCH_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, site, "%s at IRQL %u; it may be called at IRQL <= DISPATCH_LEVEL (2)",
                    routine, unsigned{old});
    return old;
  }
  set_current_irql(DISPATCH_LEVEL);
  return old;
}

void require_dispatch(const char* routine, const WAVERT_CALL_SITE& site) {
  const KIRQL irql = current_irql();
  if (irql < DISPATCH_LEVEL) {
    // There is no "IRQL too low" rule: the argument contract (caller at DISPATCH_LEVEL) is broken.
    verifier_report(Rule::BadArgument, site,
                    "%s at IRQL %u: the caller must already run at DISPATCH_LEVEL (2); use "
                    "KeAcquireSpinLock / KeReleaseSpinLock at lower IRQL", routine, unsigned{irql});
  }
}

void lower_after_release(KIRQL new_irql, const WAVERT_CALL_SITE& site) {
  KeLowerIrql(new_irql, site);
  if (new_irql < DISPATCH_LEVEL && g_dispatcher.kind == ClockKind::Simulated) {
    Lock lock(g_dispatcher.mutex);
    sim_run_pending_dpcs_locked(lock);
  }
}

void release_and_lower(PKSPIN_LOCK lock, KIRQL new_irql, const char* routine, const WAVERT_CALL_SITE& site) {
  const long how = spin_release(lock, routine, site);
  if (how >= 0 && static_cast<ULONG_PTR>(how) != kAcquiredAtDpc && how != new_irql) {
    verifier_report(Rule::SpinLockIrqlMismatch, site,
                    "%s on spin lock %p with NewIrql %u, but the acquire returned %ld: pass back the "
                    "OldIrql that KeAcquireSpinLock gave you", routine, static_cast<void*>(lock),
                    unsigned{new_irql}, how);
  }
  lower_after_release(new_irql, site);
}

} // namespace

} // namespace wavert::host::detail

using namespace wavert::host;
using namespace wavert::host::detail;

extern "C" {

// ----- Events --------------------------------------------------------------------------------

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State, WAVERT_CALL_SITE CallSite) {
  if (Event == nullptr || (Type != NotificationEvent && Type != SynchronizationEvent)) {
    verifier_report(Rule::BadArgument, CallSite, "KeInitializeEvent(%p, type %d): needs an event and "
                    "NotificationEvent or SynchronizationEvent", static_cast<void*>(Event), static_cast<int>(Type));
    return;
  }
  Event->Header.Type = Type == NotificationEvent ? WAVERT_EVENT_NOTIFICATION_OBJECT : WAVERT_EVENT_SYNCHRONIZATION_OBJECT;
  Event->Header.Inserted = 0;
  Event->Header.Size = size_in_longs(sizeof(KEVENT));
  Event->Header.Reserved = 0;
  Event->Header.SignalState = State ? 1 : 0;
  InitializeListHead(&Event->Header.WaitListHead);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(DISPATCH_LEVEL, "KeSetEvent", CallSite) || !check_header(Event, "KeSetEvent", CallSite)) return 0;
  LONG previous;
  {
    Lock lock(g_dispatcher.mutex);
    previous = Event->Header.SignalState;
    signal_event_locked(Event);
  }
  event_signalled(Event);  // EventSignalWatch (events.hpp): outside the dispatcher lock
  return previous;
}

LONG KeResetEvent(PRKEVENT Event, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(DISPATCH_LEVEL, "KeResetEvent", CallSite) || !check_header(Event, "KeResetEvent", CallSite)) return 0;
  Lock lock(g_dispatcher.mutex);
  const LONG previous = Event->Header.SignalState;
  Event->Header.SignalState = 0;
  return previous;
}

VOID KeClearEvent(PRKEVENT Event, WAVERT_CALL_SITE CallSite) {
  if (!check_header(Event, "KeClearEvent", CallSite)) return;
  Lock lock(g_dispatcher.mutex);
  Event->Header.SignalState = 0;
}

LONG KeReadStateEvent(PRKEVENT Event, WAVERT_CALL_SITE CallSite) {
  if (!check_header(Event, "KeReadStateEvent", CallSite)) return 0;
  return __atomic_load_n(&Event->Header.SignalState, __ATOMIC_ACQUIRE);
}

LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(DISPATCH_LEVEL, "KePulseEvent", CallSite) || !check_header(Event, "KePulseEvent", CallSite)) return 0;
  LONG previous;
  {
    Lock lock(g_dispatcher.mutex);
    previous = Event->Header.SignalState;
    signal_event_locked(Event);
    Event->Header.SignalState = 0;
  }
  event_signalled(Event);  // EventSignalWatch (events.hpp): outside the dispatcher lock
  return previous;
}

// ----- Mutexes and semaphores ----------------------------------------------------------------

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level, WAVERT_CALL_SITE CallSite) {
  if (Mutex == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "KeInitializeMutex(NULL)");
    return;
  }
  Mutex->Header.Type = WAVERT_MUTANT_OBJECT;
  Mutex->Header.Inserted = 0;
  Mutex->Header.Size = size_in_longs(sizeof(KMUTANT));
  Mutex->Header.Reserved = 0;
  Mutex->Header.SignalState = 1;
  InitializeListHead(&Mutex->Header.WaitListHead);
  InitializeListHead(&Mutex->MutantListEntry);
  Mutex->OwnerThread = nullptr;
  Mutex->Abandoned = FALSE;
  Mutex->ApcDisable = 1;
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait, WAVERT_CALL_SITE CallSite) {
  if (!check_header(Mutex, "KeReleaseMutex", CallSite) || Mutex->Header.Type != WAVERT_MUTANT_OBJECT) return 0;
  Lock lock(g_dispatcher.mutex);
  const LONG previous = Mutex->Header.SignalState;
  if (Mutex->OwnerThread != reinterpret_cast<PKTHREAD>(self_thread()) || previous > 0) {
    const void* owner = Mutex->OwnerThread;
    lock.unlock();
    verifier_report(Rule::MutexNotOwned, CallSite,
                    "KeReleaseMutex on KMUTEX %p, which %s: only the owning thread may release it "
                    "(STATUS_MUTANT_NOT_OWNED)", static_cast<void*>(Mutex),
                    owner == nullptr ? "nobody owns" : "another thread owns");
    return previous;
  }
  Mutex->Header.SignalState = previous + 1;
  if (Mutex->Header.SignalState == 1) {
    Mutex->OwnerThread = nullptr;
    satisfy_waiters_locked(&Mutex->Header);
  }
  return previous;
}

LONG KeReadStateMutex(PRKMUTEX Mutex, WAVERT_CALL_SITE CallSite) {
  if (!check_header(Mutex, "KeReadStateMutex", CallSite)) return 0;
  return __atomic_load_n(&Mutex->Header.SignalState, __ATOMIC_ACQUIRE);
}

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit, WAVERT_CALL_SITE CallSite) {
  if (Semaphore == nullptr || Limit <= 0 || Count < 0 || Count > Limit) {
    verifier_report(Rule::BadArgument, CallSite, "KeInitializeSemaphore(%p, count %d, limit %d): needs "
                    "0 <= Count <= Limit and Limit > 0", static_cast<void*>(Semaphore), Count, Limit);
    return;
  }
  Semaphore->Header.Type = WAVERT_SEMAPHORE_OBJECT;
  Semaphore->Header.Inserted = 0;
  Semaphore->Header.Size = size_in_longs(sizeof(KSEMAPHORE));
  Semaphore->Header.Reserved = 0;
  Semaphore->Header.SignalState = Count;
  InitializeListHead(&Semaphore->Header.WaitListHead);
  Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait,
                        WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(DISPATCH_LEVEL, "KeReleaseSemaphore", CallSite) ||
      !check_header(Semaphore, "KeReleaseSemaphore", CallSite)) {
    return 0;
  }
  Lock lock(g_dispatcher.mutex);
  const LONG previous = Semaphore->Header.SignalState;
  if (Adjustment <= 0 || previous > Semaphore->Limit - Adjustment) {
    lock.unlock();
    verifier_report(Rule::BadArgument, CallSite,
                    "KeReleaseSemaphore(%p, adjustment %d) with count %d and limit %d: the count would exceed "
                    "the limit (STATUS_SEMAPHORE_LIMIT_EXCEEDED)", static_cast<void*>(Semaphore), Adjustment,
                    previous, Semaphore->Limit);
    return previous;
  }
  Semaphore->Header.SignalState = previous + Adjustment;
  satisfy_waiters_locked(&Semaphore->Header);
  return previous;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore, WAVERT_CALL_SITE CallSite) {
  if (!check_header(Semaphore, "KeReadStateSemaphore", CallSite)) return 0;
  return __atomic_load_n(&Semaphore->Header.SignalState, __ATOMIC_ACQUIRE);
}

// ----- Waits ---------------------------------------------------------------------------------

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                  KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray, WAVERT_CALL_SITE CallSite) {
  if (Count == 0 || Count > MAXIMUM_WAIT_OBJECTS || Object == nullptr || (WaitType != WaitAll && WaitType != WaitAny)) {
    verifier_report(Rule::BadArgument, CallSite,
                    "KeWaitForMultipleObjects(count %u, objects %p, wait type %d): needs 1..64 objects and "
                    "WaitAll or WaitAny", Count, static_cast<void*>(Object), static_cast<int>(WaitType));
    return STATUS_INVALID_PARAMETER;
  }
  if (Count > THREAD_WAIT_OBJECTS && WaitBlockArray == nullptr) {
    verifier_report(Rule::BadArgument, CallSite,
                    "KeWaitForMultipleObjects on %u objects without a WaitBlockArray: more than "
                    "THREAD_WAIT_OBJECTS (3) need one of Count KWAIT_BLOCKs", Count);
    return STATUS_INVALID_PARAMETER;
  }
  std::array<DISPATCHER_HEADER*, MAXIMUM_WAIT_OBJECTS> objects{};
  for (ULONG i = 0; i < Count; ++i) {
    if (!check_header(Object[i], "KeWaitForMultipleObjects", CallSite)) return STATUS_INVALID_PARAMETER;
    objects[i] = static_cast<DISPATCHER_HEADER*>(Object[i]);
  }
  std::optional<std::uint64_t> deadline = deadline_from_timeout(Timeout);
  const KIRQL irql = current_irql();
  const bool zero_timeout = Timeout != nullptr && Timeout->QuadPart == 0;
  if (irql >= DISPATCH_LEVEL && !zero_timeout) {
    verifier_report(Rule::WaitAtDispatch, CallSite,
                    "a wait with a %s timeout at IRQL %u: at DISPATCH_LEVEL a thread cannot block, only poll "
                    "with a zero timeout (the wait is turned into a poll)", Timeout == nullptr ? "infinite" : "non-zero",
                    unsigned{irql});
    deadline = 0;
  }
  return wait_for_objects(Count, objects.data(), WaitType, deadline, false, CallSite);
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout, WAVERT_CALL_SITE CallSite) {
  PVOID objects[1] = {Object};
  return KeWaitForMultipleObjects(1, objects, WaitAny, WaitReason, WaitMode, Alertable, Timeout, nullptr, CallSite);
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval,
                                WAVERT_CALL_SITE CallSite) {
  if (Interval == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "KeDelayExecutionThread with a NULL Interval");
    return STATUS_INVALID_PARAMETER;
  }
  const KIRQL irql = current_irql();
  if (irql > APC_LEVEL) {
    verifier_report(Rule::WaitAtDispatch, CallSite,
                    "KeDelayExecutionThread at IRQL %u: a thread may only sleep at IRQL <= APC_LEVEL (the delay "
                    "is skipped)", unsigned{irql});
    return STATUS_SUCCESS;
  }
  const std::uint64_t deadline = due_from_nt_time(Interval->QuadPart);
  if (g_dispatcher.kind == ClockKind::Real && deadline <= interrupt_time_100ns()) {
    std::this_thread::yield();
    return STATUS_SUCCESS;
  }
  // Simulated: even a zero delay waits for its turn in the timer queue, so everything due now
  // (and every ready thread) runs first.
  wait_for_objects(0, nullptr, WaitAny, deadline, false, CallSite);
  return STATUS_SUCCESS;
}

PKTHREAD KeGetCurrentThread(void) { return reinterpret_cast<PKTHREAD>(self_thread()); }

}  // extern "C"

namespace {
thread_local int t_critical_region_depth = 0;
}

extern "C" {

VOID KeEnterCriticalRegion(WAVERT_CALL_SITE CallSite) {
  if (current_irql() > APC_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, CallSite, "KeEnterCriticalRegion at IRQL %u; the limit is APC_LEVEL (1)",
                    unsigned{current_irql()});
  }
  ++t_critical_region_depth;
}

VOID KeLeaveCriticalRegion(WAVERT_CALL_SITE CallSite) {
  if (t_critical_region_depth == 0) {
    verifier_report(Rule::BadArgument, CallSite,
                    "KeLeaveCriticalRegion without a matching KeEnterCriticalRegion on this thread");
    return;
  }
  --t_critical_region_depth;
}

// ----- Fast mutexes --------------------------------------------------------------------------

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  if (FastMutex == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "ExInitializeFastMutex(NULL)");
    return;
  }
  FastMutex->Count = 1;
  FastMutex->Owner = nullptr;
  FastMutex->Contention = 0;
  KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, TRUE, CallSite);
  FastMutex->OldIrql = PASSIVE_LEVEL;
}

static bool fast_mutex_acquire(PFAST_MUTEX FastMutex, bool poll, const char* routine, const WAVERT_CALL_SITE& site) {
  if (FastMutex == nullptr || !check_header(&FastMutex->Event, routine, site)) return false;
  if (FastMutex->Owner == static_cast<PVOID>(self_thread())) {
    verifier_report(Rule::Deadlock, site,
                    "%s on FAST_MUTEX %p that this thread already owns: fast mutexes are not recursive and "
                    "the thread would wait for itself forever", routine, static_cast<void*>(FastMutex));
    return false;
  }
  DISPATCHER_HEADER* event = &FastMutex->Event.Header;
  NTSTATUS status = wait_for_objects(1, &event, WaitAny, std::optional<std::uint64_t>(0), false, site);
  if (status != STATUS_WAIT_0) {
    if (poll) return false;
    InterlockedIncrement(reinterpret_cast<LONG volatile*>(&FastMutex->Contention));
    status = wait_for_objects(1, &event, WaitAny, std::nullopt, false, site);
    if (status != STATUS_WAIT_0) return false;  // a reported deadlock ended the wait
  }
  FastMutex->Owner = self_thread();
  FastMutex->Count = 0;
  return true;
}

static void fast_mutex_release(PFAST_MUTEX FastMutex, const char* routine, const WAVERT_CALL_SITE& site) {
  if (FastMutex == nullptr || !check_header(&FastMutex->Event, routine, site)) return;
  if (FastMutex->Owner != static_cast<PVOID>(self_thread())) {
    verifier_report(Rule::MutexNotOwned, site, "%s on FAST_MUTEX %p, which %s", routine,
                    static_cast<void*>(FastMutex), FastMutex->Owner == nullptr ? "is not held" : "another thread owns");
    return;
  }
  Lock lock(g_dispatcher.mutex);
  FastMutex->Owner = nullptr;
  FastMutex->Count = 1;
  signal_event_locked(&FastMutex->Event);
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(APC_LEVEL, "ExAcquireFastMutex", CallSite)) return;
  const KIRQL old = current_irql();
  set_current_irql(APC_LEVEL);
  if (fast_mutex_acquire(FastMutex, false, "ExAcquireFastMutex", CallSite)) {
    FastMutex->OldIrql = old;
  } else {
    set_current_irql(old);
  }
}

VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  if (FastMutex == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "ExReleaseFastMutex(NULL)");
    return;
  }
  const KIRQL old = static_cast<KIRQL>(FastMutex->OldIrql);
  const bool owned = FastMutex->Owner == static_cast<PVOID>(self_thread());
  fast_mutex_release(FastMutex, "ExReleaseFastMutex", CallSite);
  if (owned) lower_after_release(old, CallSite);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(APC_LEVEL, "ExTryToAcquireFastMutex", CallSite)) return FALSE;
  const KIRQL old = current_irql();
  set_current_irql(APC_LEVEL);
  if (fast_mutex_acquire(FastMutex, true, "ExTryToAcquireFastMutex", CallSite)) {
    FastMutex->OldIrql = old;
    return TRUE;
  }
  set_current_irql(old);
  return FALSE;
}

VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  if (!check_max_irql(APC_LEVEL, "ExAcquireFastMutexUnsafe", CallSite)) return;
  fast_mutex_acquire(FastMutex, false, "ExAcquireFastMutexUnsafe", CallSite);
}

VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex, WAVERT_CALL_SITE CallSite) {
  fast_mutex_release(FastMutex, "ExReleaseFastMutexUnsafe", CallSite);
}

// ----- Spin locks ----------------------------------------------------------------------------

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { __atomic_store_n(SpinLock, ULONG_PTR{0}, __ATOMIC_RELEASE); }

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock, WAVERT_CALL_SITE CallSite) {
  const KIRQL old = raise_to_dispatch("KeAcquireSpinLock", CallSite);
  spin_acquire(SpinLock, old, "KeAcquireSpinLock", CallSite);
  return old;
}

KIRQL KfAcquireSpinLock(PKSPIN_LOCK SpinLock, WAVERT_CALL_SITE CallSite) {
  return KeAcquireSpinLockRaiseToDpc(SpinLock, CallSite);
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql, WAVERT_CALL_SITE CallSite) {
  release_and_lower(SpinLock, NewIrql, "KeReleaseSpinLock", CallSite);
}

VOID KfReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql, WAVERT_CALL_SITE CallSite) {
  release_and_lower(SpinLock, NewIrql, "KfReleaseSpinLock", CallSite);
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALL_SITE CallSite) {
  require_dispatch("KeAcquireSpinLockAtDpcLevel", CallSite);
  spin_acquire(SpinLock, kAcquiredAtDpc, "KeAcquireSpinLockAtDpcLevel", CallSite);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALL_SITE CallSite) {
  require_dispatch("KeReleaseSpinLockFromDpcLevel", CallSite);
  spin_release(SpinLock, "KeReleaseSpinLockFromDpcLevel", CallSite);
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, WAVERT_CALL_SITE CallSite) {
  require_dispatch("KeTryToAcquireSpinLockAtDpcLevel", CallSite);
  const ULONG_PTR mine = lock_owner_tag();
  if ((__atomic_load_n(SpinLock, __ATOMIC_RELAXED) & ~ULONG_PTR{0xFF}) == mine) {
    verifier_report(Rule::SpinLockRecursion, CallSite,
                    "KeTryToAcquireSpinLockAtDpcLevel on spin lock %p that this thread already holds",
                    static_cast<void*>(SpinLock));
    return FALSE;
  }
  ULONG_PTR expected = 0;
  return __atomic_compare_exchange_n(SpinLock, &expected, mine | kAcquiredAtDpc, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED) ? TRUE : FALSE;
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock) {
  return __atomic_load_n(SpinLock, __ATOMIC_RELAXED) == 0 ? TRUE : FALSE;
}

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle, WAVERT_CALL_SITE CallSite) {
  if (LockHandle == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "KeAcquireInStackQueuedSpinLock with a NULL LockHandle");
    return;
  }
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->OldIrql = raise_to_dispatch("KeAcquireInStackQueuedSpinLock", CallSite);
  spin_acquire(SpinLock, LockHandle->OldIrql, "KeAcquireInStackQueuedSpinLock", CallSite);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle, WAVERT_CALL_SITE CallSite) {
  if (LockHandle == nullptr || LockHandle->LockQueue.Lock == nullptr) {
    verifier_report(Rule::BadArgument, CallSite,
                    "KeReleaseInStackQueuedSpinLock with a handle no acquire filled in");
    return;
  }
  release_and_lower(LockHandle->LockQueue.Lock, LockHandle->OldIrql, "KeReleaseInStackQueuedSpinLock", CallSite);
  LockHandle->LockQueue.Lock = nullptr;
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle,
                                              WAVERT_CALL_SITE CallSite) {
  if (LockHandle == nullptr) {
    verifier_report(Rule::BadArgument, CallSite, "KeAcquireInStackQueuedSpinLockAtDpcLevel with a NULL LockHandle");
    return;
  }
  require_dispatch("KeAcquireInStackQueuedSpinLockAtDpcLevel", CallSite);
  LockHandle->LockQueue.Next = nullptr;
  LockHandle->LockQueue.Lock = SpinLock;
  LockHandle->OldIrql = DISPATCH_LEVEL;
  spin_acquire(SpinLock, kAcquiredAtDpc, "KeAcquireInStackQueuedSpinLockAtDpcLevel", CallSite);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle, WAVERT_CALL_SITE CallSite) {
  if (LockHandle == nullptr || LockHandle->LockQueue.Lock == nullptr) {
    verifier_report(Rule::BadArgument, CallSite,
                    "KeReleaseInStackQueuedSpinLockFromDpcLevel with a handle no acquire filled in");
    return;
  }
  require_dispatch("KeReleaseInStackQueuedSpinLockFromDpcLevel", CallSite);
  spin_release(LockHandle->LockQueue.Lock, "KeReleaseInStackQueuedSpinLockFromDpcLevel", CallSite);
  LockHandle->LockQueue.Lock = nullptr;
}

// ----- Time ----------------------------------------------------------------------------------

LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency) {
  if (PerformanceFrequency != nullptr) PerformanceFrequency->QuadPart = static_cast<LONGLONG>(qpc_frequency());
  LARGE_INTEGER now;
  now.QuadPart = static_cast<LONGLONG>(interrupt_time_100ns());
  return now;
}

ULONGLONG KeQueryInterruptTime(void) { return interrupt_time_100ns(); }

ULONGLONG KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp) {
  const std::uint64_t now = interrupt_time_100ns();
  if (QpcTimeStamp != nullptr) *QpcTimeStamp = now;
  return now;
}

ULONGLONG KeQueryUnbiasedInterruptTime(void) { return interrupt_time_100ns(); }

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  CurrentTime->QuadPart = static_cast<LONGLONG>(system_time_now_100ns());
}

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime) {
  CurrentTime->QuadPart = static_cast<LONGLONG>(system_time_now_100ns());
}

ULONG KeQueryTimeIncrement(void) { return 10'000; }

VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount) {
  CurrentCount->QuadPart = static_cast<LONGLONG>(interrupt_time_100ns() / KeQueryTimeIncrement());
}

VOID KeStallExecutionProcessor(ULONG MicroSeconds, WAVERT_CALL_SITE CallSite) {
  if (g_dispatcher.kind == ClockKind::Simulated) {
    // The processor is busy: time passes and nothing else runs; what fell due fires late.
    Lock lock(g_dispatcher.mutex);
    g_dispatcher.sim_now_100ns.fetch_add(std::uint64_t{MicroSeconds} * 10, std::memory_order_relaxed);
    return;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(MicroSeconds);
  while (std::chrono::steady_clock::now() < until) cpu_relax();
}

} // extern "C"
