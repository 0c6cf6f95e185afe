// Interrupt request levels (x64 values) and the per-thread IRQL the host tracks.
#pragma once

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15

extern "C" {
NTKERNELAPI KIRQL KeGetCurrentIrql(void);
// KfRaiseIrql/KeLowerIrql report IRQL_NOT_GREATER_OR_EQUAL / IRQL_NOT_LESS_OR_EQUAL when asked
// to move the wrong way, as Windows would bug-check.
NTKERNELAPI KIRQL KfRaiseIrql(KIRQL NewIrql, WAVERT_CALLER);
NTKERNELAPI VOID KeLowerIrql(KIRQL NewIrql, WAVERT_CALLER);
NTKERNELAPI KIRQL KeRaiseIrqlToDpcLevel(WAVERT_CALLER);
// Checked by PAGED_CODE(): paged code must not run above APC_LEVEL.
NTKERNELAPI VOID WavertCheckPagedCode(WAVERT_CALLER);
}

#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))

// Unlike a free build of Windows, the host checks PAGED_CODE() in every build: a paged function
// at DISPATCH_LEVEL works until the page is out, which a test would never see.
#define PAGED_CODE() WavertCheckPagedCode()
#define PAGED_CODE_LOCKED() ((void)0)
