// The topology miniports (IMiniportTopology) of the speaker and microphone: volume, mute and peak
// meter nodes in front of the codec stage's controls (device/filters.h).
#pragma once

#include <portcls.h>

namespace wavert::topology {

enum class TopologyFilter : UCHAR { Speaker, Microphone };

// PASSIVE_LEVEL. A new miniport object with one reference, for PcNewPort(CLSID_PortTopology).
[[nodiscard]] NTSTATUS create_topology_miniport(TopologyFilter filter, PUNKNOWN* out);

}  // namespace wavert::topology
