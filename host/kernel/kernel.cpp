#include "wavert/host/kernel.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "subsystems.hpp"

namespace wavert::host {
namespace {
std::atomic<bool> g_running{false};
KernelConfig g_config;  // written only while no session runs
} // namespace

const char* clock_kind_name(ClockKind kind) {
  switch (kind) {
    case ClockKind::Real: return "real";
    case ClockKind::Simulated: return "sim";
  }
  return "unknown";
}

KernelSession::KernelSession(const KernelConfig& config) : config_(config) {
  bool expected = false;
  if (!g_running.compare_exchange_strong(expected, true)) {
    std::fputs("*** wavert host: a KernelSession is already running; the kernel is process-wide\n", stderr);
    std::abort();
  }
  g_config = config;
  set_verifier_mode(config.verifier);
  detail::memory_boot(config);
  detail::dispatcher_boot(config);
  detail::registry_boot(config);
}

KernelSession::~KernelSession() {
  detail::registry_shutdown();
  detail::dispatcher_shutdown();
  detail::memory_shutdown();
  g_running = false;
}

bool kernel_running() { return g_running.load(); }

const KernelConfig& kernel_config() {
  if (!g_running.load()) {
    std::fputs("*** wavert host: the kernel API was used with no KernelSession running\n", stderr);
    std::abort();
  }
  return g_config;
}

} // namespace wavert::host
