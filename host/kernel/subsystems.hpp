// Internal: how KernelSession boots and shuts down each part of the kernel API, in order.
// Boot runs top to bottom; shutdown bottom to top. Shutdown functions run the leak checks of
// their part and report what is left through the verifier.
#pragma once

#include "wavert/host/kernel.hpp"
#include <cstddef>

#include "wavert/nt/callsite.h"
#include "wavert/nt/types.h"

namespace wavert::host::detail {

void memory_boot(const KernelConfig& config);      // pool, simulated physical memory, MDLs
void dispatcher_boot(const KernelConfig& config);  // clock, dispatcher objects, timers, DPCs, work items
void registry_boot(const KernelConfig& config);    // the registry store, from config.registry_file

void registry_shutdown();
void dispatcher_shutdown();
void memory_shutdown();

// The pool tells the dispatcher when memory is freed, so a KTIMER, KDPC or KEVENT still in use
// inside freed memory (a timer still set, a DPC still queued) is reported, not silently corrupted.
void dispatcher_on_free(const void* begin, std::size_t bytes, const WAVERT_CALL_SITE& site);

// KeLowerIrql tells the dispatcher when a thread drops below DISPATCH_LEVEL: on Windows, DPCs
// queued meanwhile run at that moment; in simulated time the dispatcher runs them here.
void dispatcher_irql_lowered(KIRQL new_irql);

// The calling thread's IRQL, for the dispatcher when it runs DPCs and interrupt routines.
KIRQL current_irql();
void set_current_irql(KIRQL irql);

} // namespace wavert::host::detail
