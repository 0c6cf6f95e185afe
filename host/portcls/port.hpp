// What every host port (WaveRT, Topology) shares, and how a port plugs into the framework.
//
// A port is a COM object the adapter gets from PcNewPort. The port's own class implements the COM
// face (IPortWaveRT or IPortTopology: QueryInterface, AddRef, Release, Init, GetDeviceProperty,
// NewRegistryKey) and owns a PortCommon, to which it forwards:
//   Init               -> PortCommon::init (QI the miniport via PortHooks::init_miniport,
//                         GetDescription, descriptor validation, IPinCount / IPowerNotify)
//   GetDeviceProperty  -> PortCommon::get_device_property
//   NewRegistryKey     -> PortCommon::new_registry_key
//   QueryInterface     -> PortCommon::query_interface first (IUnregisterSubdevice,
//                         IUnregisterPhysicalConnection, the framework's ISubdevice), then its own.
// and implements PortHooks for the parts that differ between port types.
//
// Registration: PcNewPort looks the CLSID up in the port class table (register_port_class below;
// builtin ports add one line to port_registry.cpp's kBuiltinPortClasses).
#pragma once

#include <memory>
#include <vector>

#include <portcls.h>

#include "filter_description.hpp"
#include "ks_object.hpp"
#include "locks.hpp"

namespace wavert::portcls {

class AdapterDevice;

enum class PortKind {
  WaveRT,    // device interfaces: KSCATEGORY_AUDIO, REALTIME, and RENDER / CAPTURE by pin dataflow
  Topology,  // device interfaces: KSCATEGORY_AUDIO, TOPOLOGY
};

// The parts of a port that differ between port types. Called by PortCommon and FilterObject.
class PortHooks {
 public:
  virtual PortKind kind() const = 0;

  // IPort::Init's port-specific step, called with the DeviceLock held: QueryInterface the
  // miniport for the port's interface (IID_IMiniportWaveRT / IID_IMiniportTopology; a miss
  // returns STATUS_INVALID_PARAMETER, waveRT-contract.md §1.1), call its Init(UnknownAdapter,
  // ResourceList, <this port>), and on success hand back its IMiniport face with one reference
  // (PortCommon releases it).
  [[nodiscard]] virtual NTSTATUS init_miniport(PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                                               PRESOURCELIST resources, PMINIPORT* out_miniport) = 0;
  // After GetDescription validated, still under the DeviceLock (WaveRT: GetDeviceDescription).
  virtual void after_init() {}

  // The pin factory. Runs with no lock held; takes the DeviceLock itself around NewStream and
  // whatever else it calls on the miniport. On failure it returns the status (the reservation
  // in args gives the instance back when args dies).
  [[nodiscard]] virtual NTSTATUS create_pin(PinCreateArgs&& args, std::shared_ptr<PinObject>* out) = 0;

  // The interfaces a pin offers when its KSPIN_DESCRIPTOR lists none (KSPROPERTY_PIN_INTERFACES,
  // pin-create matching). KS's default is {KSINTERFACESETID_Standard, STANDARD_STREAMING}; the
  // WaveRT port answers STANDARD_LOOPED_STREAMING (waveRT-contract.md §2, KSAUDIO_POSITION).
  virtual std::vector<KSPIN_INTERFACE> default_interfaces() const {
    KSPIN_INTERFACE standard{};
    standard.Set = KSINTERFACESETID_Standard;
    standard.Id = KSINTERFACE_STANDARD_STREAMING;
    return {standard};
  }

  // Filter property sets the port answers itself, offered after KSPROPSETID_Pin/Topology and
  // before the miniport's tables. nullptr: none.
  virtual const PropertyTable* filter_properties() const { return nullptr; }

  // Device power state change, after IAdapterPowerManagement and IPowerNotify ran (DeviceLock held).
  virtual void power_changed(DEVICE_POWER_STATE /*state*/) {}

 protected:
  ~PortHooks() = default;
};

// The framework's private interface on every port: how PcRegisterSubdevice and friends get from
// the PUNKNOWN an adapter passes them to the PortCommon. Found with QueryInterface; AddRef/Release
// go to the port.
// {C7A3E1D2-5B8F-4D6A-9E21-7F3B0C4A8D15}
DEFINE_GUID(IID_IWavertSubdevice, 0xC7A3E1D2, 0x5B8F, 0x4D6A, 0x9E, 0x21, 0x7F, 0x3B, 0x0C, 0x4A, 0x8D, 0x15);

#undef INTERFACE
#define INTERFACE IWavertSubdevice
DECLARE_INTERFACE_(IWavertSubdevice, IUnknown) {
  DEFINE_ABSTRACT_UNKNOWN()
  virtual PortCommon& port_common() = 0;
};
#undef INTERFACE

// Reaches the PortCommon behind any port IUnknown (nullptr when `unknown` is not a host port).
// Does not keep a reference.
PortCommon* port_common_from(PUNKNOWN unknown);

class PortCommon {
 public:
  // `outer` is the port's IUnknown (references taken on the port go there).
  PortCommon(PUNKNOWN outer, PortHooks& hooks);
  ~PortCommon();  // releases miniport, IPinCount, IPowerNotify and the resource list
  PortCommon(const PortCommon&) = delete;
  PortCommon& operator=(const PortCommon&) = delete;

  // IPort::Init. `device` must be a PortCls FDO (PcAddAdapterDevice), else STATUS_INVALID_PARAMETER
  // and a Rule::PortContract report; a second Init is STATUS_INVALID_DEVICE_REQUEST and a report.
  // In order: AddRef ResourceList, hooks.init_miniport, GetDescription, FilterDescription::create,
  // QI IPinCount and IPowerNotify, hooks.after_init -- all under the DeviceLock.
  [[nodiscard]] NTSTATUS init(PDEVICE_OBJECT device, PIRP irp, PUNKNOWN unknown_miniport, PUNKNOWN unknown_adapter,
                              PRESOURCELIST resources);
  [[nodiscard]] NTSTATUS get_device_property(DEVICE_REGISTRY_PROPERTY property, ULONG buffer_bytes, PVOID buffer,
                                             PULONG result_bytes);
  [[nodiscard]] NTSTATUS new_registry_key(PREGISTRYKEY* out, PUNKNOWN outer_unknown, ULONG key_type,
                                          ACCESS_MASK access, POBJECT_ATTRIBUTES attributes, ULONG create_options,
                                          PULONG disposition);
  // IUnregisterSubdevice, IUnregisterPhysicalConnection, IWavertSubdevice: answers with one
  // reference on the outer port and returns true; false for any other IID.
  bool query_interface(REFIID iid, PVOID* out);

  PUNKNOWN outer() const { return outer_; }
  PortHooks& hooks() const { return hooks_; }
  bool initialized() const { return miniport_ != nullptr; }
  AdapterDevice& device() const { return *device_; }
  // The miniport's IMiniport face (GetDescription, DataRangeIntersection) and its IUnknown
  // (PCPROPERTY_REQUEST.MajorTarget).
  PMINIPORT miniport() const { return miniport_; }
  PUNKNOWN miniport_unknown() const { return static_cast<PUNKNOWN>(miniport_); }
  const FilterDescription& description() const { return description_; }
  PPINCOUNT pin_count_interface() const { return pin_count_; }
  PRESOURCELIST resources() const { return resources_; }
  KernelMutex& device_lock() const;
  // DispatchSettings\UsePositionLock read at Init from the device's registry key.
  bool use_position_lock() const { return use_position_lock_; }

  // Device power change (AdapterDevice::dispatch_power, DeviceLock held): the miniport's
  // IPowerNotify::PowerChangeNotify if it has one, then PortHooks::power_changed.
  void power_changed(DEVICE_POWER_STATE state);

  // Global (all filters of this port) instance counts per pin factory: GLOBALCINSTANCES.
  // Guarded by a leaf lock inside.
  ULONG global_instances(ULONG pin_id) const;

 private:
  friend class FilterObject;
  class SubdeviceFace;
  class UnregisterSubdeviceFace;
  class UnregisterConnectionFace;

  PUNKNOWN outer_;
  PortHooks& hooks_;
  AdapterDevice* device_ = nullptr;
  PMINIPORT miniport_ = nullptr;
  PRESOURCELIST resources_ = nullptr;
  PPINCOUNT pin_count_ = nullptr;
  PPOWERNOTIFY power_notify_ = nullptr;
  FilterDescription description_;
  bool use_position_lock_ = false;
  std::unique_ptr<SubdeviceFace> subdevice_face_;
  std::unique_ptr<UnregisterSubdeviceFace> unregister_subdevice_face_;
  std::unique_ptr<UnregisterConnectionFace> unregister_connection_face_;
  mutable std::mutex global_counts_mutex_;  // leaf lock
  std::vector<ULONG> global_instances_;     // guarded by global_counts_mutex_
};

// ---- The port class table (PcNewPort) ------------------------------------------------------------

// Creates a port with one reference, as PcNewPort hands it out.
using PortFactory = NTSTATUS (*)(PPORT* out_port);

// Adds (or replaces) the factory for `clsid` until the returned token dies. Tests use this for fake
// ports; the builtin ports are in port_registry.cpp's table.
class PortClassRegistration {
 public:
  PortClassRegistration(const GUID& clsid, PortFactory factory);
  ~PortClassRegistration();
  PortClassRegistration(const PortClassRegistration&) = delete;
  PortClassRegistration& operator=(const PortClassRegistration&) = delete;

 private:
  GUID clsid_;
};

// The factory PcNewPort would use for `clsid`, or nullptr.
PortFactory find_port_class(const GUID& clsid);

}  // namespace wavert::portcls
