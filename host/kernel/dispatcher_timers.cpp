// DPCs, KTIMERs and EX_TIMERs.
//
// DPCs run one at a time at DISPATCH_LEVEL: in real time on the clock thread, in simulated time
// on whichever logical thread holds the baton (it is "the processor" at that moment).
#include <cinttypes>

#include "dispatcher_internal.hpp"
#include "wavert/host/faults.hpp"

namespace wavert::host::detail {

namespace {

const WAVERT_CALL_SITE kDpcSite{"(DPC routine)", "run_dpcs", 0};

bool timer_valid(const KTIMER* timer) {
  return header_valid(timer ? &timer->Header : nullptr) &&
         (timer->Header.Type == WAVERT_TIMER_NOTIFICATION_OBJECT || timer->Header.Type == WAVERT_TIMER_SYNCHRONIZATION_OBJECT);
}

bool check_timer(const KTIMER* timer, const char* routine, const WAVERT_CALL_SITE& site) {
  if (timer_valid(timer)) return true;
  verifier_report(Rule::InvalidObject, site, "%s on %p: not a KTIMER initialized with KeInitializeTimer(Ex)", routine,
                  static_cast<const void*>(timer));
  return false;
}

bool check_dpc(const KDPC* dpc, const char* routine, const WAVERT_CALL_SITE& site) {
  if (dpc != nullptr && dpc->Type == WAVERT_DPC_OBJECT && dpc->DeferredRoutine != nullptr) return true;
  verifier_report(Rule::InvalidObject, site, "%s on %p: not a KDPC initialized with KeInitializeDpc", routine,
                  static_cast<const void*>(dpc));
  return false;
}

void initialize_dpc(PRKDPC dpc, PKDEFERRED_ROUTINE routine, PVOID context, const char* name,
                    const WAVERT_CALL_SITE& site) {
  if (dpc == nullptr || routine == nullptr) {
    verifier_report(Rule::BadArgument, site, "%s(%p, routine %p): needs a KDPC and a routine", name,
                    static_cast<void*>(dpc), reinterpret_cast<void*>(routine));
    return;
  }
  dpc->Type = WAVERT_DPC_OBJECT;
  dpc->Importance = MediumImportance;
  dpc->Number = 0;
  dpc->Reserved = 0;
  InitializeListHead(&dpc->DpcListEntry);
  dpc->DeferredRoutine = routine;
  dpc->DeferredContext = context;
  dpc->SystemArgument1 = nullptr;
  dpc->SystemArgument2 = nullptr;
  dpc->DpcData = nullptr;
}

void initialize_timer(PKTIMER timer, TIMER_TYPE type) {
  timer->Header.Type = type == NotificationTimer ? WAVERT_TIMER_NOTIFICATION_OBJECT : WAVERT_TIMER_SYNCHRONIZATION_OBJECT;
  timer->Header.Inserted = FALSE;
  timer->Header.Size = static_cast<UCHAR>(sizeof(KTIMER) / sizeof(LONG));
  timer->Header.Reserved = 0;
  timer->Header.SignalState = 0;
  InitializeListHead(&timer->Header.WaitListHead);
  timer->DueTime.QuadPart = 0;
  timer->HostSequence = 0;
  timer->HostPeriod100ns = 0;
  timer->Dpc = nullptr;
  timer->Processor = 0;
  timer->Period = 0;
}

bool remove_dpc_locked(KDPC* dpc) {
  if (dpc->DpcData == nullptr) return false;
  RemoveEntryList(&dpc->DpcListEntry);
  InitializeListHead(&dpc->DpcListEntry);
  dpc->DpcData = nullptr;
  return true;
}

} // namespace

bool insert_dpc_locked(KDPC* dpc, PVOID argument1, PVOID argument2) {
  Dispatcher& d = g_dispatcher;
  if (dpc->DpcData != nullptr) return false;
  dpc->SystemArgument1 = argument1;
  dpc->SystemArgument2 = argument2;
  dpc->DpcData = &d.dpc_queue;
  if (dpc->Importance == HighImportance) {
    InsertHeadList(&d.dpc_queue, &dpc->DpcListEntry);
  } else {
    InsertTailList(&d.dpc_queue, &dpc->DpcListEntry);
  }
  if (d.kind == ClockKind::Real) d.clock_cv.notify_one();
  return true;
}

void run_dpcs_locked(Lock& lock) {
  Dispatcher& d = g_dispatcher;
  d.dpc_running = true;
  const KIRQL saved = current_irql();
  while (!IsListEmpty(&d.dpc_queue)) {
    KDPC* dpc = CONTAINING_RECORD(RemoveHeadList(&d.dpc_queue), KDPC, DpcListEntry);
    InitializeListHead(&dpc->DpcListEntry);
    dpc->DpcData = nullptr;
    // Copy out: the routine may free or requeue its KDPC.
    const PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
    PVOID context = dpc->DeferredContext;
    PVOID argument1 = dpc->SystemArgument1;
    PVOID argument2 = dpc->SystemArgument2;
    ++d.stats.dpcs_run;
    trace_locked(TraceKind::DpcRun, dpc, kDpcContextThread);
    d.running_dpc = dpc;
    lock.unlock();
    set_current_irql(DISPATCH_LEVEL);
    routine(dpc, context, argument1, argument2);
    const KIRQL after = current_irql();
    if (after != DISPATCH_LEVEL) {
      verifier_report(Rule::IrqlNotRestored, kDpcSite,
                      "DPC routine %p (KDPC %p) returned at IRQL %u; it was called at DISPATCH_LEVEL (2) and "
                      "must return at it", reinterpret_cast<void*>(routine), static_cast<void*>(dpc), unsigned{after});
    }
    set_current_irql(saved);
    lock.lock();
    d.running_dpc = nullptr;
    d.dpc_idle_cv.notify_all();
  }
  d.dpc_running = false;
  d.dpc_idle_cv.notify_all();
}

void sim_run_pending_dpcs_locked(Lock& lock) {
  Dispatcher& d = g_dispatcher;
  if (d.kind != ClockKind::Simulated || d.dpc_running || IsListEmpty(&d.dpc_queue)) return;
  if (current_irql() >= DISPATCH_LEVEL || d.sim_running != self_thread()) return;
  run_dpcs_locked(lock);
}

void dispatcher_irql_lowered(KIRQL new_irql) {
  Dispatcher& d = g_dispatcher;
  if (new_irql >= DISPATCH_LEVEL) return;
  Lock lock(d.mutex);
  if (!d.booted) return;  // IRQL tracking works without a session; DPCs need one
  sim_run_pending_dpcs_locked(lock);
}

BOOLEAN set_timer_locked(KTIMER* timer, LONGLONG due_time, LONGLONG period_100ns, KDPC* dpc) {
  Dispatcher& d = g_dispatcher;
  const BOOLEAN was_set = timer->Header.Inserted;
  if (was_set) d.queue.erase({timer->DueTime.QuadPart, timer->HostSequence});
  timer->Header.SignalState = 0;
  timer->DueTime.QuadPart = due_from_nt_time(due_time);
  timer->HostSequence = ++d.sequence;
  timer->HostPeriod100ns = period_100ns;
  timer->Dpc = dpc;
  timer->Header.Inserted = TRUE;
  queue_insert_locked({timer->DueTime.QuadPart, timer->HostSequence}, {timer, nullptr});
  return was_set;
}

BOOLEAN cancel_timer_locked(KTIMER* timer) {
  if (!timer->Header.Inserted) return FALSE;
  g_dispatcher.queue.erase({timer->DueTime.QuadPart, timer->HostSequence});
  timer->Header.Inserted = FALSE;
  return TRUE;
}

} // namespace wavert::host::detail

using namespace wavert::host;
using namespace wavert::host::detail;

namespace {

BOOLEAN set_ke_timer(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc, const char* routine,
                     const WAVERT_CALL_SITE& site) {
  if (!check_timer(Timer, routine, site)) return FALSE;
  if (Dpc != nullptr && !check_dpc(Dpc, routine, site)) return FALSE;
  if (Period < 0) {
    verifier_report(Rule::BadArgument, site, "%s with a negative Period (%d ms)", routine, Period);
    return FALSE;
  }
  if (current_irql() > DISPATCH_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, site, "%s at IRQL %u; it may be called at IRQL <= DISPATCH_LEVEL (2)", routine,
                    unsigned{current_irql()});
  }
  Lock lock(g_dispatcher.mutex);
  Timer->Period = static_cast<ULONG>(Period);
  return set_timer_locked(Timer, DueTime.QuadPart, static_cast<LONGLONG>(Period) * 10'000, Dpc);
}

// The EX_TIMER's own DPC: runs the driver's callback, then frees a timer deleted meanwhile.
// While it runs, g_dispatcher.running_dpc is this timer's KDPC (set under the lock before the
// DPC loop let go of it), so ExDeleteTimer leaves the freeing to it.
VOID ex_timer_dpc(PKDPC, PVOID context, PVOID, PVOID) {
  auto* timer = static_cast<_EX_TIMER*>(context);
  Lock lock(g_dispatcher.mutex);
  const PEXT_CALLBACK callback = timer->callback;
  PVOID callback_context = timer->context;
  lock.unlock();
  if (callback != nullptr) callback(timer, callback_context);
  lock.lock();
  const bool free_now = timer->deleted && !timer->timer.Header.Inserted && timer->dpc.DpcData == nullptr;
  if (free_now) g_dispatcher.ex_timers.erase(timer);
  lock.unlock();
  if (free_now) {
    const EXT_DELETE_PARAMETERS parameters = timer->delete_parameters;
    delete timer;
    if (parameters.DeleteCallback != nullptr) parameters.DeleteCallback(parameters.DeleteContext);
  }
}

bool check_ex_timer_locked(PEX_TIMER Timer, const char* routine, const WAVERT_CALL_SITE& site) {
  if (Timer != nullptr && g_dispatcher.ex_timers.count(Timer) != 0 && !Timer->deleted) return true;
  verifier_report(Rule::InvalidObject, site, "%s on %p: not a live timer from ExAllocateTimer (deleted already?)",
                  routine, static_cast<void*>(Timer));
  return false;
}

} // namespace

extern "C" {

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext, WAVERT_CALL_SITE CallSite) {
  initialize_dpc(Dpc, DeferredRoutine, DeferredContext, "KeInitializeDpc", CallSite);
}

VOID KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext,
                             WAVERT_CALL_SITE CallSite) {
  initialize_dpc(Dpc, DeferredRoutine, DeferredContext, "KeInitializeThreadedDpc", CallSite);
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2, WAVERT_CALL_SITE CallSite) {
  if (!check_dpc(Dpc, "KeInsertQueueDpc", CallSite)) return FALSE;
  Lock lock(g_dispatcher.mutex);
  if (!insert_dpc_locked(Dpc, SystemArgument1, SystemArgument2)) return FALSE;
  // One processor: a DPC queued below DISPATCH_LEVEL runs at once.
  sim_run_pending_dpcs_locked(lock);
  return TRUE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc, WAVERT_CALL_SITE CallSite) {
  if (!check_dpc(Dpc, "KeRemoveQueueDpc", CallSite)) return FALSE;
  Lock lock(g_dispatcher.mutex);
  return remove_dpc_locked(Dpc) ? TRUE : FALSE;
}

VOID KeFlushQueuedDpcs(WAVERT_CALL_SITE CallSite) {
  if (current_irql() > PASSIVE_LEVEL) {
    verifier_report(Rule::IrqlTooHigh, CallSite,
                    "KeFlushQueuedDpcs at IRQL %u; it must be called at PASSIVE_LEVEL (it waits for DPCs to run)",
                    unsigned{current_irql()});
    return;
  }
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  if (d.kind == ClockKind::Simulated) {
    if (!d.dpc_running) run_dpcs_locked(lock);
    return;
  }
  d.dpc_idle_cv.wait(lock, [&] { return IsListEmpty(&d.dpc_queue) && !d.dpc_running; });
}

VOID KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance) {
  if (Dpc != nullptr) Dpc->Importance = static_cast<UCHAR>(Importance);
}

VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number) {
  // One DPC queue in the host: every target processor is that queue.
  if (Dpc != nullptr) Dpc->Number = static_cast<USHORT>(Number);
}

VOID KeInitializeTimer(PKTIMER Timer, WAVERT_CALL_SITE CallSite) { KeInitializeTimerEx(Timer, NotificationTimer, CallSite); }

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type, WAVERT_CALL_SITE CallSite) {
  if (Timer == nullptr || (Type != NotificationTimer && Type != SynchronizationTimer)) {
    verifier_report(Rule::BadArgument, CallSite, "KeInitializeTimerEx(%p, type %d)", static_cast<void*>(Timer),
                    static_cast<int>(Type));
    return;
  }
  initialize_timer(Timer, Type);
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc, WAVERT_CALL_SITE CallSite) {
  return set_ke_timer(Timer, DueTime, 0, Dpc, "KeSetTimer", CallSite);
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc, WAVERT_CALL_SITE CallSite) {
  return set_ke_timer(Timer, DueTime, Period, Dpc, "KeSetTimerEx", CallSite);
}

BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period, ULONG TolerableDelay, PKDPC Dpc,
                              WAVERT_CALL_SITE CallSite) {
  if (Period > static_cast<ULONG>(MAXLONG)) {
    verifier_report(Rule::BadArgument, CallSite, "KeSetCoalescableTimer with Period %u ms (more than MAXLONG)", Period);
    return FALSE;
  }
  return set_ke_timer(Timer, DueTime, static_cast<LONG>(Period), Dpc, "KeSetCoalescableTimer", CallSite);
}

BOOLEAN KeCancelTimer(PKTIMER Timer, WAVERT_CALL_SITE CallSite) {
  if (!check_timer(Timer, "KeCancelTimer", CallSite)) return FALSE;
  Lock lock(g_dispatcher.mutex);
  return cancel_timer_locked(Timer);
}

BOOLEAN KeReadStateTimer(PKTIMER Timer, WAVERT_CALL_SITE CallSite) {
  if (!check_timer(Timer, "KeReadStateTimer", CallSite)) return FALSE;
  return __atomic_load_n(&Timer->Header.SignalState, __ATOMIC_ACQUIRE) > 0 ? TRUE : FALSE;
}

// ----- EX_TIMER ------------------------------------------------------------------------------

PEX_TIMER ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext, ULONG Attributes, WAVERT_CALL_SITE CallSite) {
  constexpr ULONG kKnown = EX_TIMER_HIGH_RESOLUTION | EX_TIMER_NO_WAKE | EX_TIMER_NOTIFICATION;
  if ((Attributes & ~kKnown) != 0 ||
      ((Attributes & EX_TIMER_HIGH_RESOLUTION) && (Attributes & EX_TIMER_NO_WAKE))) {
    verifier_report(Rule::BadArgument, CallSite,
                    "ExAllocateTimer with Attributes 0x%x: EX_TIMER_HIGH_RESOLUTION and EX_TIMER_NO_WAKE exclude "
                    "each other, and only those and EX_TIMER_NOTIFICATION are defined", Attributes);
    return nullptr;
  }
  if (fault_should_fail(FaultSite::Timer, CallSite)) return nullptr;
  auto* timer = new _EX_TIMER;
  initialize_timer(&timer->timer, (Attributes & EX_TIMER_NOTIFICATION) ? NotificationTimer : SynchronizationTimer);
  initialize_dpc(&timer->dpc, ex_timer_dpc, timer, "ExAllocateTimer", CallSite);
  timer->callback = Callback;
  timer->context = CallbackContext;
  timer->attributes = Attributes;
  timer->allocated_at = CallSite;
  Lock lock(g_dispatcher.mutex);
  g_dispatcher.ex_timers.insert(timer);
  return timer;
}

BOOLEAN ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period, PEXT_SET_PARAMETERS Parameters,
                   WAVERT_CALL_SITE CallSite) {
  if (Period < 0 || (Parameters != nullptr && Parameters->NoWakeTolerance < 0 &&
                     Parameters->NoWakeTolerance != EX_TIMER_UNLIMITED_TOLERANCE)) {
    verifier_report(Rule::BadArgument, CallSite,
                    "ExSetTimer with Period %lld or NoWakeTolerance %lld: neither may be negative (except "
                    "EX_TIMER_UNLIMITED_TOLERANCE)", static_cast<long long>(Period),
                    static_cast<long long>(Parameters ? Parameters->NoWakeTolerance : 0));
    return FALSE;
  }
  Lock lock(g_dispatcher.mutex);
  if (!check_ex_timer_locked(Timer, "ExSetTimer", CallSite)) return FALSE;
  // Period is in 100 ns units already: a high-resolution timer keeps it exactly.
  return set_timer_locked(&Timer->timer, DueTime, Period, &Timer->dpc);
}

BOOLEAN ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters, WAVERT_CALL_SITE CallSite) {
  Lock lock(g_dispatcher.mutex);
  if (!check_ex_timer_locked(Timer, "ExCancelTimer", CallSite)) return FALSE;
  return cancel_timer_locked(&Timer->timer);
}

BOOLEAN ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait, PEXT_DELETE_PARAMETERS Parameters,
                      WAVERT_CALL_SITE CallSite) {
  if (Wait && !Cancel) {
    verifier_report(Rule::BadArgument, CallSite, "ExDeleteTimer with Wait TRUE needs Cancel TRUE (Windows bug-checks)");
    Cancel = TRUE;
  }
  if (Wait && current_irql() > APC_LEVEL) {
    verifier_report(Rule::WaitAtDispatch, CallSite,
                    "ExDeleteTimer with Wait TRUE at IRQL %u: waiting needs IRQL <= APC_LEVEL (from the timer's "
                    "own callback pass Wait FALSE)", unsigned{current_irql()});
    Wait = FALSE;
  }
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  if (!check_ex_timer_locked(Timer, "ExDeleteTimer", CallSite)) return FALSE;
  BOOLEAN cancelled = FALSE;
  if (Cancel) {
    cancelled = cancel_timer_locked(&Timer->timer);
    // An expiry whose callback has not started yet is cancelled with the timer.
    if (remove_dpc_locked(&Timer->dpc)) cancelled = TRUE;
  } else if (Timer->timer.Header.Inserted && Timer->timer.HostPeriod100ns > 0) {
    verifier_report(Rule::BadArgument, CallSite,
                    "ExDeleteTimer(Cancel FALSE) on a periodic timer: it would never expire for good; the host "
                    "cancels it");
    cancel_timer_locked(&Timer->timer);
  }
  if (Parameters != nullptr) Timer->delete_parameters = *Parameters;
  Timer->deleted = true;
  if (Wait && d.running_dpc == &Timer->dpc) {
    // Real clock only: in simulated time no callback can be running while this thread runs.
    // The callback's DPC frees the timer when it returns, so wait for the DPC loop to move on.
    d.dpc_idle_cv.wait(lock, [&] { return d.running_dpc != &Timer->dpc; });
    return cancelled;
  }
  // Freed now when nothing refers to it; otherwise by its DPC after the callback.
  const bool free_now = d.running_dpc != &Timer->dpc && !Timer->timer.Header.Inserted && Timer->dpc.DpcData == nullptr;
  if (free_now) d.ex_timers.erase(Timer);
  lock.unlock();
  if (free_now) {
    const EXT_DELETE_PARAMETERS parameters = Timer->delete_parameters;
    delete Timer;
    if (parameters.DeleteCallback != nullptr) parameters.DeleteCallback(parameters.DeleteContext);
  }
  return cancelled;
}

} // extern "C"
