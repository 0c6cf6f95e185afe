// Fault injection: make the Nth allocation of a kind fail, or each with probability p from a
// seed. Allocation routines ask fault_should_fail() before doing any work; an injected failure
// is indistinguishable, for the driver, from a real out-of-memory.
#pragma once

#include <cstdint>

#include "wavert/nt/callsite.h"

namespace wavert::host {

enum class FaultSite : std::uint32_t {
  Pool,      // ExAllocatePool2 / ExAllocatePoolWithTag / ExAllocatePoolZero
  Mdl,       // MmAllocatePagesForMdl(Ex), IoAllocateMdl, MmMapLockedPagesSpecifyCache
  Timer,     // ExAllocateTimer
  WorkItem,  // IoAllocateWorkItem
  Count_,
};

const char* fault_site_name(FaultSite site);

// Plans replace each other; clear_faults() removes every plan and resets the counters.
// Counting starts at the call that sets the plan: fail_nth(site, 1) fails the next call.
void fail_nth(FaultSite site, std::uint64_t n);
// Counts across every site: fail_nth_any(n) fails the nth allocation of whatever kind.
void fail_nth_any(std::uint64_t n);
void fail_with_probability(FaultSite site, double p, std::uint64_t seed);
void clear_faults();

// Calls seen since the last plan or clear, and failures injected.
std::uint64_t fault_calls(FaultSite site);
std::uint64_t fault_calls_any();
std::uint64_t faults_injected();

// For allocation routines: counts the call and says whether to fail it.
bool fault_should_fail(FaultSite site, const WAVERT_CALL_SITE& where);

} // namespace wavert::host
