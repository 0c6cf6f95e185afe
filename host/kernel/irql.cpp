// Per-thread IRQL. A host thread starts at PASSIVE_LEVEL; the dispatcher raises it while it runs
// DPCs (DISPATCH_LEVEL) and interrupt service routines (device IRQL).
#include "subsystems.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/irql.h"

namespace wavert::host::detail {
namespace {
thread_local KIRQL t_irql = PASSIVE_LEVEL;
}
KIRQL current_irql() { return t_irql; }
void set_current_irql(KIRQL irql) { t_irql = irql; }
} // namespace wavert::host::detail

using wavert::host::Rule;
using wavert::host::verifier_report;

extern "C" {

KIRQL KeGetCurrentIrql(void) { return wavert::host::detail::current_irql(); }

KIRQL KfRaiseIrql(KIRQL NewIrql, WAVERT_CALL_SITE CallSite) {
  const KIRQL old = KeGetCurrentIrql();
  if (NewIrql > HIGH_LEVEL) {
    verifier_report(Rule::BadArgument, CallSite, "KeRaiseIrql to %u: there is no IRQL above HIGH_LEVEL (15)",
                    unsigned{NewIrql});
    return old;
  }
  if (NewIrql < old) {
    verifier_report(Rule::IrqlRaiseToLower, CallSite,
                    "KeRaiseIrql to %u while the thread runs at %u: raising must not lower the IRQL",
                    unsigned{NewIrql}, unsigned{old});
    return old;
  }
  wavert::host::detail::set_current_irql(NewIrql);
  return old;
}

VOID KeLowerIrql(KIRQL NewIrql, WAVERT_CALL_SITE CallSite) {
  const KIRQL current = KeGetCurrentIrql();
  if (NewIrql > current) {
    verifier_report(Rule::IrqlLowerToHigher, CallSite,
                    "KeLowerIrql to %u while the thread runs at %u: lowering must not raise the IRQL",
                    unsigned{NewIrql}, unsigned{current});
    return;
  }
  wavert::host::detail::set_current_irql(NewIrql);
  if (current >= DISPATCH_LEVEL && NewIrql < DISPATCH_LEVEL) wavert::host::detail::dispatcher_irql_lowered(NewIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(WAVERT_CALL_SITE CallSite) { return KfRaiseIrql(DISPATCH_LEVEL, CallSite); }

VOID WavertCheckPagedCode(WAVERT_CALL_SITE CallSite) {
  const KIRQL current = KeGetCurrentIrql();
  if (current > APC_LEVEL) {
    verifier_report(Rule::PagedCodeAtRaisedIrql, CallSite,
                    "paged code (PAGED_CODE) runs at IRQL %u; pageable code may run at APC_LEVEL (1) at most",
                    unsigned{current});
  }
}

} // extern "C"
