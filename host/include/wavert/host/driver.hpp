// Loading a driver the way Windows does, and taking it down again.
//
// LoadedDriver::load:
//   1. the I/O manager creates the DRIVER_OBJECT and the registry path (io_objects.hpp);
//   2. DriverEntry(DriverObject, RegistryPath) -- the driver calls PcInitializeAdapterDriver,
//      which installs PortCls's dispatch routines and records AddDevice;
//   3. PnP: a PDO is created for the device, DriverExtension->AddDevice(DriverObject, Pdo) runs
//      (PcAddAdapterDevice creates and attaches the FDO);
//   4. IRP_MN_START_DEVICE with the configured resources goes to the FDO's IRP_MJ_PNP dispatch
//      (PcDispatchIrp -> the adapter's StartDevice with an IResourceList).
// unload() (and the destructor): every KS handle still open is a Rule::HostContract report and is
// closed; IRP_MN_STOP_DEVICE, IRP_MN_REMOVE_DEVICE (PortCls unregisters subdevices and
// connections, detaches and deletes the FDO), the PDO is deleted, DriverUnload runs, the driver
// object is freed. The verifier's leak checks then see whatever the driver left behind (at
// KernelSession shutdown, or verify_nothing_left()).
//
// Needs a running KernelSession; load/unload run at PASSIVE_LEVEL on a logical thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wavert/nt/io.h"

namespace wavert::host {

struct DriverConfig {
  // Services\<service_name> is the driver's registry key; \Driver\<service_name> its object name.
  std::string service_name = "wavert";
  // FriendlyName of each subdevice's device interfaces, by reference string ("Wave" -> "Speakers").
  std::map<std::string, std::string> friendly_names;
  // DispatchSettings\UsePositionLock in the device's registry key (waveRT-contract.md §1.4): position
  // and packet calls take a per-stream lock instead of the device lock.
  bool use_position_lock = false;
  // Number of CmResourceTypeMemory / Interrupt entries in the start resource list (the virtual
  // device needs none; tests use them to check that the adapter sees what PnP assigned).
  unsigned memory_resources = 0;
  unsigned interrupt_resources = 0;
};

// The steps of load/unload, in the order they happened (tests check Windows' order).
enum class PnpStep {
  DriverEntry,
  AddDevice,
  StartDevice,
  StopDevice,
  RemoveDevice,
  DriverUnload,
};
const char* pnp_step_name(PnpStep step);

class LoadedDriver {
 public:
  // Runs steps 1-4. On failure, undoes what was done (a failed AddDevice or StartDevice removes
  // the device; a failed DriverEntry deletes the driver object without calling DriverUnload, as
  // Windows does) and returns the status of the failing step.
  [[nodiscard]] static NTSTATUS load(PDRIVER_INITIALIZE driver_entry, const DriverConfig& config,
                                     std::unique_ptr<LoadedDriver>* out);
  // The same for a shared object: dlopen(path) and dlsym("DriverEntry"). STATUS_OBJECT_NAME_NOT_FOUND
  // when the file or symbol is missing. The library stays loaded until the LoadedDriver dies.
  [[nodiscard]] static NTSTATUS load_module(const std::string& path, const DriverConfig& config,
                                            std::unique_ptr<LoadedDriver>* out);

  ~LoadedDriver();  // unload() if still loaded
  LoadedDriver(const LoadedDriver&) = delete;
  LoadedDriver& operator=(const LoadedDriver&) = delete;

  // Stop, remove, DriverUnload, free. Idempotent.
  void unload();

  // Device power: IRP_MN_SET_POWER with the state goes to the FDO (PortCls calls the adapter's
  // IAdapterPowerManagement::PowerChangeState and every port's IPowerNotify). D0..D3.
  [[nodiscard]] NTSTATUS set_device_power_state(int d_state);

  PDRIVER_OBJECT driver_object() const { return driver_; }
  PDEVICE_OBJECT pdo() const { return pdo_; }
  PDEVICE_OBJECT fdo() const { return fdo_; }
  const std::vector<PnpStep>& steps() const { return steps_; }
  const DriverConfig& config() const { return config_; }

 private:
  LoadedDriver() = default;
  [[nodiscard]] NTSTATUS load_impl(PDRIVER_INITIALIZE driver_entry);

  DriverConfig config_;
  void* module_ = nullptr;  // dlopen handle, or null
  PDRIVER_OBJECT driver_ = nullptr;
  PDRIVER_OBJECT bus_ = nullptr;  // the host's root bus driver, owner of the PDO
  PDEVICE_OBJECT pdo_ = nullptr;
  PDEVICE_OBJECT fdo_ = nullptr;
  bool started_ = false;
  std::vector<PnpStep> steps_;
};

}  // namespace wavert::host
