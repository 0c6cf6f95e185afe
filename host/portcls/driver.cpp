// LoadedDriver: DriverEntry and the PnP sequence Windows runs for a root-enumerated device.
#include "wavert/host/driver.hpp"

#include <dlfcn.h>

#include <cstring>

#include "adapter.hpp"
#include "ks_registry.hpp"
#include "wavert/host/io_objects.hpp"
#include "wavert/host/kernel.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::host {

using wavert::portcls::AdapterDevice;

const char* pnp_step_name(PnpStep step) {
  switch (step) {
    case PnpStep::DriverEntry: return "DriverEntry";
    case PnpStep::AddDevice: return "AddDevice";
    case PnpStep::StartDevice: return "StartDevice";
    case PnpStep::StopDevice: return "StopDevice";
    case PnpStep::RemoveDevice: return "RemoveDevice";
    case PnpStep::DriverUnload: return "DriverUnload";
  }
  return "?";
}

namespace {

// A CM_RESOURCE_LIST image (Windows x64, pack(4); see pc_api.cpp) with one full descriptor.
std::vector<std::uint64_t> build_resources(const DriverConfig& config) {
  constexpr std::size_t kHeader = 20, kPartial = 20;
  const std::size_t count = config.memory_resources + config.interrupt_resources;
  std::vector<std::uint64_t> storage((kHeader + count * kPartial + 7) / 8, 0);
  auto* bytes = reinterpret_cast<std::byte*>(storage.data());
  auto put = [&](std::size_t at, const void* v, std::size_t n) { std::memcpy(bytes + at, v, n); };
  const ULONG one = 1, partials = static_cast<ULONG>(count);
  const LONG pnp_bus = 15;
  const USHORT version = 1;
  put(0, &one, 4);
  put(4, &pnp_bus, 4);
  put(12, &version, 2);
  put(14, &version, 2);
  put(16, &partials, 4);
  std::size_t at = kHeader;
  for (unsigned i = 0; i < config.memory_resources; ++i, at += kPartial) {
    const UCHAR type = CmResourceTypeMemory, share = 1;  // CmResourceShareDeviceExclusive
    const ULONGLONG start = 0xF0000000ull + i * 0x4000ull;  // a 16 KiB register window per entry
    const ULONG length = 0x4000;
    put(at, &type, 1);
    put(at + 1, &share, 1);
    put(at + 4, &start, 8);
    put(at + 12, &length, 4);
  }
  for (unsigned i = 0; i < config.interrupt_resources; ++i, at += kPartial) {
    const UCHAR type = CmResourceTypeInterrupt, share = 1;
    const USHORT level = static_cast<USHORT>(5 + i);
    const ULONG vector = 0x50 + i;
    const ULONGLONG affinity = 1;
    put(at, &type, 1);
    put(at + 1, &share, 1);
    put(at + 4, &level, 2);
    put(at + 8, &vector, 4);
    put(at + 12, &affinity, 8);
  }
  return storage;
}

NTSTATUS send_irp(PDEVICE_OBJECT device, IRP& irp) {
  PDRIVER_DISPATCH dispatch = device->DriverObject->MajorFunction[irp.MajorFunction];
  return dispatch(device, &irp);
}

}  // namespace

NTSTATUS LoadedDriver::load(PDRIVER_INITIALIZE driver_entry, const DriverConfig& config,
                            std::unique_ptr<LoadedDriver>* out) {
  if (out == nullptr || driver_entry == nullptr) return STATUS_INVALID_PARAMETER;
  out->reset();
  std::unique_ptr<LoadedDriver> driver(new LoadedDriver());
  driver->config_ = config;
  NTSTATUS status = driver->load_impl(driver_entry);
  if (!NT_SUCCESS(status)) return status;
  *out = std::move(driver);
  return STATUS_SUCCESS;
}

NTSTATUS LoadedDriver::load_module(const std::string& path, const DriverConfig& config,
                                   std::unique_ptr<LoadedDriver>* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  out->reset();
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
  auto entry = reinterpret_cast<PDRIVER_INITIALIZE>(dlsym(module, "DriverEntry"));
  if (entry == nullptr) {
    dlclose(module);
    return STATUS_OBJECT_NAME_NOT_FOUND;
  }
  std::unique_ptr<LoadedDriver> driver(new LoadedDriver());
  driver->config_ = config;
  driver->module_ = module;
  NTSTATUS status = driver->load_impl(entry);
  if (!NT_SUCCESS(status)) return status;  // the destructor closes the module
  *out = std::move(driver);
  return STATUS_SUCCESS;
}

NTSTATUS LoadedDriver::load_impl(PDRIVER_INITIALIZE driver_entry) {
  if (!kernel_running()) {
    verifier_report(Rule::HostContract, WAVERT_HERE, "LoadedDriver::load needs a running KernelSession");
    return STATUS_INVALID_DEVICE_STATE;
  }
  // 1-2. The driver object, then DriverEntry. A failed DriverEntry is not followed by DriverUnload.
  driver_ = create_driver_object(config_.service_name);
  driver_->DriverInit = driver_entry;
  steps_.push_back(PnpStep::DriverEntry);
  NTSTATUS status = driver_entry(driver_, driver_registry_path(driver_));
  if (!NT_SUCCESS(status)) {
    delete_driver_object(driver_);
    driver_ = nullptr;
    return status;
  }
  if (driver_->DriverExtension->AddDevice == nullptr) {
    verifier_report(Rule::HostContract, WAVERT_HERE,
                    "DriverEntry succeeded but set no AddDevice: not a PnP driver (PcInitializeAdapterDriver not called?)");
    unload();
    return STATUS_INVALID_DEVICE_REQUEST;
  }

  // 3. PnP enumerates the device: a PDO owned by the (host) root bus driver, then AddDevice.
  bus_ = create_driver_object(config_.service_name + "_root_bus");
  status = IoCreateDevice(bus_, 0, nullptr, FILE_DEVICE_BUS_EXTENDER, FILE_AUTOGENERATED_DEVICE_NAME, FALSE, &pdo_);
  if (!NT_SUCCESS(status)) {
    unload();
    return status;
  }
  pdo_->Flags &= ~DO_DEVICE_INITIALIZING;
  if (config_.use_position_lock) {
    registry::set_binary("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\" + device_driver_key_name(pdo_) +
                             "\\DispatchSettings",
                         "UsePositionLock", {1, 0, 0, 0});
  }
  steps_.push_back(PnpStep::AddDevice);
  status = driver_->DriverExtension->AddDevice(driver_, pdo_);
  if (!NT_SUCCESS(status) || pdo_->AttachedDevice == nullptr) {
    fdo_ = pdo_->AttachedDevice;  // a half-built stack still gets its REMOVE
    if (NT_SUCCESS(status)) {
      verifier_report(Rule::HostContract, WAVERT_HERE, "AddDevice succeeded without attaching a device to the PDO");
      status = STATUS_INVALID_DEVICE_REQUEST;
    }
    unload();
    return status;
  }
  fdo_ = pdo_->AttachedDevice;
  if (AdapterDevice* adapter = AdapterDevice::from_device(fdo_)) adapter->set_friendly_names(config_.friendly_names);

  // 4. IRP_MN_START_DEVICE with the assigned resources.
  std::vector<std::uint64_t> resources = build_resources(config_);
  IRP start{};
  start.MajorFunction = IRP_MJ_PNP;
  start.MinorFunction = IRP_MN_START_DEVICE;
  start.AllocatedResources = reinterpret_cast<struct _CM_RESOURCE_LIST*>(resources.data());
  start.AllocatedResourcesTranslated = start.AllocatedResources;
  steps_.push_back(PnpStep::StartDevice);
  status = send_irp(fdo_, start);
  if (!NT_SUCCESS(status)) {
    unload();
    return status;
  }
  started_ = true;
  return STATUS_SUCCESS;
}

NTSTATUS LoadedDriver::set_device_power_state(int d_state) {
  if (fdo_ == nullptr || d_state < 0 || d_state > 3) return STATUS_INVALID_PARAMETER;
  IRP irp{};
  irp.MajorFunction = IRP_MJ_POWER;
  irp.MinorFunction = IRP_MN_SET_POWER;
  irp.DevicePowerState = static_cast<DEVICE_POWER_STATE>(PowerDeviceD0 + d_state);
  return send_irp(fdo_, irp);
}

void LoadedDriver::unload() {
  if (driver_ == nullptr) return;
  if (fdo_ != nullptr) {
    if (AdapterDevice* adapter = AdapterDevice::from_device(fdo_)) {
      const std::size_t closed = wavert::portcls::close_handles_of(adapter);
      if (closed != 0) {
        verifier_report(Rule::HostContract, WAVERT_HERE,
                        "unloading with %zu KS handle(s) still open; the application must close them first (they "
                        "were closed now)",
                        closed);
      }
    }
    if (started_) {
      IRP stop{};
      stop.MajorFunction = IRP_MJ_PNP;
      stop.MinorFunction = IRP_MN_STOP_DEVICE;
      steps_.push_back(PnpStep::StopDevice);
      (void)send_irp(fdo_, stop);
      started_ = false;
    }
    IRP remove{};
    remove.MajorFunction = IRP_MJ_PNP;
    remove.MinorFunction = IRP_MN_REMOVE_DEVICE;
    steps_.push_back(PnpStep::RemoveDevice);
    (void)send_irp(fdo_, remove);
    fdo_ = nullptr;
  }
  if (pdo_ != nullptr) {
    IoDeleteDevice(pdo_);
    pdo_ = nullptr;
  }
  if (bus_ != nullptr) {
    delete_driver_object(bus_);
    bus_ = nullptr;
  }
  // DriverUnload runs only for a driver whose DriverEntry succeeded (every path here).
  if (driver_->DriverUnload != nullptr) {
    steps_.push_back(PnpStep::DriverUnload);
    driver_->DriverUnload(driver_);
  }
  delete_driver_object(driver_);
  driver_ = nullptr;
}

LoadedDriver::~LoadedDriver() {
  unload();
  if (module_ != nullptr) dlclose(module_);
}

}  // namespace wavert::host
