// Placeholder: the registry part of the kernel API. Replaced by its implementation.
#include "subsystems.hpp"

namespace wavert::host::detail {
void registry_boot(const KernelConfig&) {}
void registry_shutdown() {}
} // namespace wavert::host::detail
