// Debug output, assertions and bug checks (wdm.h, dpfilter.h).
//
// DbgPrintEx filtering, as "Reading and Filtering Debugging Messages" documents it: a Level of
// 0..31 selects bit (1 << Level) of the component's filter mask; a Level above 31 is itself the
// mask to test (DPFLTR_MASK marks such a level). The host's filter mask for every component holds
// the levels 0..KernelConfig::debug_print_level; with no KernelSession running only
// DPFLTR_ERROR_LEVEL prints. Printed messages go to stderr, prefixed with the component name.
//
// Assertions are always checked on the host, as if every build were a checked build: a failed
// ASSERT / NT_ASSERT is a verifier report (Rule::AssertionFailed) naming the driver's line.
//
// KeBugCheckEx never returns: it prints a report (stop code, name, parameters, call site) and
// aborts the process, in every verifier mode.
#pragma once

#include <stdarg.h>

#include "wavert/nt/callsite.h"
#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000u

// Component ids (dpfilter.h). Drivers should use only the IHV ids.
typedef enum _DPFLTR_TYPE {
  DPFLTR_SYSTEM_ID = 0,
  DPFLTR_IHVDRIVER_ID = 77,
  DPFLTR_IHVVIDEO_ID = 78,
  DPFLTR_IHVAUDIO_ID = 79,
  DPFLTR_IHVNETWORK_ID = 80,
  DPFLTR_IHVSTREAMING_ID = 81,
  DPFLTR_IHVBUS_ID = 82,
  DPFLTR_DEFAULT_ID = 101,
} DPFLTR_TYPE;

// Stop codes (bugcodes.h) the host itself raises or that audio drivers raise.
#define IRQL_NOT_GREATER_OR_EQUAL 0x00000009u
#define IRQL_NOT_LESS_OR_EQUAL 0x0000000Au
#define KMODE_EXCEPTION_NOT_HANDLED 0x0000001Eu
#define DRIVER_POWER_STATE_FAILURE 0x0000009Fu
#define BAD_POOL_CALLER 0x000000C2u
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4u
#define DRIVER_IRQL_NOT_LESS_OR_EQUAL 0x000000D1u
#define MANUALLY_INITIATED_CRASH 0x000000E2u
#define DPC_WATCHDOG_VIOLATION 0x00000133u
#define KERNEL_SECURITY_CHECK_FAILURE 0x00000139u

extern "C" {

// Both return STATUS_SUCCESS, printed or filtered. A single call prints at most 512 bytes, the
// documented limit of one DbgPrint transfer; longer messages are cut there.
// No format attribute: the kernel dialect (%wZ, %ws, %I64x; see host/kernel/debug_format.hpp)
// would draw -Wformat warnings from every correct driver.
// DbgPrint is DbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, ...), as on Windows Vista and
// later, so it prints only when debug_print_level is 3 or more.
NTSYSAPI ULONG DbgPrint(PCSTR Format, ...);
NTSYSAPI ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
NTSYSAPI ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist);
// TRUE when a DbgPrintEx(ComponentId, Level, ...) would be printed now.
NTSYSAPI BOOLEAN DbgQueryDebugFilterState(ULONG ComponentId, ULONG Level);

// Without a kernel debugger attached a breakpoint is an unhandled exception in kernel mode: the
// host stops with KMODE_EXCEPTION_NOT_HANDLED (STATUS_BREAKPOINT) unless a debugger traces it.
NTSYSAPI VOID DbgBreakPoint(WAVERT_CALLER);

[[noreturn]] NTKERNELAPI VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                                           ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3,
                                           ULONG_PTR BugCheckParameter4, WAVERT_CALLER);
[[noreturn]] NTKERNELAPI VOID KeBugCheck(ULONG BugCheckCode, WAVERT_CALLER);

// Reports a failed assertion (Rule::AssertionFailed); returns in the verifier's Record mode.
NTSYSAPI VOID WavertAssertionFailed(PCSTR Expression, PCSTR Message, WAVERT_CALLER);

}  // extern "C"

#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define vKdPrintEx(_x_) vDbgPrintEx _x_
#define KdBreakPoint() DbgBreakPoint()

#define ASSERT(_exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, nullptr), FALSE) : TRUE)
#define ASSERTMSG(_msg, _exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, (_msg)), FALSE) : TRUE)
#define NT_ASSERT(_exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, nullptr), FALSE) : TRUE)
#define NT_ASSERTMSG(_msg, _exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, (_msg)), FALSE) : TRUE)
#define NT_ASSERT_ASSUME(_exp) NT_ASSERT(_exp)
// NT_VERIFY evaluates its expression in every build and yields its truth value.
#define NT_VERIFY(_exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, nullptr), FALSE) : TRUE)
#define NT_VERIFYMSG(_msg, _exp) ((!(_exp)) ? (WavertAssertionFailed(#_exp, (_msg)), FALSE) : TRUE)
