// Internal: the dispatcher's call into the user-event module (ob_events.cpp) after an event is
// signalled, so EventSignalWatch callbacks run.
#pragma once

#include "wavert/nt/ke.h"

namespace wavert::host::detail {

// Called by KeSetEvent and KePulseEvent after they released the dispatcher lock. Cheap when no
// watch exists (one relaxed atomic load).
void event_signalled(PRKEVENT event);

} // namespace wavert::host::detail
