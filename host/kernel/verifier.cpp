#include "wavert/host/verifier.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace wavert::host {
namespace {

struct RuleInfo {
  const char* name;
  std::uint32_t bugcheck;
  const char* bugcheck_name;
};

constexpr std::uint32_t kVerifierViolation = 0xC4;

RuleInfo rule_info(Rule rule) {
  switch (rule) {
    case Rule::PagedCodeAtRaisedIrql: return {"PAGED_CODE_AT_RAISED_IRQL", 0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL"};
    case Rule::IrqlTooHigh: return {"IRQL_TOO_HIGH", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::IrqlRaiseToLower: return {"IRQL_RAISE_TO_LOWER", 0x09, "IRQL_NOT_GREATER_OR_EQUAL"};
    case Rule::IrqlLowerToHigher: return {"IRQL_LOWER_TO_HIGHER", 0x0A, "IRQL_NOT_LESS_OR_EQUAL"};
    case Rule::IrqlNotRestored: return {"IRQL_NOT_RESTORED", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::WaitAtDispatch: return {"WAIT_AT_DISPATCH_LEVEL", 0xB8, "ATTEMPTED_SWITCH_FROM_DPC"};
    case Rule::SpinLockNotHeld: return {"SPIN_LOCK_NOT_HELD", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::SpinLockRecursion: return {"SPIN_LOCK_RECURSION", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::SpinLockIrqlMismatch: return {"SPIN_LOCK_IRQL_MISMATCH", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::MutexNotOwned: return {"MUTEX_NOT_OWNED", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::Deadlock: return {"DEADLOCK", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::PoolWrongTag: return {"POOL_WRONG_TAG", 0xC2, "BAD_POOL_CALLER"};
    case Rule::PoolDoubleFree: return {"POOL_DOUBLE_FREE", 0xC2, "BAD_POOL_CALLER"};
    case Rule::PoolFreeUnknown: return {"POOL_FREE_UNKNOWN", 0xC2, "BAD_POOL_CALLER"};
    case Rule::PoolBadArgument: return {"POOL_BAD_ARGUMENT", 0xC2, "BAD_POOL_CALLER"};
    case Rule::PoolLeak: return {"POOL_LEAK", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::PoolOverrun: return {"POOL_OVERRUN", 0xC1, "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION"};
    case Rule::PoolWriteAfterFree: return {"POOL_WRITE_AFTER_FREE", 0xC1, "SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION"};
    case Rule::DmaToUnallocatedPage: return {"DMA_TO_UNALLOCATED_PAGE", 0xE6, "DRIVER_VERIFIER_DMA_VIOLATION"};
    case Rule::MdlDoubleFree: return {"MDL_DOUBLE_FREE", 0x4E, "PFN_LIST_CORRUPT"};
    case Rule::MdlFreeUnknown: return {"MDL_FREE_UNKNOWN", 0x4E, "PFN_LIST_CORRUPT"};
    case Rule::MdlFreedWhileMapped: return {"MDL_FREED_WHILE_MAPPED", 0x76, "PROCESS_HAS_LOCKED_PAGES"};
    case Rule::MdlBadArgument: return {"MDL_BAD_ARGUMENT", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::MdlLeak: return {"MDL_LEAK", 0x76, "PROCESS_HAS_LOCKED_PAGES"};
    case Rule::TimerFreedWhileSet: return {"TIMER_FREED_WHILE_SET", 0xC7, "TIMER_OR_DPC_INVALID"};
    case Rule::TimerLeak: return {"TIMER_LEAK", 0xCE, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS"};
    case Rule::DpcPendingAtShutdown: return {"DPC_PENDING_AT_SHUTDOWN", 0xCE, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS"};
    case Rule::WorkItemLeak: return {"WORK_ITEM_LEAK", 0xCE, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS"};
    case Rule::InvalidObject: return {"INVALID_OBJECT", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::BadArgument: return {"BAD_ARGUMENT", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::ObjectLeak: return {"OBJECT_LEAK", 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
    case Rule::BugCheck: return {"BUGCHECK", 0, "KeBugCheckEx"};
    case Rule::HostContract: return {"HOST_CONTRACT", 0, "(host usage error)"};
    // A checked build breaks into the kernel debugger on a failed assertion; no stop code.
    case Rule::AssertionFailed: return {"ASSERTION_FAILED", 0, "(debugger break)"};
  }
  return {"UNKNOWN_RULE", kVerifierViolation, "DRIVER_VERIFIER_DETECTED_VIOLATION"};
}

std::mutex g_mutex;
VerifierMode g_mode = VerifierMode::Fatal;   // guarded by g_mutex
std::vector<Violation> g_recorded;           // guarded by g_mutex
bool g_recording_scope = false;              // guarded by g_mutex

} // namespace

const char* rule_name(Rule rule) { return rule_info(rule).name; }
std::uint32_t rule_bugcheck_code(Rule rule) { return rule_info(rule).bugcheck; }
const char* rule_bugcheck_name(Rule rule) { return rule_info(rule).bugcheck_name; }

std::string Violation::report() const {
  std::string text = "*** wavert verifier: ";
  text += rule_name(rule);
  text += "\n    ";
  text += message;
  text += "\n    at ";
  text += file.empty() ? "(unknown file)" : file;
  text += ":" + std::to_string(line);
  if (!function.empty()) text += " in " + function;
  const RuleInfo info = rule_info(rule);
  if (info.bugcheck != 0) {
    char code[64];
    std::snprintf(code, sizeof code, "0x%02X", info.bugcheck);
    text += "\n    Windows would stop with bug check ";
    text += code;
    text += " ";
    text += info.bugcheck_name;
  }
  text += "\n";
  return text;
}

void verifier_report(Rule rule, const WAVERT_CALL_SITE& site, const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);

  Violation violation{rule, buffer, site.File ? site.File : "", site.Function ? site.Function : "",
                      site.Line};
  std::unique_lock lock(g_mutex);
  if (g_mode == VerifierMode::Record) {
    g_recorded.push_back(std::move(violation));
    return;
  }
  lock.unlock();
  const std::string text = violation.report();
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

VerifierMode verifier_mode() {
  std::lock_guard lock(g_mutex);
  return g_mode;
}

void set_verifier_mode(VerifierMode mode) {
  std::lock_guard lock(g_mutex);
  g_mode = mode;
}

RecordViolations::RecordViolations() {
  std::lock_guard lock(g_mutex);
  if (g_recording_scope) {
    std::fputs("*** wavert host: RecordViolations scopes do not nest\n", stderr);
    std::abort();
  }
  g_recording_scope = true;
  previous_ = g_mode;
  g_mode = VerifierMode::Record;
  g_recorded.clear();
}

RecordViolations::~RecordViolations() {
  std::lock_guard lock(g_mutex);
  g_mode = previous_;
  g_recorded.clear();
  g_recording_scope = false;
}

std::vector<Violation> RecordViolations::take() {
  std::lock_guard lock(g_mutex);
  std::vector<Violation> out;
  out.swap(g_recorded);
  return out;
}

std::size_t RecordViolations::count(Rule rule) const {
  std::lock_guard lock(g_mutex);
  std::size_t n = 0;
  for (const Violation& v : g_recorded) n += v.rule == rule;
  return n;
}

bool RecordViolations::empty() const {
  std::lock_guard lock(g_mutex);
  return g_recorded.empty();
}

} // namespace wavert::host
