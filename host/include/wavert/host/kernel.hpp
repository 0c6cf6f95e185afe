// Booting the kernel API in user space: one KernelSession at a time owns the process-wide
// kernel state (clock, pool, physical memory, registry). Its destructor shuts everything down
// and runs the verifier's leak checks.
#pragma once

#include <cstdint>
#include <string>

#include "wavert/host/verifier.hpp"

namespace wavert::host {

enum class ClockKind {
  Real,      // monotonic host time; timers fire on host threads
  Simulated, // discrete events: time jumps to the next due timer; reproducible from the seed
};

struct KernelConfig {
  ClockKind clock = ClockKind::Simulated;
  // One seed for everything random in a run: physical page shuffle, simulated-time tie breaks.
  std::uint64_t seed = 1;
  VerifierMode verifier = VerifierMode::Fatal;
  // Simulated physical memory: 64 MiB holds many seconds of 8-channel 192 kHz float buffers.
  std::uint64_t physical_memory_bytes = 64ull << 20;
  // Device parameters for the driver's registry (see docs/registry.md); empty: none.
  std::string registry_file;
  // Simulated time starts at this uptime (KeQueryInterruptTime, 100 ns units), so a test can run
  // a machine that has been up for months and catch overflow in time arithmetic.
  std::uint64_t sim_start_uptime_100ns = 0;
  // DbgPrintEx messages up to this level are printed (0 DPFLTR_ERROR_LEVEL .. 3 DPFLTR_INFO_LEVEL).
  std::uint32_t debug_print_level = 0;
};

const char* clock_kind_name(ClockKind kind);

class KernelSession {
 public:
  explicit KernelSession(const KernelConfig& config = {});
  ~KernelSession();
  KernelSession(const KernelSession&) = delete;
  KernelSession& operator=(const KernelSession&) = delete;

  const KernelConfig& config() const { return config_; }

 private:
  KernelConfig config_;
};

// True while a KernelSession lives.
bool kernel_running();
// The running session's configuration; aborts with a HostContract report when none runs.
const KernelConfig& kernel_config();

} // namespace wavert::host
