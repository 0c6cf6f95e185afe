// The host's one clock, seen from host code: tests, the port driver, the CLI.
//
// Real: monotonic host time; timers fire on a host timer thread that also runs DPCs.
// Simulated: discrete events. Exactly one logical thread runs at a time (a baton passed between
// real OS threads); time moves only when every logical thread is blocked, and then jumps to the
// next due timer. A wait nothing can ever satisfy is a Rule::Deadlock report, not a hang.
//
// Logical threads are the thread that started the KernelSession, the work-item worker, and every
// HostThread. In simulated time, only those may block in the kernel API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wavert/host/kernel.hpp"

namespace wavert::host {

ClockKind clock_kind();

// Interrupt time (KeQueryInterruptTime): 100 ns units since boot.
std::uint64_t now_100ns();
// KeQueryPerformanceCounter and its frequency (10 MHz).
std::uint64_t qpc_now();
constexpr std::uint64_t qpc_frequency() { return 10'000'000; }
// KeQuerySystemTime: 100 ns units since 1601-01-01 UTC.
std::uint64_t system_time_100ns();
// Where simulated system time starts: 2026-01-01T00:00:00Z, fixed so runs repeat.
constexpr std::uint64_t kSimSystemTimeEpoch100ns = 134'116'992'000'000'000ull;

// Let the machine run for a while: simulated time advances by `duration` (everything due in it
// fires); real time sleeps. The caller must be a logical thread at PASSIVE_LEVEL.
void run_for(std::chrono::nanoseconds duration);
// Runs until pred() holds (true) or `timeout` passes (false). pred is checked after each instant
// at which something was due in simulated time (all of that instant's timers, DPCs and woken
// threads have run), and every 100 us in real time; it must not block.
bool run_until(const std::function<bool()>& pred, std::chrono::nanoseconds timeout);
// Runs until interrupt time reaches `deadline_100ns`.
void run_until_100ns(std::uint64_t deadline_100ns);

// A logical thread: a real OS thread the simulated scheduler knows. Construction queues it to
// run (in simulated time, when the creator next blocks); join() waits for the body to return.
class HostThread {
 public:
  HostThread(std::string name, std::function<void()> body);
  ~HostThread();  // joins
  HostThread(const HostThread&) = delete;
  HostThread& operator=(const HostThread&) = delete;

  void join();
  bool joinable() const;
  const std::string& name() const;

  struct State;
 private:
  std::unique_ptr<State> state_;
};

// ----- Event trace --------------------------------------------------------------------------

enum class TraceKind : std::uint8_t {
  TimerExpired,   // object: the KTIMER (EX_TIMERs show their inner KTIMER)
  DpcRun,         // object: the KDPC, recorded before its routine runs
  ThreadWoken,    // object: what satisfied the wait (null for a timeout); thread: who woke
  WaitTimedOut,   // thread: whose wait timed out
  WorkItemRun,    // object: the PIO_WORKITEM
};
const char* trace_kind_name(TraceKind kind);

struct TraceEvent {
  std::uint64_t time_100ns;  // interrupt time
  TraceKind kind;
  const void* object;
  std::uint32_t thread;      // logical thread id: registration order in the session, main is 0
};

// Records every TraceEvent while it lives (one at a time). canonical() replaces object addresses
// by their order of first appearance, so two runs can be compared line by line.
class TraceRecorder {
 public:
  TraceRecorder();
  ~TraceRecorder();
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  std::vector<TraceEvent> events() const;
  std::vector<std::string> canonical() const;
};

// Statistics of the running session.
struct ClockStats {
  std::uint64_t timers_expired = 0;
  std::uint64_t dpcs_run = 0;
  std::uint64_t context_switches = 0;  // simulated: baton hand-overs between OS threads
};
ClockStats clock_stats();

} // namespace wavert::host
