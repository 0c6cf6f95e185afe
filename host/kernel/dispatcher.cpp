// Placeholder: the dispatcher part of the kernel API. Replaced by its implementation.
#include "subsystems.hpp"

namespace wavert::host::detail {
void dispatcher_boot(const KernelConfig&) {}
void dispatcher_shutdown() {}
void dispatcher_on_free(const void*, std::size_t, const WAVERT_CALL_SITE&) {}
} // namespace wavert::host::detail
