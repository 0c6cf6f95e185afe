// Internal: property requests through the KS boundary (ks::device_io_control), the way a Windows
// client builds them for DeviceIoControl(IOCTL_KS_PROPERTY).
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <ks.h>
#include <ksmedia.h>

#include "wavert/client/status.hpp"
#include "wavert/host/ks.hpp"

namespace wavert::client::detail {

namespace ks = wavert::host::ks;

inline KSPROPERTY make_property(const GUID& set, ULONG id, ULONG verb) {
  KSPROPERTY p{};
  p.Set = set;
  p.Id = id;
  p.Flags = verb;
  return p;
}

// One IOCTL_KS_PROPERTY with `request` as the input buffer and `value` as the output buffer.
inline ks::IoResult property(ks::Handle handle, const void* request, std::size_t request_bytes, void* value,
                             std::size_t value_bytes) {
  return ks::device_io_control(handle, IOCTL_KS_PROPERTY,
                               std::span<const std::byte>(static_cast<const std::byte*>(request), request_bytes),
                               std::span<std::byte>(static_cast<std::byte*>(value), value_bytes));
}

// A GET of a fixed-size value: anything but success with exactly sizeof(T) bytes is a failure.
template <class Request, class T>
NTSTATUS get_fixed(ks::Handle handle, const Request& request, T* value) {
  ks::IoResult r = property(handle, &request, sizeof request, value, sizeof *value);
  if (NT_SUCCESS(r.status) && r.bytes_returned != sizeof *value) return STATUS_INVALID_BUFFER_SIZE;
  return r.status;
}

// A GET of a variable-size value: a size query (empty output), then the real request.
template <class Request>
NTSTATUS get_variable(ks::Handle handle, const Request& request, std::vector<std::byte>* value) {
  ks::IoResult size = property(handle, &request, sizeof request, nullptr, 0);
  if (size.status != STATUS_BUFFER_OVERFLOW && size.status != STATUS_BUFFER_TOO_SMALL) {
    return NT_SUCCESS(size.status) ? STATUS_INVALID_BUFFER_SIZE : size.status;
  }
  value->assign(size.bytes_returned, std::byte{0});
  ks::IoResult r = property(handle, &request, sizeof request, value->data(), value->size());
  if (!NT_SUCCESS(r.status)) return r.status;
  value->resize(r.bytes_returned);
  return STATUS_SUCCESS;
}

inline Status failed(const std::string& what, NTSTATUS code) {
  return Status::failure(code, what + " (NTSTATUS " + status_hex(code) + ")");
}

// The driver or port does not offer this request at all (as opposed to failing it).
inline bool is_not_offered(NTSTATUS code) {
  return code == STATUS_NOT_SUPPORTED || code == STATUS_NOT_IMPLEMENTED || code == STATUS_NOT_FOUND ||
         code == STATUS_PROPSET_NOT_FOUND;
}

}  // namespace wavert::client::detail
