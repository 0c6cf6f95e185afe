#include "wavert/host/faults.hpp"

#include <array>
#include <cstdio>
#include <mutex>

namespace wavert::host {
namespace {

constexpr std::size_t kSites = static_cast<std::size_t>(FaultSite::Count_);

// splitmix64: tiny, seedable, and the same sequence on every platform.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct SitePlan {
  std::uint64_t fail_at = 0;   // 1-based call number to fail; 0: none
  double probability = 0.0;
  std::uint64_t rng = 0;
  std::uint64_t calls = 0;
};

struct FaultState {
  std::array<SitePlan, kSites> sites{};
  std::uint64_t any_fail_at = 0;
  std::uint64_t any_calls = 0;
  std::uint64_t injected = 0;
};

std::mutex g_mutex;
FaultState g_state;  // guarded by g_mutex

SitePlan& plan_for(FaultSite site) { return g_state.sites[static_cast<std::size_t>(site)]; }

void reset_counters() {
  for (SitePlan& p : g_state.sites) p.calls = 0;
  g_state.any_calls = 0;
  g_state.injected = 0;
}

} // namespace

const char* fault_site_name(FaultSite site) {
  switch (site) {
    case FaultSite::Pool: return "pool";
    case FaultSite::Mdl: return "mdl";
    case FaultSite::Timer: return "timer";
    case FaultSite::WorkItem: return "workitem";
    case FaultSite::Count_: break;
  }
  return "unknown";
}

void fail_nth(FaultSite site, std::uint64_t n) {
  std::lock_guard lock(g_mutex);
  g_state = FaultState{};
  plan_for(site).fail_at = n;
}

void fail_nth_any(std::uint64_t n) {
  std::lock_guard lock(g_mutex);
  g_state = FaultState{};
  g_state.any_fail_at = n;
}

void fail_with_probability(FaultSite site, double p, std::uint64_t seed) {
  std::lock_guard lock(g_mutex);
  g_state = FaultState{};
  plan_for(site).probability = p;
  plan_for(site).rng = seed;
}

void clear_faults() {
  std::lock_guard lock(g_mutex);
  g_state = FaultState{};
  reset_counters();
}

std::uint64_t fault_calls(FaultSite site) {
  std::lock_guard lock(g_mutex);
  return plan_for(site).calls;
}

std::uint64_t fault_calls_any() {
  std::lock_guard lock(g_mutex);
  return g_state.any_calls;
}

std::uint64_t faults_injected() {
  std::lock_guard lock(g_mutex);
  return g_state.injected;
}

bool fault_should_fail(FaultSite site, const WAVERT_CALL_SITE& where) {
  std::lock_guard lock(g_mutex);
  SitePlan& plan = plan_for(site);
  ++plan.calls;
  ++g_state.any_calls;
  bool fail = plan.fail_at != 0 && plan.calls == plan.fail_at;
  fail = fail || (g_state.any_fail_at != 0 && g_state.any_calls == g_state.any_fail_at);
  if (!fail && plan.probability > 0.0) {
    // 53 random bits make a double in [0, 1).
    const double draw = static_cast<double>(splitmix64(plan.rng) >> 11) * 0x1.0p-53;
    fail = draw < plan.probability;
  }
  if (fail) {
    ++g_state.injected;
    std::fprintf(stderr, "wavert fault injection: failing %s allocation #%llu at %s:%u\n",
                 fault_site_name(site), static_cast<unsigned long long>(plan.calls),
                 where.File ? where.File : "?", where.Line);
  }
  return fail;
}

} // namespace wavert::host
