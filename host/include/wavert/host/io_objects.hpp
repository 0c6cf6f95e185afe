// Host side of the I/O manager's objects: what Windows does before a driver's DriverEntry runs
// (create its DRIVER_OBJECT and registry path), and the identity a device has in the registry.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "wavert/nt/io.h"

namespace wavert::host {

// A DRIVER_OBJECT as the I/O manager hands it to DriverEntry: Type IO_TYPE_DRIVER, DriverName
// \Driver\<service>, DriverExtension->ServiceKeyName <service>, HardwareDatabase, every
// MajorFunction set to WavertInvalidDeviceRequest. The service key
// \Registry\Machine\System\CurrentControlSet\Services\<service> is created. Needs a session.
PDRIVER_OBJECT create_driver_object(std::string_view service_name);
// Frees the object and its driver object extensions. Devices the driver did not delete are a
// Rule::ObjectLeak report, then deleted.
void delete_driver_object(PDRIVER_OBJECT driver);
// The RegistryPath argument for DriverEntry; lives as long as the driver object.
PUNICODE_STRING driver_registry_path(PDRIVER_OBJECT driver);

// The device's registry identity for IoOpenDeviceRegistryKey (docs/registry.md). IoCreateDevice
// gives each device ROOT\MEDIA\<nnnn> and {4d36e96c-e325-11ce-bfc1-08002be10318}\<nnnn>, with
// nnnn counting devices from 0000 per session; the PnP code may set others before AddDevice.
void set_device_registry_identity(PDEVICE_OBJECT device, std::string_view instance_path,
                                  std::string_view driver_key_name);
std::string device_instance_path(PDEVICE_OBJECT device);
std::string device_driver_key_name(PDEVICE_OBJECT device);

bool is_live_device(PDEVICE_OBJECT device);
std::size_t live_device_count();
// Kernel handles (registry keys) currently open.
std::size_t open_handle_count();

} // namespace wavert::host
