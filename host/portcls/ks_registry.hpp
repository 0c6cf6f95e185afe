// The host's device interface registry and KS handle table (implemented in ks_boundary.cpp).
//
// Device interfaces are what IoRegisterDeviceInterface + IoSetDeviceInterfaceState would publish:
// one per (subdevice, category), found by applications through ks::enumerate_interfaces and
// opened through ks::open_filter. Guarded by a leaf mutex (locks.hpp, order 3).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <portcls.h>

namespace wavert::portcls {

class AdapterDevice;

struct InterfaceRecord {
  std::string symbolic_link;   // \\?\ROOT#MEDIA#0000#{category}\refstring
  GUID category{};
  std::string subdevice_name;  // UTF-8 reference string as registered
  std::string friendly_name;
  AdapterDevice* device = nullptr;
  PUNKNOWN port = nullptr;     // not referenced here: the AdapterDevice's Subdevice holds it
};

// Publishes an interface. The caller (AdapterDevice) keeps the port referenced while it is listed.
void add_interface(InterfaceRecord record);
// Withdraws every interface of `port` (unregister / remove).
void remove_interfaces_of(PUNKNOWN port);

// Closes every open handle whose object belongs to `device` (filters and pins); returns how many.
// Used when a device is removed with handles still open.
std::size_t close_handles_of(AdapterDevice* device);

// "\\?\" + instance path with '\' -> '#' + "#{category}\" + lower-case reference string.
std::string make_symbolic_link(const std::string& instance_path, const GUID& category, const std::string& reference);
std::string guid_to_string(const GUID& guid);  // lower case, with braces

}  // namespace wavert::portcls
