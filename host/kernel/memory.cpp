// The memory part of the kernel API: boots and shuts down pool, simulated physical memory and the
// MDL layer in dependency order. Shutdown checks MDLs first (their leaks name pages and mappings),
// then the pool (MDL structures are pool blocks), then releases the memfd.
#include "memory_internal.hpp"
#include "subsystems.hpp"

namespace wavert::host::detail {

void memory_boot(const KernelConfig& config) {
  physmem_boot(config);
  pool_boot();
  mdl_boot();
}

void memory_shutdown() {
  mdl_shutdown();
  pool_shutdown();
  physmem_shutdown();
}

} // namespace wavert::host::detail
