// Placeholder: the memory part of the kernel API. Replaced by its implementation.
#include "subsystems.hpp"

namespace wavert::host::detail {
void memory_boot(const KernelConfig&) {}
void memory_shutdown() {}
} // namespace wavert::host::detail
