// DbgPrintEx filtering and output, assertions, breakpoints and bug checks.
#include "wavert/host/debug.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "debug_format.hpp"
#include "subsystems.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/debug.h"

namespace wavert::host {
namespace {

// "any single call to DbgPrintEx will only transmit 512 bytes of information" (DbgPrintEx docs).
constexpr size_t kMaxTransferBytes = 512;

std::mutex g_print_mutex;
bool g_capturing = false;                // guarded by g_print_mutex
bool g_capture_echo = true;              // guarded by g_print_mutex
std::vector<DebugLine> g_captured;       // guarded by g_print_mutex

// The host's component filter mask: levels 0..debug_print_level; errors only with no session.
ULONG filter_mask() {
  if (!kernel_running()) return 1u << DPFLTR_ERROR_LEVEL;
  const std::uint32_t level = kernel_config().debug_print_level;
  return level >= 31 ? 0xFFFFFFFFu : (2u << level) - 1u;
}

bool passes_filter(ULONG level) {
  const ULONG mask = filter_mask();
  // Levels 0..31 name one bit of the mask; larger values are a mask themselves.
  const ULONG bits = level <= 31 ? (1u << level) : (level & ~DPFLTR_MASK);
  return (bits & mask) != 0;
}

void emit(ULONG component, ULONG level, std::string text) {
  if (text.size() > kMaxTransferBytes) text.resize(kMaxTransferBytes);
  std::lock_guard lock(g_print_mutex);
  if (!g_capturing || g_capture_echo) {
    const std::string name = debug_component_name(component);
    const bool newline = !text.empty() && text.back() == '\n';
    std::fprintf(stderr, "[%s] %s%s", name.c_str(), text.c_str(), newline ? "" : "\n");
  }
  if (g_capturing) g_captured.push_back(DebugLine{component, level, std::move(text)});
}

bool debugger_attached() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return false;
  char line[256];
  bool traced = false;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "TracerPid:", 10) == 0) {
      traced = std::atoi(line + 10) != 0;
      break;
    }
  }
  std::fclose(status);
  return traced;
}

} // namespace

CaptureDebugPrint::CaptureDebugPrint(bool echo) {
  std::lock_guard lock(g_print_mutex);
  if (g_capturing) {
    std::fputs("*** wavert host: CaptureDebugPrint scopes do not nest\n", stderr);
    std::abort();
  }
  g_capturing = true;
  g_capture_echo = echo;
  g_captured.clear();
}

CaptureDebugPrint::~CaptureDebugPrint() {
  std::lock_guard lock(g_print_mutex);
  g_capturing = false;
  g_captured.clear();
}

std::vector<DebugLine> CaptureDebugPrint::take() {
  std::lock_guard lock(g_print_mutex);
  std::vector<DebugLine> out;
  out.swap(g_captured);
  return out;
}

std::string debug_component_name(std::uint32_t id) {
  switch (id) {
    case DPFLTR_SYSTEM_ID: return "SYSTEM";
    case DPFLTR_IHVDRIVER_ID: return "IHVDRIVER";
    case DPFLTR_IHVVIDEO_ID: return "IHVVIDEO";
    case DPFLTR_IHVAUDIO_ID: return "IHVAUDIO";
    case DPFLTR_IHVNETWORK_ID: return "IHVNETWORK";
    case DPFLTR_IHVSTREAMING_ID: return "IHVSTREAMING";
    case DPFLTR_IHVBUS_ID: return "IHVBUS";
    case DPFLTR_DEFAULT_ID: return "DEFAULT";
    default: return "COMPONENT_" + std::to_string(id);
  }
}

const char* bugcheck_name(std::uint32_t code) {
  // Names from the Bug Check Code Reference (learn.microsoft.com).
  switch (code) {
    case 0x01: return "APC_INDEX_MISMATCH";
    case 0x09: return "IRQL_NOT_GREATER_OR_EQUAL";
    case 0x0A: return "IRQL_NOT_LESS_OR_EQUAL";
    case 0x19: return "BAD_POOL_HEADER";
    case 0x1E: return "KMODE_EXCEPTION_NOT_HANDLED";
    case 0x3B: return "SYSTEM_SERVICE_EXCEPTION";
    case 0x4E: return "PFN_LIST_CORRUPT";
    case 0x50: return "PAGE_FAULT_IN_NONPAGED_AREA";
    case 0x76: return "PROCESS_HAS_LOCKED_PAGES";
    case 0x7E: return "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED";
    case 0x9F: return "DRIVER_POWER_STATE_FAILURE";
    case 0xB8: return "ATTEMPTED_SWITCH_FROM_DPC";
    case 0xC2: return "BAD_POOL_CALLER";
    case 0xC4: return "DRIVER_VERIFIER_DETECTED_VIOLATION";
    case 0xC7: return "TIMER_OR_DPC_INVALID";
    case 0xCE: return "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS";
    case 0xD1: return "DRIVER_IRQL_NOT_LESS_OR_EQUAL";
    case 0xE2: return "MANUALLY_INITIATED_CRASH";
    case 0x133: return "DPC_WATCHDOG_VIOLATION";
    case 0x139: return "KERNEL_SECURITY_CHECK_FAILURE";
    default: return nullptr;
  }
}

std::string bugcheck_report(std::uint32_t code, const std::uint64_t (&p)[4], const char* file,
                            const char* function, unsigned line) {
  const char* name = bugcheck_name(code);
  char text[768];
  std::snprintf(text, sizeof text,
                "*** STOP: 0x%08X %s\n"
                "    KeBugCheckEx(0x%08X, 0x%016llX, 0x%016llX, 0x%016llX, 0x%016llX)\n"
                "    at %s:%u%s%s\n"
                "    IRQL %u\n",
                code, name ? name : "(unnamed bug check)", code, (unsigned long long)p[0],
                (unsigned long long)p[1], (unsigned long long)p[2], (unsigned long long)p[3],
                file && *file ? file : "(unknown file)", line, function && *function ? " in " : "",
                function ? function : "", unsigned{detail::current_irql()});
  return text;
}

} // namespace wavert::host

using wavert::host::Rule;
using wavert::host::verifier_report;

extern "C" {

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist) {
  if (!wavert::host::passes_filter(Level)) return STATUS_SUCCESS;
  va_list copy;
  va_copy(copy, arglist);
  std::string text = wavert::host::detail::format_kernel_printf(Format, copy);
  va_end(copy);
  wavert::host::emit(ComponentId, Level, std::move(text));
  return STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...) {
  va_list args;
  va_start(args, Format);
  const ULONG status = vDbgPrintEx(ComponentId, Level, Format, args);
  va_end(args);
  return status;
}

ULONG DbgPrint(PCSTR Format, ...) {
  va_list args;
  va_start(args, Format);
  const ULONG status = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, args);
  va_end(args);
  return status;
}

BOOLEAN DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level) {
  (void)ComponentId;  // one mask for every component on the host
  return wavert::host::passes_filter(Level) ? TRUE : FALSE;
}

VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4,
                  WAVERT_CALL_SITE CallSite) {
  const std::uint64_t parameters[4] = {P1, P2, P3, P4};
  const std::string report =
      wavert::host::bugcheck_report(BugCheckCode, parameters, CallSite.File, CallSite.Function, CallSite.Line);
  // No verifier hop: Record mode must not turn a bug check into a return.
  std::fputs(report.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

VOID KeBugCheck(ULONG BugCheckCode, WAVERT_CALL_SITE CallSite) { KeBugCheckEx(BugCheckCode, 0, 0, 0, 0, CallSite); }

VOID DbgBreakPoint(WAVERT_CALL_SITE CallSite) {
  if (wavert::host::debugger_attached()) {
    std::raise(SIGTRAP);
    return;
  }
  // STATUS_BREAKPOINT (0x80000003) unhandled in kernel mode, as Windows stops without a debugger.
  KeBugCheckEx(KMODE_EXCEPTION_NOT_HANDLED, 0x80000003u, reinterpret_cast<ULONG_PTR>(__builtin_return_address(0)),
               0, 0, CallSite);
}

VOID WavertAssertionFailed(PCSTR Expression, PCSTR Message, WAVERT_CALL_SITE CallSite) {
  verifier_report(Rule::AssertionFailed, CallSite, "assertion failed: %s%s%s", Expression ? Expression : "(null)",
                  Message ? " -- " : "", Message ? Message : "");
}

VOID RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage) {
  const WAVERT_CALL_SITE site{static_cast<const char*>(VoidFileName), "", LineNumber};
  WavertAssertionFailed(static_cast<PCSTR>(VoidFailedAssertion), MutableMessage, site);
}

} // extern "C"
