// The Topology port (CLSID_PortTopology): the filter that describes an adapter's mixer -- volume,
// mute, peak meters, channel configuration, jacks -- as KS nodes and bridge pins.
//
// Everything a topology filter does is answering properties: KSPROPSETID_Pin and _Topology from
// the miniport's PCFILTER_DESCRIPTOR (the framework's FilterObject), node requests
// (KSPROPERTY_TYPE_TOPOLOGY + KSP_NODE) to the node's PCAUTOMATION_TABLE and filter requests
// (jack descriptions, KSP_PIN) to the filter's, as PCPROPERTY_REQUESTs with MajorTarget = the
// miniport, MinorTarget = NULL (a topology filter has no streams), Node = the node id or
// (ULONG)-1. The port adds nothing of its own on top of the framework's routing; what it owns is
// the COM face (IPortTopology), the miniport handshake (IID_IMiniportTopology, Init) and the
// rule that its pins are bridges, never instantiated.
#pragma once

#include <portcls.h>

namespace wavert::portcls {

// PcNewPort's factory for CLSID_PortTopology: a new port with one reference, as IPort.
// STATUS_INSUFFICIENT_RESOURCES when the allocation fails.
[[nodiscard]] NTSTATUS create_topology_port(PPORT* out_port);

}  // namespace wavert::portcls
