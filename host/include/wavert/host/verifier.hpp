// The host's Driver Verifier: rules a driver must not break, reported with the driver's call site.
//
// Fatal mode (the default) prints a report naming the rule, the call site and the bug check
// Windows would raise, then aborts: a test fails loudly instead of hanging or limping on.
// Record mode collects violations instead, for tests that prove a rule is caught.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wavert/nt/callsite.h"

namespace wavert::host {

// Append new rules at the end of their group; names are what reports print.
enum class Rule : std::uint32_t {
  // IRQL
  PagedCodeAtRaisedIrql,
  IrqlTooHigh,      // a routine called above its maximum IRQL
  IrqlRaiseToLower, // KeRaiseIrql to a level below the current one
  IrqlLowerToHigher,// KeLowerIrql to a level above the current one
  IrqlNotRestored,  // a DPC, timer or work routine returned at another IRQL than it entered
  WaitAtDispatch,   // a non-zero wait at DISPATCH_LEVEL or above
  // Locks
  SpinLockNotHeld,        // released a spin lock that is not held, or held by another thread
  SpinLockRecursion,      // acquired a spin lock the thread already holds: a deadlock on Windows
  SpinLockIrqlMismatch,   // released with an IRQL other than the one the acquire returned
  MutexNotOwned,          // released a KMUTEX or FAST_MUTEX the thread does not own
  Deadlock,               // simulated time: every thread waits and nothing can wake any of them
  // Pool
  PoolWrongTag,
  PoolDoubleFree,
  PoolFreeUnknown,   // freeing an address the pool never returned
  PoolBadArgument,   // zero tag, invalid flags, size overflow
  PoolLeak,          // allocations still outstanding at unload / shutdown
  PoolOverrun,       // guard bytes after a block changed: the driver wrote past its allocation
  PoolWriteAfterFree,// a freed (poisoned, quarantined) block was written to before reuse
  DmaToUnallocatedPage, // device access to a physical page that is not allocated (or not RAM)
  // Memory descriptor lists and simulated physical memory
  MdlDoubleFree,
  MdlFreeUnknown,
  MdlFreedWhileMapped,
  MdlBadArgument,
  MdlLeak,
  // Timers, DPCs, work items
  TimerFreedWhileSet,
  TimerLeak,
  DpcPendingAtShutdown,
  WorkItemLeak,
  // Objects and arguments
  InvalidObject,     // an uninitialized or corrupted dispatcher object
  BadArgument,       // a null or out-of-range argument the routine does not accept
  ObjectLeak,        // handles or device objects still open when the session shuts down
  // Other
  BugCheck,          // KeBugCheckEx called by the driver
  HostContract,      // the host's own rules for its callers (tests, port driver)
  AssertionFailed,   // ASSERT / NT_ASSERT / NT_VERIFY in driver code evaluated to false
};

const char* rule_name(Rule rule);
// The bug check code Windows raises for this rule (0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION when
// there is no more specific one), and its symbolic name.
std::uint32_t rule_bugcheck_code(Rule rule);
const char* rule_bugcheck_name(Rule rule);

struct Violation {
  Rule rule;
  std::string message;
  std::string file;
  std::string function;
  unsigned line = 0;

  std::string report() const; // the multi-line text Fatal mode prints
};

enum class VerifierMode { Fatal, Record };

// Report a broken rule. Fatal mode does not return.
[[gnu::format(printf, 3, 4)]] void verifier_report(Rule rule, const WAVERT_CALL_SITE& site,
                                                   const char* format, ...);

VerifierMode verifier_mode();
void set_verifier_mode(VerifierMode mode);

// While one of these lives, violations are recorded instead of fatal. Not nestable.
class RecordViolations {
 public:
  RecordViolations();
  ~RecordViolations();
  RecordViolations(const RecordViolations&) = delete;
  RecordViolations& operator=(const RecordViolations&) = delete;

  std::vector<Violation> take();         // removes and returns what was recorded so far
  std::size_t count(Rule rule) const;    // how many of this rule were recorded so far
  bool empty() const;

 private:
  VerifierMode previous_;
};

} // namespace wavert::host
