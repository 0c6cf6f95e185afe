// A miniport's PCFILTER_DESCRIPTOR, checked once at IPort::Init and then read through this view.
//
// The descriptor is driver memory laid out with driver-chosen strides (PinSize, NodeSize,
// PropertyItemSize) and with attribute lists interleaved in the data range pointer arrays. All of
// that is decoded here, once, so the filter and pin code never does pointer arithmetic on driver
// tables. The descriptor itself stays the driver's (it must outlive the port: WDK drivers return
// static tables); the view holds pointers into it.
#pragma once

#include <span>
#include <vector>

#include <portcls.h>

#include "wavert/nt/callsite.h"

namespace wavert::portcls {

// The WDK's KSATTRIBUTE_LIST, as a driver's pin descriptor holds it: {Count, an array of Count
// PKSATTRIBUTE}. ks.h does not declare KSATTRIBUTE_LIST yet; this host-side view reads the same
// memory without claiming the WDK name (so ks.h can add it without a clash).
struct KsAttributeListView {
  ULONG Count;
  const KSATTRIBUTE* const* Attributes;
};
static_assert(sizeof(KsAttributeListView) == 16 && offsetof(KsAttributeListView, Attributes) == 8,
              "KSATTRIBUTE_LIST x64 layout");

// One data range of a pin, with the attribute list that follows it when the range has
// KSDATARANGE_ATTRIBUTES set (KSDATARANGE: "the following KSDATARANGE is to be interpreted as an
// attribute list", a KSATTRIBUTE_LIST, not a range).
struct DataRangeView {
  const KSDATARANGE* range = nullptr;
  const KsAttributeListView* attributes = nullptr;  // null: none
};

struct PinView {
  ULONG id = 0;
  const PCPIN_DESCRIPTOR* pc = nullptr;  // Pins + id * PinSize
  const KSPIN_DESCRIPTOR& ks() const { return pc->KsPinDescriptor; }
  std::vector<DataRangeView> ranges;     // in descriptor order, attribute lists folded in
  // Convenience for the port's pin factory (waveRT-contract.md §1.3): data leaves the filter
  // through this pin, i.e. capture for a SINK pin.
  bool data_flows_out() const { return ks().DataFlow == KSPIN_DATAFLOW_OUT; }
};

class FilterDescription {
 public:
  FilterDescription() = default;

  // Checks and decodes `descriptor`. Every rule the WDK states for PCFILTER_DESCRIPTOR (Version 0,
  // strides multiples of 8 and at least the structure size, non-null arrays for non-zero counts,
  // connections naming existing pins/nodes, data range sizes, attribute list sizes, instance
  // counts Min <= Max, Min != (ULONG)-1, automation item sizes) is a Rule::PortContract report at
  // `site` when broken; in Record mode the call then returns STATUS_INVALID_PARAMETER and `out` is
  // untouched.
  [[nodiscard]] static NTSTATUS create(const PCFILTER_DESCRIPTOR* descriptor, const WAVERT_CALL_SITE& site,
                                       FilterDescription* out);

  const PCFILTER_DESCRIPTOR* raw() const { return raw_; }
  const PCAUTOMATION_TABLE* automation() const { return raw_->AutomationTable; }

  ULONG pin_count() const { return static_cast<ULONG>(pins_.size()); }
  // nullptr for an id past the end: callers turn that into STATUS_INVALID_PARAMETER... see
  // docs/host-portcls.md, "Bad pin id".
  const PinView* pin(ULONG pin_id) const { return pin_id < pins_.size() ? &pins_[pin_id] : nullptr; }

  ULONG node_count() const { return static_cast<ULONG>(nodes_.size()); }
  const PCNODE_DESCRIPTOR* node(ULONG node_id) const {
    return node_id < nodes_.size() ? nodes_[node_id] : nullptr;
  }

  std::span<const PCCONNECTION_DESCRIPTOR> connections() const {
    return {raw_->Connections, raw_->Connections == nullptr ? 0 : raw_->ConnectionCount};
  }
  std::span<const GUID> categories() const {
    return {raw_->Categories, raw_->Categories == nullptr ? 0 : raw_->CategoryCount};
  }

 private:
  const PCFILTER_DESCRIPTOR* raw_ = nullptr;
  std::vector<PinView> pins_;
  std::vector<const PCNODE_DESCRIPTOR*> nodes_;  // Nodes + id * NodeSize
};

// A serialized attribute list (after a client's KSDATAFORMAT, or in a DATARANGES reply) is a
// KSMULTIPLE_ITEM {Size, Count} followed by Count KSATTRIBUTEs, each starting 8-aligned and at
// least sizeof(KSATTRIBUTE) long, all inside Size. False (with the reason in *why) otherwise;
// `available_bytes` bounds what may be read.
bool serialized_attribute_list_is_well_formed(const KSMULTIPLE_ITEM* list, std::size_t available_bytes,
                                              const char** why);

}  // namespace wavert::portcls
