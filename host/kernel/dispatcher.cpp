// Placeholder: the dispatcher part of the kernel API. Replaced by its implementation.
#include "subsystems.hpp"

namespace wavert::host::detail {
void dispatcher_boot(const KernelConfig&) {}
void dispatcher_shutdown() {}
} // namespace wavert::host::detail
