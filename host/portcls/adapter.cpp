// AdapterDevice: PortCls's per-FDO state, its PnP and power dispatch, and the subdevice and
// physical-connection registrations adapters make.
#include "adapter.hpp"

#include <algorithm>
#include <map>

#include "ks_registry.hpp"
#include "port.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

namespace {

std::mutex g_devices_mutex;  // leaf lock
// Every PortCls FDO of the session, so from_device never trusts a pointer read from a device
// extension the driver could have scribbled on.
std::map<PDEVICE_OBJECT, std::unique_ptr<AdapterDevice>> g_devices;  // guarded by g_devices_mutex

}  // namespace

// ---- Registry of PortCls devices --------------------------------------------------------------------

AdapterDevice* AdapterDevice::from_device(PDEVICE_OBJECT device) {
  std::lock_guard<std::mutex> guard(g_devices_mutex);
  auto it = g_devices.find(device);
  return it == g_devices.end() ? nullptr : it->second.get();
}

// Called by PcAddAdapterDevice (pc_api.cpp).
AdapterDevice* register_adapter_device(std::unique_ptr<AdapterDevice> device) {
  std::lock_guard<std::mutex> guard(g_devices_mutex);
  AdapterDevice* raw = device.get();
  g_devices[raw->fdo()] = std::move(device);
  return raw;
}

// Forgets and destroys the record for `fdo` (after IRP_MN_REMOVE_DEVICE). Destruction runs
// outside the registry lock.
static void forget_adapter_device(PDEVICE_OBJECT fdo) {
  std::unique_ptr<AdapterDevice> doomed;
  {
    std::lock_guard<std::mutex> guard(g_devices_mutex);
    auto it = g_devices.find(fdo);
    if (it == g_devices.end()) return;
    doomed = std::move(it->second);
    g_devices.erase(it);
  }
}

AdapterDevice::AdapterDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT fdo, PDEVICE_OBJECT pdo, PDEVICE_OBJECT lower,
                             PCPFNSTARTDEVICE start_device, ULONG max_objects)
    : driver_(driver), fdo_(fdo), pdo_(pdo), lower_(lower), start_device_(start_device), max_objects_(max_objects) {}

AdapterDevice::~AdapterDevice() { remove_all(); }

PnpState AdapterDevice::pnp_state() const {
  std::lock_guard<std::mutex> guard(state_mutex_);
  return pnp_state_;
}

DEVICE_POWER_STATE AdapterDevice::power_state() const {
  std::lock_guard<std::mutex> guard(state_mutex_);
  return power_state_;
}

void AdapterDevice::set_friendly_names(std::map<std::string, std::string> names) {
  std::lock_guard<std::mutex> guard(state_mutex_);
  friendly_names_ = std::move(names);
}

std::vector<Subdevice> AdapterDevice::subdevices() const {
  std::lock_guard<std::mutex> guard(state_mutex_);
  return subdevices_;
}

// ---- PnP ------------------------------------------------------------------------------------------------

NTSTATUS AdapterDevice::dispatch_pnp(PIRP irp) {
  switch (irp->MinorFunction) {
    case IRP_MN_START_DEVICE: {
      {
        std::lock_guard<std::mutex> guard(state_mutex_);
        if (pnp_state_ != PnpState::Added && pnp_state_ != PnpState::Stopped) return STATUS_INVALID_DEVICE_STATE;
      }
      // PortCls wraps the assigned resources in an IResourceList for the adapter's StartDevice;
      // the ports the adapter creates keep their own references.
      PRESOURCELIST resources = nullptr;
      NTSTATUS status = PcNewResourceList(&resources, nullptr, NonPagedPoolNx, irp->AllocatedResourcesTranslated,
                                          irp->AllocatedResources);
      if (!NT_SUCCESS(status)) return status;
      status = start_device_(fdo_, irp, resources);
      resources->Release();
      if (!NT_SUCCESS(status)) return status;
      std::lock_guard<std::mutex> guard(state_mutex_);
      pnp_state_ = PnpState::Started;
      power_state_ = PowerDeviceD0;
      return STATUS_SUCCESS;
    }
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
      return STATUS_SUCCESS;
    case IRP_MN_STOP_DEVICE: {
      std::lock_guard<std::mutex> guard(state_mutex_);
      if (pnp_state_ != PnpState::Started) return STATUS_INVALID_DEVICE_STATE;
      pnp_state_ = PnpState::Stopped;
      return STATUS_SUCCESS;
    }
    case IRP_MN_SURPRISE_REMOVAL: {
      std::lock_guard<std::mutex> guard(state_mutex_);
      pnp_state_ = PnpState::Stopped;
      return STATUS_SUCCESS;
    }
    case IRP_MN_REMOVE_DEVICE: {
      // Everything the adapter registered goes, then the FDO itself (as PortCls does on remove).
      const std::size_t closed = close_handles_of(this);
      if (closed != 0) {
        verifier_report(Rule::HostContract, WAVERT_HERE,
                        "IRP_MN_REMOVE_DEVICE with %zu KS handle(s) still open; Windows would not remove a device "
                        "with open handles. They were closed first.",
                        closed);
      }
      remove_all();
      {
        std::lock_guard<std::mutex> guard(state_mutex_);
        pnp_state_ = PnpState::Removed;
      }
      PDEVICE_OBJECT fdo = fdo_;
      if (lower_ != nullptr) IoDetachDevice(lower_);
      IoDeleteDevice(fdo);
      forget_adapter_device(fdo);  // destroys *this: nothing may touch members after it
      return STATUS_SUCCESS;
    }
    default:
      return STATUS_NOT_SUPPORTED;
  }
}

NTSTATUS AdapterDevice::dispatch_power(PIRP irp) {
  if (irp->MinorFunction != IRP_MN_SET_POWER && irp->MinorFunction != IRP_MN_QUERY_POWER) return STATUS_NOT_SUPPORTED;
  const DEVICE_POWER_STATE target = irp->DevicePowerState;
  if (target < PowerDeviceD0 || target > PowerDeviceD3) return STATUS_INVALID_PARAMETER;
  KernelMutexGuard device_guard(lock_);
  PADAPTERPOWERMANAGEMENT pm;
  std::vector<Subdevice> subs;
  DEVICE_POWER_STATE current;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    pm = power_management_;
    subs = subdevices_;
    current = power_state_;
  }
  POWER_STATE state;
  state.DeviceState = target;
  if (irp->MinorFunction == IRP_MN_QUERY_POWER) return pm != nullptr ? pm->QueryPowerChangeState(state) : STATUS_SUCCESS;
  if (target == current) return STATUS_SUCCESS;
  // Powering up: the adapter (the hardware) first, then the miniports; powering down: miniports
  // quiesce first, then the adapter.
  auto notify_ports = [&] {
    for (const Subdevice& s : subs) s.common->power_changed(target);
  };
  const bool up = target < current;
  if (!up) notify_ports();
  if (pm != nullptr) pm->PowerChangeState(state);
  if (up) notify_ports();
  std::lock_guard<std::mutex> guard(state_mutex_);
  power_state_ = target;
  return STATUS_SUCCESS;
}

// ---- Subdevices -------------------------------------------------------------------------------------------

namespace {

std::vector<GUID> categories_for(const PortCommon& common) {
  std::vector<GUID> categories;
  const FilterDescription& d = common.description();
  if (!d.categories().empty()) {
    categories.assign(d.categories().begin(), d.categories().end());
    return categories;
  }
  // No categories in the descriptor: what the port type implies (waveRT-contract.md §1.1).
  categories.push_back(KSCATEGORY_AUDIO);
  if (common.hooks().kind() == PortKind::Topology) {
    categories.push_back(KSCATEGORY_TOPOLOGY);
    return categories;
  }
  bool render = false, capture = false;
  for (ULONG i = 0; i < d.pin_count(); ++i) {
    const KSPIN_DESCRIPTOR& ks = d.pin(i)->ks();
    if (ks.Communication != KSPIN_COMMUNICATION_SINK && ks.Communication != KSPIN_COMMUNICATION_BOTH) continue;
    (ks.DataFlow == KSPIN_DATAFLOW_IN ? render : capture) = true;
  }
  if (render) categories.push_back(KSCATEGORY_RENDER);
  if (capture) categories.push_back(KSCATEGORY_CAPTURE);
  categories.push_back(KSCATEGORY_REALTIME);
  return categories;
}

}  // namespace

NTSTATUS AdapterDevice::register_subdevice(std::u16string name, PUNKNOWN port) {
  PortCommon* common = port_common_from(port);
  if (common == nullptr || !common->initialized()) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "PcRegisterSubdevice: the unknown is not a port, or its IPort::Init has not succeeded");
    return STATUS_INVALID_PARAMETER;
  }
  if (&common->device() != this) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "PcRegisterSubdevice: the port was initialized on a different device object");
    return STATUS_INVALID_PARAMETER;
  }
  if (name.empty()) return STATUS_INVALID_PARAMETER;
  const std::string name_utf8 = utf16_to_utf8(name);
  std::string lower_name = name_utf8;
  std::transform(lower_name.begin(), lower_name.end(), lower_name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Subdevice sub;
  sub.name = name;
  sub.port = port;
  sub.common = common;
  std::string friendly;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    if (subdevices_.size() >= max_objects_) return STATUS_INSUFFICIENT_RESOURCES;
    for (const Subdevice& s : subdevices_) {
      std::string other = utf16_to_utf8(s.name);
      std::transform(other.begin(), other.end(), other.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (other == lower_name) return STATUS_OBJECT_NAME_COLLISION;
      if (s.port == port) return STATUS_OBJECT_NAME_COLLISION;
    }
    auto it = friendly_names_.find(name_utf8);
    friendly = it != friendly_names_.end() ? it->second : name_utf8;
  }
  const std::string instance = wavert::host::device_instance_path(pdo_);
  for (const GUID& category : categories_for(*common)) {
    InterfaceRecord record;
    record.symbolic_link = make_symbolic_link(instance, category, name_utf8);
    record.category = category;
    record.subdevice_name = name_utf8;
    record.friendly_name = friendly;
    record.device = this;
    record.port = port;
    sub.symbolic_links.push_back(record.symbolic_link);
    add_interface(std::move(record));
  }
  port->AddRef();
  std::lock_guard<std::mutex> guard(state_mutex_);
  subdevices_.push_back(std::move(sub));
  return STATUS_SUCCESS;
}

NTSTATUS AdapterDevice::unregister_subdevice(PUNKNOWN port) {
  PUNKNOWN released = nullptr;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    auto it = std::find_if(subdevices_.begin(), subdevices_.end(), [&](const Subdevice& s) { return s.port == port; });
    if (it == subdevices_.end()) return STATUS_NOT_FOUND;
    released = it->port;
    subdevices_.erase(it);
  }
  remove_interfaces_of(released);
  released->Release();
  return STATUS_SUCCESS;
}

static bool same_endpoint(PUNKNOWN a_port, const std::u16string& a_name, ULONG a_pin, PUNKNOWN b_port,
                          const std::u16string& b_name, ULONG b_pin) {
  return a_port == b_port && a_name == b_name && a_pin == b_pin;
}

NTSTATUS AdapterDevice::register_connection(PhysicalConnection c) {
  auto check_port = [&](PUNKNOWN port, ULONG pin) {
    if (port == nullptr) return true;
    PortCommon* common = port_common_from(port);
    if (common == nullptr || !common->initialized() || common->description().pin(pin) == nullptr) {
      verifier_report(Rule::PortContract, WAVERT_HERE,
                      "PcRegisterPhysicalConnection: an endpoint is not an initialized port or names pin %lu it does "
                      "not have",
                      static_cast<unsigned long>(pin));
      return false;
    }
    return true;
  };
  if ((c.from_port == nullptr && c.from_external.empty()) || (c.to_port == nullptr && c.to_external.empty())) {
    return STATUS_INVALID_PARAMETER;
  }
  if (!check_port(c.from_port, c.from_pin) || !check_port(c.to_port, c.to_pin)) return STATUS_INVALID_PARAMETER;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    for (const PhysicalConnection& k : connections_) {
      if (same_endpoint(k.from_port, k.from_external, k.from_pin, c.from_port, c.from_external, c.from_pin) &&
          same_endpoint(k.to_port, k.to_external, k.to_pin, c.to_port, c.to_external, c.to_pin)) {
        return STATUS_OBJECT_NAME_COLLISION;
      }
    }
    if (c.from_port) c.from_port->AddRef();
    if (c.to_port) c.to_port->AddRef();
    connections_.push_back(std::move(c));
  }
  return STATUS_SUCCESS;
}

NTSTATUS AdapterDevice::unregister_connection(const PhysicalConnection& c) {
  PhysicalConnection removed;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    auto it = std::find_if(connections_.begin(), connections_.end(), [&](const PhysicalConnection& k) {
      return same_endpoint(k.from_port, k.from_external, k.from_pin, c.from_port, c.from_external, c.from_pin) &&
             same_endpoint(k.to_port, k.to_external, k.to_pin, c.to_port, c.to_external, c.to_pin);
    });
    if (it == connections_.end()) return STATUS_NOT_FOUND;
    removed = std::move(*it);
    connections_.erase(it);
  }
  if (removed.from_port) removed.from_port->Release();
  if (removed.to_port) removed.to_port->Release();
  return STATUS_SUCCESS;
}

std::vector<PhysicalConnection> AdapterDevice::connections_of(PUNKNOWN port, ULONG pin) const {
  std::vector<PhysicalConnection> result;
  std::lock_guard<std::mutex> guard(state_mutex_);
  for (const PhysicalConnection& k : connections_) {
    if ((k.from_port == port && k.from_pin == pin) || (k.to_port == port && k.to_pin == pin)) result.push_back(k);
  }
  return result;
}

std::string AdapterDevice::symbolic_link_of(PUNKNOWN port, const GUID& category) const {
  std::lock_guard<std::mutex> guard(state_mutex_);
  for (const Subdevice& s : subdevices_) {
    if (s.port != port) continue;
    for (const std::string& link : s.symbolic_links) {
      if (link.find(guid_to_string(category)) != std::string::npos) return link;
    }
    return s.symbolic_links.empty() ? std::string() : s.symbolic_links.front();
  }
  return {};
}

// ---- Power management registration ----------------------------------------------------------------------

NTSTATUS AdapterDevice::set_power_management(PADAPTERPOWERMANAGEMENT pm) {
  std::lock_guard<std::mutex> guard(state_mutex_);
  if (power_management_ != nullptr) return STATUS_INVALID_DEVICE_REQUEST;
  power_management_ = pm;  // the caller's QueryInterface reference
  return STATUS_SUCCESS;
}

NTSTATUS AdapterDevice::clear_power_management() {
  PADAPTERPOWERMANAGEMENT pm;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    pm = power_management_;
    power_management_ = nullptr;
  }
  if (pm == nullptr) return STATUS_INVALID_DEVICE_REQUEST;
  pm->Release();
  return STATUS_SUCCESS;
}

void AdapterDevice::remove_all() {
  std::vector<Subdevice> subs;
  std::vector<PhysicalConnection> connections;
  PADAPTERPOWERMANAGEMENT pm;
  {
    std::lock_guard<std::mutex> guard(state_mutex_);
    subs.swap(subdevices_);
    connections.swap(connections_);
    pm = power_management_;
    power_management_ = nullptr;
  }
  for (PhysicalConnection& k : connections) {
    if (k.from_port) k.from_port->Release();
    if (k.to_port) k.to_port->Release();
  }
  for (Subdevice& s : subs) {
    remove_interfaces_of(s.port);
    s.port->Release();
  }
  if (pm != nullptr) pm->Release();
}

}  // namespace wavert::portcls
