// KS objects behind handles: a filter per open of a subdevice, a pin per KsCreatePin.
//
// Lifetime: the handle table owns one std::shared_ptr per open handle; every request in flight
// holds another. Closing the handle drops the table's reference and calls on_close(); the object
// is destroyed when the last request using it returns, which is when Windows would send
// IRP_MJ_CLOSE. A pin keeps its filter alive (a filter cannot be closed under its pins' feet), and
// a filter keeps its port alive through a COM reference.
//
// Threading: requests on one object may run concurrently (two threads, one handle); serialization
// against the miniport comes from the locks in locks.hpp, not from the object.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <portcls.h>

#include "filter_description.hpp"
#include "property.hpp"

namespace wavert::portcls {

class PortCommon;
class FilterObject;

class KsObject : public std::enable_shared_from_this<KsObject> {
 public:
  enum class Kind { Filter, Pin };
  virtual ~KsObject() = default;
  KsObject(const KsObject&) = delete;
  KsObject& operator=(const KsObject&) = delete;

  virtual Kind kind() const = 0;
  // IOCTL_KS_PROPERTY after the boundary has parsed and copied the buffers.
  [[nodiscard]] virtual NTSTATUS property(PropertyRequest& request) = 0;
  // The handle was closed (IRP_MJ_CLEANUP): requests may still be running on other threads.
  virtual void on_close() {}

 protected:
  KsObject() = default;
};

// A pin instance counted against its filter's and its port's limits (KSPROPERTY_PIN_CINSTANCES /
// GLOBALCINSTANCES). Moving transfers the count; destruction gives it back.
class PinInstanceReservation {
 public:
  PinInstanceReservation() = default;
  PinInstanceReservation(std::shared_ptr<FilterObject> filter, ULONG pin_id);
  PinInstanceReservation(PinInstanceReservation&& other) noexcept;
  PinInstanceReservation& operator=(PinInstanceReservation&& other) noexcept;
  ~PinInstanceReservation();

  FilterObject* filter() const { return filter_.get(); }
  ULONG pin_id() const { return pin_id_; }

 private:
  void release();
  std::shared_ptr<FilterObject> filter_;
  ULONG pin_id_ = 0;
};

// What the framework hands the port's pin factory after it validated the create request.
struct PinCreateArgs {
  std::shared_ptr<FilterObject> filter;
  const PinView* pin = nullptr;           // the pin factory's descriptor
  ULONG pin_id = 0;
  // WaveRT §1.3: SINK + DataFlow IN renders (Capture = FALSE); SINK + OUT captures.
  bool capture = false;
  KSPIN_CONNECT connect{};
  // The validated KSDATAFORMAT, with its specifier part and attribute list, 8-aligned host copy;
  // what NewStream receives a pointer to.
  std::vector<std::byte> format;
  PinInstanceReservation reservation;     // counts this pin; the PinObject must keep it
};

// Base of every pin a port creates. The framework dispatches properties in this order:
//   1. port_properties(): the port's own sets (RtAudio, Connection, Audio position for WaveRT);
//   2. node requests (KSPROPERTY_TYPE_TOPOLOGY) to that node's automation table;
//   3. the pin factory's PCPIN_DESCRIPTOR.AutomationTable;
// 2 and 3 as PCPROPERTY_REQUEST with MinorTarget = minor_target() (the miniport stream).
class PinObject : public KsObject {
 public:
  Kind kind() const final { return Kind::Pin; }
  NTSTATUS property(PropertyRequest& request) final;

  ULONG pin_id() const { return reservation_.pin_id(); }
  FilterObject& filter() const { return *reservation_.filter(); }
  PortCommon& port() const;
  const PinView& pin_view() const { return *pin_; }
  bool capture() const { return capture_; }
  // The format the pin was created with (KSDATAFORMAT first).
  const KSDATAFORMAT& format() const { return *reinterpret_cast<const KSDATAFORMAT*>(format_.data()); }
  std::span<const std::byte> format_bytes() const { return format_; }

  // The position lock for LockPolicy::Position items: the stream's own when the device runs
  // with UsePositionLock, nullptr otherwise (the dispatcher then uses the DeviceLock).
  KernelMutex* position_lock();

 protected:
  explicit PinObject(PinCreateArgs&& args);

  // Port-answered properties; may be empty.
  virtual const PropertyTable& port_properties() const = 0;
  // PCPROPERTY_REQUEST.MinorTarget for miniport pin and node handlers: the miniport stream's
  // IUnknown (not AddRef'd).
  virtual PUNKNOWN minor_target() const = 0;

 private:
  const PinView* pin_;
  bool capture_;
  std::vector<std::byte> format_;
  KernelMutex position_lock_;
  PinInstanceReservation reservation_;  // last: released after the derived pin is gone
};

// One open of a subdevice. Answers KSPROPSETID_Pin and KSPROPSETID_Topology from the filter
// description, then the port's filter sets, then the miniport's filter and node automation
// tables; creates pins.
class FilterObject final : public KsObject {
 public:
  static std::shared_ptr<FilterObject> create(PortCommon& port);
  ~FilterObject() override;

  Kind kind() const override { return Kind::Filter; }
  NTSTATUS property(PropertyRequest& request) override;

  // KsCreatePin: validates the untrusted KSPIN_CONNECT + KSDATAFORMAT bytes (pin id, interface,
  // medium, format against the pin's ranges, instance limits; docs/host-portcls.md lists every
  // status) and hands a PinCreateArgs to the port's pin factory.
  [[nodiscard]] NTSTATUS create_pin(std::span<const std::byte> connect, std::shared_ptr<PinObject>* out);

  PortCommon& port() const { return *port_; }
  const FilterDescription& description() const;

  // Instances of `pin_id` open on this filter (CINSTANCES.CurrentCount).
  ULONG current_instances(ULONG pin_id) const;

 private:
  explicit FilterObject(PortCommon& port);
  friend class PinInstanceReservation;
  const PropertyTable& filter_properties();
  void build_filter_properties();
  [[nodiscard]] NTSTATUS data_intersection(PropertyRequest& request);
  // Counts one more instance unless a limit (filter, global, or IPinCount's adjustment) forbids;
  // STATUS_INSUFFICIENT_RESOURCES then (KS's status for "pin count exceeded").
  [[nodiscard]] NTSTATUS reserve_instance(ULONG pin_id);
  void release_instance(ULONG pin_id);

  PortCommon* port_;  // AddRef'd on the port's outer IUnknown for the filter's lifetime
  mutable std::mutex counts_mutex_;  // leaf lock; taken before PortCommon's global counts lock
  std::vector<ULONG> current_instances_;  // guarded by counts_mutex_
  std::once_flag table_once_;
  PropertyTable table_;  // KSPROPSETID_Pin and _Topology, built on first use
};

}  // namespace wavert::portcls
