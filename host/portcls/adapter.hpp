// The adapter device: what PcAddAdapterDevice creates, PnP starts and stops, and subdevices
// register on.
//
// One AdapterDevice per FDO. The FDO's DeviceExtension begins with PORT_CLASS_DEVICE_EXTENSION_SIZE
// bytes owned by PortCls; the first pointer-sized slot of that region points to the AdapterDevice
// (the rest stays zero), and the driver's own extension follows at +PORT_CLASS_DEVICE_EXTENSION_SIZE,
// as on Windows.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <portcls.h>

#include "wavert/host/utf.hpp"

#include "irp.hpp"
#include "locks.hpp"

namespace wavert::portcls {

class PortCommon;

// A registered subdevice: PcRegisterSubdevice(Fdo, Name, Port).
struct Subdevice {
  std::u16string name;          // the reference string ("Wave", "Topology")
  PUNKNOWN port = nullptr;      // AddRef'd while registered
  PortCommon* common = nullptr;
  std::vector<std::string> symbolic_links;  // one per category, in the KS registry
};

// PcRegisterPhysicalConnection*: endpoints are either a registered port or an external name.
struct PhysicalConnection {
  PUNKNOWN from_port = nullptr;  // AddRef'd; null when from_external is set
  std::u16string from_external;
  ULONG from_pin = 0;
  PUNKNOWN to_port = nullptr;    // AddRef'd; null when to_external is set
  std::u16string to_external;
  ULONG to_pin = 0;
};

enum class PnpState { Added, Started, Stopped, Removed };

class AdapterDevice {
 public:
  // PortCls's record behind `device`, or nullptr when it is not a PortCls FDO (or was removed).
  static AdapterDevice* from_device(PDEVICE_OBJECT device);

  AdapterDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT fdo, PDEVICE_OBJECT pdo, PDEVICE_OBJECT lower,
                PCPFNSTARTDEVICE start_device, ULONG max_objects);
  ~AdapterDevice();
  AdapterDevice(const AdapterDevice&) = delete;
  AdapterDevice& operator=(const AdapterDevice&) = delete;

  PDRIVER_OBJECT driver() const { return driver_; }
  PDEVICE_OBJECT fdo() const { return fdo_; }
  PDEVICE_OBJECT pdo() const { return pdo_; }
  ULONG max_objects() const { return max_objects_; }
  // The lock every port -> miniport call of this device runs under (locks.hpp, order 1).
  KernelMutex& lock() { return lock_; }

  // IRP_MJ_PNP from the host's PnP simulation (PcDispatchIrp routes here).
  [[nodiscard]] NTSTATUS dispatch_pnp(PIRP irp);
  // IRP_MJ_POWER: device power IRPs (IRP_MN_SET_POWER / QUERY_POWER with DevicePowerState).
  [[nodiscard]] NTSTATUS dispatch_power(PIRP irp);
  PnpState pnp_state() const;
  DEVICE_POWER_STATE power_state() const;

  // PcRegisterSubdevice: STATUS_INSUFFICIENT_RESOURCES beyond MaxObjects,
  // STATUS_OBJECT_NAME_COLLISION for a name in use, STATUS_INVALID_PARAMETER for an unknown or
  // uninitialized port (with a Rule::PortContract report).
  [[nodiscard]] NTSTATUS register_subdevice(std::u16string name, PUNKNOWN port);
  [[nodiscard]] NTSTATUS unregister_subdevice(PUNKNOWN port);
  [[nodiscard]] NTSTATUS register_connection(PhysicalConnection connection);
  [[nodiscard]] NTSTATUS unregister_connection(const PhysicalConnection& connection);
  // The connections that start or end at (port, pin), for KSPROPERTY_PIN_PHYSICALCONNECTION.
  std::vector<PhysicalConnection> connections_of(PUNKNOWN port, ULONG pin) const;
  // The symbolic link of the subdevice `port` is registered as, under `category` (empty if none).
  std::string symbolic_link_of(PUNKNOWN port, const GUID& category) const;

  // FriendlyName of each subdevice's interfaces, by UTF-8 reference string (from DriverConfig).
  void set_friendly_names(std::map<std::string, std::string> names);
  // A snapshot of the registered subdevices (ports AddRef'd in the copy's lifetime is NOT
  // guaranteed: use only while the device cannot be removed, e.g. from the PnP/power path).
  std::vector<Subdevice> subdevices() const;

  // PcRegisterAdapterPowerManagement / PcUnregisterAdapterPowerManagement.
  [[nodiscard]] NTSTATUS set_power_management(PADAPTERPOWERMANAGEMENT pm);
  [[nodiscard]] NTSTATUS clear_power_management();

 private:
  void remove_all();  // IRP_MN_REMOVE_DEVICE: unregister everything, release references

  PDRIVER_OBJECT driver_;
  PDEVICE_OBJECT fdo_;
  PDEVICE_OBJECT pdo_;
  PDEVICE_OBJECT lower_;  // what the FDO attached to (the PDO)
  PCPFNSTARTDEVICE start_device_;
  ULONG max_objects_;
  KernelMutex lock_;

  mutable std::mutex state_mutex_;  // leaf lock: guards everything below
  PnpState pnp_state_ = PnpState::Added;
  DEVICE_POWER_STATE power_state_ = PowerDeviceD0;
  std::vector<Subdevice> subdevices_;
  std::vector<PhysicalConnection> connections_;
  PADAPTERPOWERMANAGEMENT power_management_ = nullptr;  // AddRef'd
  std::map<std::string, std::string> friendly_names_;
};

// UTF-16 (a driver's PWSTR / UNICODE_STRING) to UTF-8 and back; invalid sequences become U+FFFD.
using ::wavert::host::utf16_to_utf8;
using ::wavert::host::utf8_to_utf16;

}  // namespace wavert::portcls
