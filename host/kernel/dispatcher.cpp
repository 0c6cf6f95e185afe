// The dispatcher's core: the one clock (real or simulated), the simulated scheduler, the real
// clock thread, boot and shutdown with their leak checks, and the host API of clock.hpp.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <unordered_map>

#include "dispatcher_internal.hpp"

namespace wavert::host::detail {

Dispatcher g_dispatcher;

namespace {

// Interrupt time 0 is CLOCK_MONOTONIC's origin in real mode (std::steady_clock on Linux).
std::uint64_t real_interrupt_time_100ns() {
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) / 100;
}

std::chrono::steady_clock::time_point real_time_point(std::uint64_t interrupt_100ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(interrupt_100ns * 100));
}

// FILETIME of the Unix epoch: 100 ns units from 1601-01-01 to 1970-01-01.
constexpr std::uint64_t kUnixEpochAsFileTime100ns = 116'444'736'000'000'000ull;

// The NTSTATUS a deadlocked wait is ended with in Record mode, so a test gets its thread back.

thread_local ThreadRec t_default_thread;
thread_local ThreadRec* t_self = nullptr;

const WAVERT_CALL_SITE kShutdownSite{"(kernel shutdown)", "dispatcher_shutdown", 0};

const char* object_kind(const DISPATCHER_HEADER* h) {
  switch (h->Type) {
    case WAVERT_EVENT_NOTIFICATION_OBJECT: return "notification KEVENT";
    case WAVERT_EVENT_SYNCHRONIZATION_OBJECT: return "synchronization KEVENT";
    case WAVERT_MUTANT_OBJECT: return "KMUTEX";
    case WAVERT_SEMAPHORE_OBJECT: return "KSEMAPHORE";
    case WAVERT_TIMER_NOTIFICATION_OBJECT: return "notification KTIMER";
    case WAVERT_TIMER_SYNCHRONIZATION_OBJECT: return "synchronization KTIMER";
    default: return "object";
  }
}

// Every blocked thread's wait, for the deadlock report.
std::string describe_waits_locked() {
  Dispatcher& d = g_dispatcher;
  std::string text;
  for (ThreadRec* t : d.threads) {
    if (t->state != ThreadState::Blocked || t->wait == nullptr || t->wait->idle) continue;
    const WaitState& w = *t->wait;
    char line[320];
    std::snprintf(line, sizeof line, "\n      thread '%s' (%u) since t=%" PRIu64 " (100 ns) at %s:%u: %s",
                  t->name.c_str(), t->id, w.since_100ns, w.site.File ? w.site.File : "?", w.site.Line,
                  w.count == 0 ? "a delay" : (w.type == WaitAll ? "WaitAll on" : "WaitAny on"));
    text += line;
    for (ULONG i = 0; i < w.count; ++i) {
      std::snprintf(line, sizeof line, " %s@%p(SignalState %d)", object_kind(w.objects[i]),
                    static_cast<void*>(w.objects[i]), static_cast<int>(w.objects[i]->SignalState));
      text += line;
    }
  }
  return text;
}

// Every logical thread waits, no timer is pending and no DPC or work is queued: nothing can
// ever wake any of them. Report, then end the first (lowest id) such wait so the run goes on.
void resolve_deadlock_locked() {
  Dispatcher& d = g_dispatcher;
  ThreadRec* victim = nullptr;
  for (ThreadRec* t : d.threads) {
    if (t->state == ThreadState::Blocked && t->wait != nullptr && !t->wait->idle) {
      victim = t;
      break;
    }
  }
  if (victim == nullptr) return;
  const std::string waits = describe_waits_locked();
  verifier_report(Rule::Deadlock, victim->wait->site,
                  "simulated time: every thread waits and no timer, DPC or work item can wake any of them:%s"
                  "\n    thread '%s' gets STATUS_POSSIBLE_DEADLOCK so the run can go on",
                  waits.c_str(), victim->name.c_str());
  WaitState& w = *victim->wait;
  for (ULONG i = 0; i < w.count; ++i) RemoveEntryList(&w.links[i].entry);
  w.done = true;
  w.status = STATUS_POSSIBLE_DEADLOCK;
  victim->state = ThreadState::Ready;
  d.ready.push_back(victim);
}

void clock_thread_main() {
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  while (!d.clock_stop) {
    const std::uint64_t now = real_interrupt_time_100ns();
    while (!d.queue.empty() && d.queue.begin()->first.due_100ns <= now) expire_first_locked();
    if (!IsListEmpty(&d.dpc_queue)) {
      run_dpcs_locked(lock);
      continue;
    }
    if (d.queue.empty()) {
      d.clock_cv.wait(lock);
    } else {
      d.clock_cv.wait_until(lock, real_time_point(d.queue.begin()->first.due_100ns));
    }
  }
}

} // namespace

ThreadRec* self_thread() {
  if (t_self == nullptr) t_self = &t_default_thread;
  return t_self;
}

std::uint64_t interrupt_time_100ns() {
  if (g_dispatcher.kind == ClockKind::Simulated) return g_dispatcher.sim_now_100ns.load(std::memory_order_relaxed);
  return real_interrupt_time_100ns();
}

std::uint64_t system_time_now_100ns() {
  if (g_dispatcher.kind == ClockKind::Simulated) {
    return kSimSystemTimeEpoch100ns + (interrupt_time_100ns() - g_dispatcher.sim_start_uptime_100ns);
  }
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return kUnixEpochAsFileTime100ns + static_cast<std::uint64_t>(ts.tv_sec) * 10'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec) / 100;
}

std::uint64_t due_from_nt_time(LONGLONG due_time) {
  const std::uint64_t now = interrupt_time_100ns();
  if (due_time < 0) {
    // -INT64_MIN does not exist; the furthest relative time there is will do.
    const std::uint64_t relative = due_time == INT64_MIN ? static_cast<std::uint64_t>(INT64_MAX)
                                                         : static_cast<std::uint64_t>(-due_time);
    return now > UINT64_MAX - relative ? UINT64_MAX : now + relative;
  }
  const std::uint64_t system_now = system_time_now_100ns();
  const std::uint64_t absolute = static_cast<std::uint64_t>(due_time);
  return absolute > system_now ? now + (absolute - system_now) : now;
}

void trace_locked(TraceKind kind, const void* object, std::uint32_t thread) {
  if (g_dispatcher.trace != nullptr) {
    g_dispatcher.trace->push_back(TraceEvent{interrupt_time_100ns(), kind, object, thread});
  }
}

void queue_insert_locked(const QueueKey& key, const QueueEntry& entry) {
  Dispatcher& d = g_dispatcher;
  const bool first = d.queue.empty() || key < d.queue.begin()->first;
  d.queue.emplace(key, entry);
  if (first && d.kind == ClockKind::Real) d.clock_cv.notify_one();
}

void expire_first_locked() {
  Dispatcher& d = g_dispatcher;
  auto it = d.queue.begin();
  const QueueKey key = it->first;
  const QueueEntry entry = it->second;
  d.queue.erase(it);
  // Time never goes back: an entry that became due while a thread stalled fires late, at now.
  if (d.kind == ClockKind::Simulated && key.due_100ns > d.sim_now_100ns.load(std::memory_order_relaxed)) {
    d.sim_now_100ns.store(key.due_100ns, std::memory_order_relaxed);
  }
  if (entry.wait != nullptr) {
    WaitState& w = *entry.wait;
    for (ULONG i = 0; i < w.count; ++i) RemoveEntryList(&w.links[i].entry);
    w.done = true;
    w.status = STATUS_TIMEOUT;
    w.has_deadline = false;
    trace_locked(TraceKind::WaitTimedOut, nullptr, w.thread->id);
    w.thread->state = ThreadState::Ready;
    d.ready.push_back(w.thread);
    return;
  }
  KTIMER* timer = entry.timer;
  timer->Header.Inserted = FALSE;
  ++d.stats.timers_expired;
  trace_locked(TraceKind::TimerExpired, timer, kDpcContextThread);
  timer->Header.SignalState = 1;
  satisfy_waiters_locked(&timer->Header);
  const std::uint64_t due = timer->DueTime.QuadPart;
  if (timer->HostPeriod100ns > 0) {
    // The next expiry is the previous due time plus the period, never "now + period": a late
    // expiry must not become drift.
    timer->DueTime.QuadPart = due + static_cast<std::uint64_t>(timer->HostPeriod100ns);
    timer->HostSequence = ++d.sequence;
    timer->Header.Inserted = TRUE;
    queue_insert_locked({timer->DueTime.QuadPart, timer->HostSequence}, {timer, nullptr});
  }
  if (timer->Dpc != nullptr) {
    // Windows passes the expiry's system time to a timer DPC, low and high parts.
    const std::uint64_t system_due =
        system_time_now_100ns() - (interrupt_time_100ns() > due ? interrupt_time_100ns() - due : 0);
    insert_dpc_locked(timer->Dpc, reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(system_due & 0xFFFFFFFFu)),
                      reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(system_due >> 32)));
  }
}

void sim_schedule_locked(Lock& lock, ThreadRec* self) {
  Dispatcher& d = g_dispatcher;
  for (;;) {
    if (!IsListEmpty(&d.dpc_queue) && !d.dpc_running) {
      run_dpcs_locked(lock);
      continue;
    }
    if (!d.ready.empty()) {
      ThreadRec* next = d.ready.front();
      d.ready.pop_front();
      next->state = ThreadState::Running;
      if (next == self) return;
      d.sim_running = next;
      ++d.stats.context_switches;
      next->cv.notify_one();
      if (self->state == ThreadState::Finished) return;
      self->cv.wait(lock, [&] { return d.sim_running == self; });
      return;
    }
    if (!d.queue.empty()) {
      expire_first_locked();
      continue;
    }
    const bool anyone_waits = std::any_of(d.threads.begin(), d.threads.end(), [](ThreadRec* t) {
      return t->state == ThreadState::Blocked && t->wait != nullptr && !t->wait->idle;
    });
    if (!anyone_waits) {
      // Only idle workers are left (the session is ending): nobody holds the baton.
      d.sim_running = nullptr;
      return;
    }
    resolve_deadlock_locked();
  }
}

// ----- Boot and shutdown ---------------------------------------------------------------------

void dispatcher_boot(const KernelConfig& config) {
  Dispatcher& d = g_dispatcher;
  {
    Lock lock(d.mutex);
    d.kind = config.clock;
    d.seed = config.seed;
    d.sim_start_uptime_100ns = config.sim_start_uptime_100ns;
    d.sim_now_100ns.store(config.sim_start_uptime_100ns);
    d.sequence = 0;
    d.queue.clear();
    InitializeListHead(&d.dpc_queue);
    d.dpc_running = false;
    d.ready.clear();
    d.threads.clear();
    d.next_thread_id = 0;
    d.clock_stop = false;
    d.worker_stop = false;
    d.work_queue.clear();
    d.stats = ClockStats{};

    ThreadRec* main = self_thread();
    main->id = d.next_thread_id++;
    main->name = "main";
    main->state = ThreadState::Running;
    main->wait = nullptr;
    main->registered = d.kind == ClockKind::Simulated;
    if (main->registered) d.threads.push_back(main);
    d.sim_running = main->registered ? main : nullptr;
    d.booted = true;
  }
  KeInitializeEvent(&d.work_event, SynchronizationEvent, FALSE);
  if (d.kind == ClockKind::Real) d.clock_thread = std::thread(clock_thread_main);
  d.worker = new HostThread("work-items", worker_main);
}

void dispatcher_shutdown() {
  Dispatcher& d = g_dispatcher;
  std::vector<_IO_WORKITEM*> items;
  std::vector<_EX_TIMER*> ex_timers;
  // Timers and DPCs first, before anything else may run: what is pending at this moment is what
  // the driver left behind.
  {
    Lock lock(d.mutex);
    for (auto it = d.queue.begin(); it != d.queue.end();) {
      KTIMER* timer = it->second.timer;
      if (timer == nullptr) {
        ++it;
        continue;
      }
      bool is_ex_timer = false;
      for (_EX_TIMER* t : d.ex_timers) is_ex_timer |= &t->timer == timer;
      if (!is_ex_timer) {
        verifier_report(Rule::TimerLeak, kShutdownSite,
                        "KTIMER at %p is still set at shutdown (due at %" PRIu64 ", period %" PRId64
                        " x 100 ns): cancel it with KeCancelTimer before the driver unloads",
                        static_cast<void*>(timer), static_cast<std::uint64_t>(timer->DueTime.QuadPart),
                        static_cast<std::int64_t>(timer->HostPeriod100ns));
      }
      timer->Header.Inserted = FALSE;
      it = d.queue.erase(it);
    }
    for (_EX_TIMER* t : d.ex_timers) {
      verifier_report(Rule::TimerLeak, t->allocated_at,
                      "EX_TIMER at %p allocated here was %s at shutdown: delete it with ExDeleteTimer(Timer, "
                      "TRUE, TRUE, &Parameters) before the driver unloads",
                      static_cast<void*>(t), t->deleted ? "deleted but still set" : "never deleted");
      ex_timers.push_back(t);
    }
    d.ex_timers.clear();
    while (!IsListEmpty(&d.dpc_queue)) {
      KDPC* dpc = CONTAINING_RECORD(RemoveHeadList(&d.dpc_queue), KDPC, DpcListEntry);
      dpc->DpcData = nullptr;
      verifier_report(Rule::DpcPendingAtShutdown, kShutdownSite,
                      "KDPC at %p (routine %p) is still queued at shutdown: remove it (KeRemoveQueueDpc) or "
                      "flush it (KeFlushQueuedDpcs) before the driver unloads",
                      static_cast<void*>(dpc), reinterpret_cast<void*>(dpc->DeferredRoutine));
    }
    // Stop the worker: work already queued still runs, as the system queue would run it.
    d.worker_stop = true;
    signal_event_locked(&d.work_event);
  }
  delete d.worker;
  d.worker = nullptr;
  {
    Lock lock(d.mutex);
    for (_IO_WORKITEM* item : d.work_items) {
      verifier_report(Rule::WorkItemLeak, item->allocated_at,
                      "work item %p allocated here was never freed: call IoFreeWorkItem before the driver unloads",
                      static_cast<void*>(item));
      items.push_back(item);
    }
    d.work_items.clear();
    for (ThreadRec* t : d.threads) {
      if (t == self_thread()) continue;
      verifier_report(Rule::HostContract, kShutdownSite,
                      "HostThread '%s' is still running at shutdown: join every HostThread before the "
                      "KernelSession ends", t->name.c_str());
    }
    d.clock_stop = true;
    d.clock_cv.notify_all();
  }
  if (d.clock_thread.joinable()) d.clock_thread.join();
  for (_IO_WORKITEM* item : items) delete item;
  for (_EX_TIMER* t : ex_timers) delete t;

  Lock lock(d.mutex);
  ThreadRec* main = self_thread();
  main->registered = false;
  d.threads.clear();
  d.ready.clear();
  d.sim_running = nullptr;
  d.booted = false;
}

void dispatcher_on_free(const void* begin, std::size_t bytes, const WAVERT_CALL_SITE& site) {
  Dispatcher& d = g_dispatcher;
  Lock lock(d.mutex);
  if (!d.booted) return;
  const auto* lo = static_cast<const unsigned char*>(begin);
  const auto* hi = lo + bytes;
  auto inside = [&](const void* p, std::size_t size) {
    const auto* b = static_cast<const unsigned char*>(p);
    return b < hi && b + size > lo;
  };
  for (auto it = d.queue.begin(); it != d.queue.end();) {
    KTIMER* timer = it->second.timer;
    if (timer != nullptr && (inside(timer, sizeof(KTIMER)) || (timer->Dpc && inside(timer->Dpc, sizeof(KDPC))))) {
      verifier_report(Rule::TimerFreedWhileSet, site,
                      "memory freed here holds a KTIMER that is still set (%p) or the KDPC it will queue (%p): "
                      "KeCancelTimer and KeFlushQueuedDpcs before freeing it",
                      static_cast<void*>(timer), static_cast<void*>(timer->Dpc));
      timer->Header.Inserted = FALSE;
      it = d.queue.erase(it);
    } else {
      ++it;
    }
  }
  for (LIST_ENTRY* e = d.dpc_queue.Flink; e != &d.dpc_queue;) {
    KDPC* dpc = CONTAINING_RECORD(e, KDPC, DpcListEntry);
    e = e->Flink;
    if (inside(dpc, sizeof(KDPC))) {
      verifier_report(Rule::TimerFreedWhileSet, site,
                      "memory freed here holds a KDPC that is still queued (%p): KeRemoveQueueDpc or "
                      "KeFlushQueuedDpcs before freeing it", static_cast<void*>(dpc));
      RemoveEntryList(&dpc->DpcListEntry);
      dpc->DpcData = nullptr;
    }
  }
}

} // namespace wavert::host::detail

// ----- Host API (clock.hpp) ------------------------------------------------------------------

namespace wavert::host {

using namespace detail;

ClockKind clock_kind() { return kernel_config().clock; }
std::uint64_t now_100ns() { return interrupt_time_100ns(); }
std::uint64_t qpc_now() { return interrupt_time_100ns(); }
std::uint64_t system_time_100ns() { return system_time_now_100ns(); }

namespace {

bool check_logical_thread(const char* what) {
  if (!kernel_running()) {
    verifier_report(Rule::HostContract, WAVERT_HERE, "%s needs a running KernelSession", what);
    return false;
  }
  if (g_dispatcher.kind == ClockKind::Simulated && !self_thread()->registered) {
    verifier_report(Rule::HostContract, WAVERT_HERE,
                    "%s in simulated time from a thread the scheduler does not know: use HostThread", what);
    return false;
  }
  return true;
}

} // namespace

void run_until_100ns(std::uint64_t deadline_100ns) {
  if (!check_logical_thread("run_until_100ns")) return;
  if (g_dispatcher.kind == ClockKind::Real) {
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_100ns * 100)));
    return;
  }
  wait_for_objects(0, nullptr, WaitAny, std::max(deadline_100ns, interrupt_time_100ns()), false, WAVERT_HERE,
                   /*after_ties=*/true);
}

void run_for(std::chrono::nanoseconds duration) {
  const auto span_100ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count() / 100));
  run_until_100ns(interrupt_time_100ns() + span_100ns);
}

bool run_until(const std::function<bool()>& pred, std::chrono::nanoseconds timeout) {
  if (!check_logical_thread("run_until")) return pred();
  const std::uint64_t deadline = interrupt_time_100ns() + static_cast<std::uint64_t>(std::max<std::int64_t>(0, timeout.count() / 100));
  for (;;) {
    if (pred()) return true;
    const std::uint64_t now = interrupt_time_100ns();
    if (now >= deadline) return false;
    if (g_dispatcher.kind == ClockKind::Real) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    // Sleep until the next queued event (or the deadline): everything due by then happens, then
    // pred is checked again.
    std::uint64_t next = deadline;
    {
      Lock lock(g_dispatcher.mutex);
      if (!g_dispatcher.queue.empty()) next = std::min(next, g_dispatcher.queue.begin()->first.due_100ns);
    }
    wait_for_objects(0, nullptr, WaitAny, std::max(next, now), false, WAVERT_HERE, /*after_ties=*/true);
  }
}

// ----- HostThread ----------------------------------------------------------------------------

struct HostThread::State {
  std::string name;
  std::function<void()> body;
  ThreadRec rec;
  KEVENT finished{};
  std::thread thread;
  bool joined = false;
};

HostThread::HostThread(std::string name, std::function<void()> body) : state_(std::make_unique<State>()) {
  State* s = state_.get();
  s->name = std::move(name);
  s->body = std::move(body);
  if (!kernel_running()) {
    verifier_report(Rule::HostContract, WAVERT_HERE, "HostThread '%s' needs a running KernelSession", s->name.c_str());
    s->joined = true;
    return;
  }
  KeInitializeEvent(&s->finished, NotificationEvent, FALSE);
  Dispatcher& d = g_dispatcher;
  {
    Lock lock(d.mutex);
    s->rec.name = s->name;
    s->rec.id = d.next_thread_id++;
    if (d.kind == ClockKind::Simulated) {
      s->rec.registered = true;
      s->rec.state = ThreadState::Ready;
      d.threads.push_back(&s->rec);
      d.ready.push_back(&s->rec);
    }
  }
  s->thread = std::thread([s] {
    t_self = &s->rec;
    Dispatcher& d = g_dispatcher;
    if (s->rec.registered) {
      Lock lock(d.mutex);
      s->rec.cv.wait(lock, [&] { return d.sim_running == &s->rec; });
    }
    s->body();
    Lock lock(d.mutex);
    signal_event_locked(&s->finished);
    if (s->rec.registered) {
      s->rec.state = ThreadState::Finished;
      d.threads.erase(std::find(d.threads.begin(), d.threads.end(), &s->rec));
      sim_schedule_locked(lock, &s->rec);
    }
  });
}

HostThread::~HostThread() { join(); }

bool HostThread::joinable() const { return !state_->joined; }
const std::string& HostThread::name() const { return state_->name; }

void HostThread::join() {
  State* s = state_.get();
  if (s->joined) return;
  DISPATCHER_HEADER* finished = &s->finished.Header;
  const NTSTATUS status = wait_for_objects(1, &finished, WaitAny, std::nullopt, false, WAVERT_HERE);
  if (status != STATUS_WAIT_0) {
    // A reported deadlock ended the join (Record mode): the thread is still blocked and never
    // finishes. Never hang on it: let its OS thread go and keep its state alive for it.
    s->thread.detach();
    static auto* abandoned = new std::vector<std::unique_ptr<State>>;  // lives as long as those threads
    const std::string name = s->name;
    {
      Lock lock(g_dispatcher.mutex);
      abandoned->push_back(std::move(state_));
    }
    state_ = std::make_unique<State>();
    state_->name = name;
    state_->joined = true;
    return;
  }
  s->thread.join();
  s->joined = true;
}

// ----- Trace and statistics ------------------------------------------------------------------

const char* trace_kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::TimerExpired: return "timer";
    case TraceKind::DpcRun: return "dpc";
    case TraceKind::ThreadWoken: return "woken";
    case TraceKind::WaitTimedOut: return "timeout";
    case TraceKind::WorkItemRun: return "work";
  }
  return "?";
}

namespace {
std::vector<TraceEvent> g_trace_events;  // guarded by the dispatcher lock
bool g_trace_active = false;             // guarded by the dispatcher lock
} // namespace

TraceRecorder::TraceRecorder() {
  Lock lock(g_dispatcher.mutex);
  if (g_trace_active) {
    lock.unlock();
    verifier_report(Rule::HostContract, WAVERT_HERE, "only one TraceRecorder may live at a time");
    return;
  }
  g_trace_active = true;
  g_trace_events.clear();
  g_dispatcher.trace = &g_trace_events;
}

TraceRecorder::~TraceRecorder() {
  Lock lock(g_dispatcher.mutex);
  g_dispatcher.trace = nullptr;
  g_trace_active = false;
}

std::vector<TraceEvent> TraceRecorder::events() const {
  Lock lock(g_dispatcher.mutex);
  return g_trace_events;
}

std::vector<std::string> TraceRecorder::canonical() const {
  const std::vector<TraceEvent> events = this->events();
  std::unordered_map<const void*, std::size_t> ordinal;
  std::vector<std::string> lines;
  lines.reserve(events.size());
  for (const TraceEvent& e : events) {
    std::size_t object = 0;
    if (e.object != nullptr) object = ordinal.emplace(e.object, ordinal.size() + 1).first->second;
    char line[128];
    std::snprintf(line, sizeof line, "%" PRIu64 " %s obj%zu thread%u", e.time_100ns, trace_kind_name(e.kind),
                  object, e.thread);
    lines.emplace_back(line);
  }
  return lines;
}

ClockStats clock_stats() {
  Lock lock(g_dispatcher.mutex);
  return g_dispatcher.stats;
}

} // namespace wavert::host
