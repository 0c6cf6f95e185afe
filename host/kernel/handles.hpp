// Internal: the kernel handle table. A HANDLE names a host object until ZwClose; every kind of
// handle-based object (registry keys today) derives from HandleObject.
#pragma once

#include <memory>
#include <string>

#include "wavert/nt/io.h"
#include "wavert/nt/types.h"

namespace wavert::host::detail {

struct HandleObject {
  virtual ~HandleObject() = default;
  virtual const char* kind() const = 0;    // for leak reports: "registry key"
  virtual std::string describe() const = 0;  // for leak reports: the key's path
};

// Kernel handles have the top bit set on Windows (OBJ_KERNEL_HANDLE); the host's do too, so a
// stray small integer is never mistaken for one.
HANDLE handle_insert(std::shared_ptr<HandleObject> object);
std::shared_ptr<HandleObject> handle_lookup(HANDLE handle);
bool handle_close(HANDLE handle);
std::size_t handle_count();
// Reports every handle still open (Rule::ObjectLeak) and closes them.
void handles_shutdown();

// I/O objects, for the registry: a live device's identity and a driver's service name.
bool driver_service_name(PDRIVER_OBJECT driver, std::u16string& service);
bool device_identity(PDEVICE_OBJECT device, std::u16string& instance_path, std::u16string& driver_key_name);
void io_objects_boot();
void io_objects_shutdown();

} // namespace wavert::host::detail
