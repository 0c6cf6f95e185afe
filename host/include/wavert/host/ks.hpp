// The KS boundary: how an application (client API, CLI, ALSA plugin, tests) reaches a driver.
//
// Everything crossing here is untrusted. The calls mirror the Windows user-mode path:
//   SetupDiGetClassDevs / device interfaces  -> enumerate_interfaces(category)
//   CreateFile(symbolic link)                -> open_filter(symbolic_link)
//   KsCreatePin(filter, KSPIN_CONNECT+format)-> create_pin(filter, bytes)
//   DeviceIoControl(handle, IOCTL_KS_*, ...) -> device_io_control(handle, code, in, out)
//   CloseHandle                              -> close(handle)
// No byte sequence passed to these may crash the host, corrupt the driver or leak; each failure
// is an NTSTATUS (docs/host-portcls.md lists them). All calls run at PASSIVE_LEVEL on a logical
// thread (the session's thread or a HostThread); they block on the device's lock as Windows
// would block the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wavert/nt/status.h"
#include "wavert/nt/types.h"

namespace wavert::host::ks {

// An open filter or pin. Opaque and generation-checked: a closed handle, or one that names a
// slot reused since, is STATUS_INVALID_HANDLE and never reaches another object.
struct Handle {
  std::uint64_t value = 0;
  explicit operator bool() const { return value != 0; }
  friend bool operator==(Handle, Handle) = default;
};

struct DeviceInterface {
  // \\?\ROOT#MEDIA#0000#{category}\<reference string>, lower-case GUID, as Windows forms it.
  std::string symbolic_link;
  GUID category{};
  // The reference string PcRegisterSubdevice got ("Wave", "Topology"), UTF-8.
  std::string subdevice_name;
  // The interface's FriendlyName: DriverConfig::friendly_names[subdevice] if given, else the
  // subdevice name.
  std::string friendly_name;
};

// Device interfaces registered under `category` (KSCATEGORY_AUDIO, _RENDER, _CAPTURE, _REALTIME,
// _TOPOLOGY), in registration order. A subdevice has one interface per category it belongs to.
std::vector<DeviceInterface> enumerate_interfaces(const GUID& category);

// Opens a new filter object on the subdevice behind `symbolic_link`.
// STATUS_OBJECT_NAME_NOT_FOUND: no such interface (or its device was removed).
[[nodiscard]] NTSTATUS open_filter(const std::string& symbolic_link, Handle* out);

// KsCreatePin: `connect` is a KSPIN_CONNECT followed by a KSDATAFORMAT (and its specifier part and
// attribute list). STATUS_INVALID_HANDLE for a handle that is not an open filter.
[[nodiscard]] NTSTATUS create_pin(Handle filter, std::span<const std::byte> connect, Handle* out);

struct IoResult {
  NTSTATUS status = STATUS_SUCCESS;
  // IO_STATUS_BLOCK.Information: bytes written to `output`, or for STATUS_BUFFER_OVERFLOW /
  // STATUS_BUFFER_TOO_SMALL the size the request needs.
  ULONG bytes_returned = 0;
};

// DeviceIoControl. IOCTL_KS_PROPERTY is dispatched; IOCTL_KS_METHOD, _ENABLE_EVENT and
// _DISABLE_EVENT are STATUS_NOT_SUPPORTED for now; any other code STATUS_INVALID_DEVICE_REQUEST.
// For a property SET the value travels in `output` (it is read, not written), as in KS.
IoResult device_io_control(Handle handle, ULONG ioctl, std::span<const std::byte> input, std::span<std::byte> output);

// Closes a filter or pin handle. STATUS_INVALID_HANDLE for one that is not open (double close).
// Closing a filter while its pins are open is allowed; the filter lives until they close.
[[nodiscard]] NTSTATUS close(Handle handle);

// Handles currently open (filters and pins), for leak checks in tests.
std::size_t open_handle_count();

}  // namespace wavert::host::ks
