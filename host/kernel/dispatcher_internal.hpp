// Internal: the dispatcher's shared state, for dispatcher*.cpp only.
//
// Lock rule: one global dispatcher lock (g_dispatcher.mutex) guards every dispatcher object's
// header and wait list, the timer queue, the DPC queue, the simulated scheduler and the host
// bookkeeping below. Driver code (DPC routines, timer callbacks, work items, HostThread bodies)
// never runs with it held.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "subsystems.hpp"
#include "wavert/host/clock.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/ke.h"

// Host objects behind the opaque driver handles.
struct _EX_TIMER {
  KTIMER timer;  // first, so a PEX_TIMER can be waited on like a KTIMER
  KDPC dpc;      // queued by the timer; runs the driver's callback
  PEXT_CALLBACK callback = nullptr;
  PVOID context = nullptr;
  ULONG attributes = 0;
  bool deleted = false;             // ExDeleteTimer called; freed when nothing refers to it
  EXT_DELETE_PARAMETERS delete_parameters{};
  WAVERT_CALL_SITE allocated_at{};
};

struct _IO_WORKITEM {
  PDEVICE_OBJECT device = nullptr;
  PIO_WORKITEM_ROUTINE routine = nullptr;
  PVOID context = nullptr;
  bool queued = false;
  bool running = false;
  bool free_pending = false;        // IoFreeWorkItem came while queued or running
  WAVERT_CALL_SITE allocated_at{};
};

namespace wavert::host::detail {

struct WaitState;

enum class ThreadState { Running, Ready, Blocked, Finished };

// A thread as the dispatcher sees it (a PKTHREAD points at one).
struct ThreadRec {
  std::condition_variable cv;   // baton hand-over (simulated) or wake-up (real)
  std::uint32_t id = 0;         // logical id: registration order in the session (main is 0)
  std::string name;
  bool registered = false;      // a logical thread of the simulated scheduler
  ThreadState state = ThreadState::Running;
  WaitState* wait = nullptr;    // while blocked
};

// One object's part of a wait, on the waiter's stack, linked into the object's wait list.
struct WaitLink {
  LIST_ENTRY entry;
  DISPATCHER_HEADER* object;
  WaitState* wait;
};

struct WaitState {
  ThreadRec* thread = nullptr;
  WAIT_TYPE type = WaitAny;
  ULONG count = 0;
  DISPATCHER_HEADER** objects = nullptr;
  WaitLink* links = nullptr;
  bool has_deadline = false;
  std::uint64_t deadline_100ns = 0;
  std::uint64_t timeout_sequence = 0;  // simulated: key of the timeout in the timer queue
  bool idle = false;                   // a worker waiting for work: not part of a deadlock
  bool after_ties = false;             // host run_for: times out after everything due at the deadline
  bool done = false;
  NTSTATUS status = STATUS_PENDING;
  WAVERT_CALL_SITE site{};
  std::uint64_t since_100ns = 0;
};

struct QueueKey {
  std::uint64_t due_100ns;
  std::uint64_t sequence;
  bool operator<(const QueueKey& o) const {
    return due_100ns != o.due_100ns ? due_100ns < o.due_100ns : sequence < o.sequence;
  }
};

// What sits in the timer queue: a KTIMER, or (simulated time) a wait's timeout.
struct QueueEntry {
  KTIMER* timer = nullptr;
  WaitState* wait = nullptr;
};

constexpr std::uint64_t kAfterTiesSequence = 1ull << 63;
constexpr std::uint32_t kDpcContextThread = 0xFFFFFFFFu;  // trace: "the processor's DPC context"

struct Dispatcher {
  std::mutex mutex;
  bool booted = false;
  ClockKind kind = ClockKind::Simulated;
  std::uint64_t seed = 1;  // kept for future tie-breaks: today ties go first-set, first-fired
  std::atomic<std::uint64_t> sim_now_100ns{0};
  std::uint64_t sim_start_uptime_100ns = 0;
  std::uint64_t sequence = 0;

  std::map<QueueKey, QueueEntry> queue;
  LIST_ENTRY dpc_queue{};
  bool dpc_running = false;
  KDPC* running_dpc = nullptr;          // the DPC whose routine runs now (set before the lock drops)
  std::condition_variable dpc_idle_cv;  // real: KeFlushQueuedDpcs and ExDeleteTimer(Wait)

  // Simulated scheduler.
  ThreadRec* sim_running = nullptr;     // the baton holder
  std::deque<ThreadRec*> ready;
  std::vector<ThreadRec*> threads;      // registered, in registration order
  std::uint32_t next_thread_id = 0;

  // Real clock: one thread expires timers and runs DPCs, like one processor's DPC context.
  std::thread clock_thread;
  std::condition_variable clock_cv;
  bool clock_stop = false;

  // Host objects.
  std::set<_EX_TIMER*> ex_timers;
  std::set<_IO_WORKITEM*> work_items;
  std::deque<_IO_WORKITEM*> work_queue;
  KEVENT work_event{};                  // synchronization: work queued or stop requested
  bool worker_stop = false;
  HostThread* worker = nullptr;

  std::vector<TraceEvent>* trace = nullptr;
  ClockStats stats;
};

extern Dispatcher g_dispatcher;
using Lock = std::unique_lock<std::mutex>;

ThreadRec* self_thread();
std::uint64_t interrupt_time_100ns();   // the one clock
std::uint64_t system_time_now_100ns();
// Interrupt time at which a Windows-style due time / timeout expires (negative relative,
// positive absolute system time, zero now).
std::uint64_t due_from_nt_time(LONGLONG due_time);

void trace_locked(TraceKind kind, const void* object, std::uint32_t thread);

// Objects and waits.
bool header_valid(const DISPATCHER_HEADER* header);
void satisfy_waiters_locked(DISPATCHER_HEADER* header);
// Blocks the calling thread until the wait is satisfied or times out. Objects are already known
// valid and not satisfiable right now.
NTSTATUS block_locked(Lock& lock, WaitState& wait);
// The full wait, used by the Ke* entry points and the host (joins, fast mutexes, the worker).
NTSTATUS wait_for_objects(ULONG count, DISPATCHER_HEADER** objects, WAIT_TYPE type,
                          std::optional<std::uint64_t> deadline_100ns, bool idle,
                          const WAVERT_CALL_SITE& site, bool after_ties = false);
void signal_event_locked(KEVENT* event);

// Timer queue, DPCs.
void queue_insert_locked(const QueueKey& key, const QueueEntry& entry);
void expire_first_locked();
void run_dpcs_locked(Lock& lock);
bool insert_dpc_locked(KDPC* dpc, PVOID argument1, PVOID argument2);
BOOLEAN set_timer_locked(KTIMER* timer, LONGLONG due_time, LONGLONG period_100ns, KDPC* dpc);
BOOLEAN cancel_timer_locked(KTIMER* timer);
// Simulated: runs queued DPCs now if the caller holds the baton below DISPATCH_LEVEL.
void sim_run_pending_dpcs_locked(Lock& lock);

// Simulated scheduler: the baton holder `self` has blocked, yielded or finished; run DPCs,
// other threads and timers until `self` may continue (returns at once for a finished thread).
void sim_schedule_locked(Lock& lock, ThreadRec* self);

// Work items.
void worker_main();

} // namespace wavert::host::detail
