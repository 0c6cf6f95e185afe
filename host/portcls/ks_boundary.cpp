// The KS boundary (wavert/host/ks.hpp): device interfaces, the handle table, and the raw request
// entry point every application request comes through.
#include "wavert/host/ks.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "adapter.hpp"
#include "ks_object.hpp"
#include "ks_registry.hpp"
#include "port.hpp"
#include "wavert/host/verifier.hpp"
#include "wavert/nt/irql.h"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

namespace {

// ---- Device interfaces --------------------------------------------------------------------------------

std::mutex g_interfaces_mutex;             // leaf lock
std::vector<InterfaceRecord> g_interfaces;  // guarded by g_interfaces_mutex, registration order

bool same_link(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// ---- Handles ------------------------------------------------------------------------------------------------
//
// value = generation << 32 | (slot index + 1). A slot's generation moves on every close, so a stale
// handle never names the slot's next object; 0 is never a handle.

struct Slot {
  std::uint32_t generation = 1;
  std::shared_ptr<KsObject> object;
};

std::mutex g_handles_mutex;        // leaf lock
std::vector<Slot> g_slots;         // guarded by g_handles_mutex
std::vector<std::size_t> g_free;   // guarded by g_handles_mutex

wavert::host::ks::Handle insert_handle(std::shared_ptr<KsObject> object) {
  std::lock_guard<std::mutex> guard(g_handles_mutex);
  std::size_t index;
  if (!g_free.empty()) {
    index = g_free.back();
    g_free.pop_back();
  } else {
    index = g_slots.size();
    g_slots.emplace_back();
  }
  g_slots[index].object = std::move(object);
  return wavert::host::ks::Handle{(std::uint64_t{g_slots[index].generation} << 32) | (index + 1)};
}

std::shared_ptr<KsObject> lookup_handle(wavert::host::ks::Handle handle) {
  const std::uint64_t low = handle.value & 0xFFFFFFFFu;
  if (low == 0) return nullptr;
  const std::size_t index = low - 1;
  const auto generation = static_cast<std::uint32_t>(handle.value >> 32);
  std::lock_guard<std::mutex> guard(g_handles_mutex);
  if (index >= g_slots.size() || g_slots[index].generation != generation) return nullptr;
  return g_slots[index].object;
}

// Removes the handle; the object comes back so the caller can drop it outside the table lock
// (a pin's destructor calls into the miniport).
std::shared_ptr<KsObject> take_handle(wavert::host::ks::Handle handle) {
  const std::uint64_t low = handle.value & 0xFFFFFFFFu;
  if (low == 0) return nullptr;
  const std::size_t index = low - 1;
  const auto generation = static_cast<std::uint32_t>(handle.value >> 32);
  std::lock_guard<std::mutex> guard(g_handles_mutex);
  if (index >= g_slots.size() || g_slots[index].generation != generation || !g_slots[index].object) return nullptr;
  std::shared_ptr<KsObject> object = std::move(g_slots[index].object);
  ++g_slots[index].generation;
  if (g_slots[index].generation == 0) g_slots[index].generation = 1;
  g_free.push_back(index);
  return object;
}

AdapterDevice* device_of(const KsObject& object) {
  if (object.kind() == KsObject::Kind::Filter) return &static_cast<const FilterObject&>(object).port().device();
  return &static_cast<const PinObject&>(object).port().device();
}

bool at_passive(const char* routine) {
  if (KeGetCurrentIrql() == PASSIVE_LEVEL) return true;
  verifier_report(Rule::HostContract, WAVERT_HERE, "%s called above PASSIVE_LEVEL", routine);
  return false;
}

}  // namespace

std::string guid_to_string(const GUID& g) {
  char text[40];
  std::snprintf(text, sizeof(text), "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned)g.Data1, g.Data2,
                g.Data3, g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6],
                g.Data4[7]);
  return text;
}

std::string make_symbolic_link(const std::string& instance_path, const GUID& category, const std::string& reference) {
  std::string instance = instance_path;
  std::replace(instance.begin(), instance.end(), '\\', '#');
  std::string ref = reference;
  std::transform(ref.begin(), ref.end(), ref.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "\\\\?\\" + instance + "#" + guid_to_string(category) + "\\" + ref;
}

void add_interface(InterfaceRecord record) {
  std::lock_guard<std::mutex> guard(g_interfaces_mutex);
  g_interfaces.push_back(std::move(record));
}

void remove_interfaces_of(PUNKNOWN port) {
  std::lock_guard<std::mutex> guard(g_interfaces_mutex);
  std::erase_if(g_interfaces, [&](const InterfaceRecord& r) { return r.port == port; });
}

std::size_t close_handles_of(AdapterDevice* device) {
  std::vector<std::shared_ptr<KsObject>> doomed;
  {
    std::lock_guard<std::mutex> guard(g_handles_mutex);
    for (std::size_t i = 0; i < g_slots.size(); ++i) {
      Slot& slot = g_slots[i];
      if (!slot.object || device_of(*slot.object) != device) continue;
      doomed.push_back(std::move(slot.object));
      if (++slot.generation == 0) slot.generation = 1;
      g_free.push_back(i);
    }
  }
  // Pins before filters: a pin's teardown still needs its filter (it holds a reference anyway).
  std::stable_partition(doomed.begin(), doomed.end(),
                        [](const std::shared_ptr<KsObject>& o) { return o->kind() == KsObject::Kind::Pin; });
  for (auto& object : doomed) object->on_close();
  const std::size_t count = doomed.size();
  doomed.clear();
  return count;
}

}  // namespace wavert::portcls

namespace wavert::host::ks {

using namespace wavert::portcls;

std::vector<DeviceInterface> enumerate_interfaces(const GUID& category) {
  std::vector<DeviceInterface> result;
  std::lock_guard<std::mutex> guard(g_interfaces_mutex);
  for (const InterfaceRecord& r : g_interfaces) {
    if (!IsEqualGUID(r.category, category)) continue;
    result.push_back(DeviceInterface{r.symbolic_link, r.category, r.subdevice_name, r.friendly_name});
  }
  return result;
}

NTSTATUS open_filter(const std::string& symbolic_link, Handle* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  *out = Handle{};
  if (!at_passive("ks::open_filter")) return STATUS_INVALID_DEVICE_STATE;
  PUNKNOWN port = nullptr;
  AdapterDevice* device = nullptr;
  {
    std::lock_guard<std::mutex> guard(g_interfaces_mutex);
    for (const InterfaceRecord& r : g_interfaces) {
      if (!same_link(r.symbolic_link, symbolic_link)) continue;
      port = r.port;
      device = r.device;
      port->AddRef();  // keeps the port while the filter is made, even if unregistered meanwhile
      break;
    }
  }
  if (port == nullptr) return STATUS_OBJECT_NAME_NOT_FOUND;
  NTSTATUS status = STATUS_SUCCESS;
  if (device->pnp_state() != PnpState::Started) {
    status = STATUS_DEVICE_NOT_READY;
  } else if (PortCommon* common = port_common_from(port)) {
    *out = insert_handle(FilterObject::create(*common));
  } else {
    status = STATUS_OBJECT_NAME_NOT_FOUND;
  }
  port->Release();
  return status;
}

NTSTATUS create_pin(Handle filter, std::span<const std::byte> connect, Handle* out) {
  if (out == nullptr) return STATUS_INVALID_PARAMETER;
  *out = Handle{};
  if (!at_passive("ks::create_pin")) return STATUS_INVALID_DEVICE_STATE;
  std::shared_ptr<KsObject> object = lookup_handle(filter);
  if (!object || object->kind() != KsObject::Kind::Filter) return STATUS_INVALID_HANDLE;
  // KS reads the create parameters once into system memory; so does the host.
  std::vector<std::byte> copy(connect.begin(), connect.end());
  std::shared_ptr<PinObject> pin;
  NTSTATUS status = static_cast<FilterObject&>(*object).create_pin(copy, &pin);
  if (!NT_SUCCESS(status)) return status;
  *out = insert_handle(std::move(pin));
  return STATUS_SUCCESS;
}

IoResult device_io_control(Handle handle, ULONG ioctl, std::span<const std::byte> input, std::span<std::byte> output) {
  IoResult result;
  if (!at_passive("ks::device_io_control")) return {STATUS_INVALID_DEVICE_STATE, 0};
  std::shared_ptr<KsObject> object = lookup_handle(handle);
  if (!object) return {STATUS_INVALID_HANDLE, 0};
  switch (ioctl) {
    case IOCTL_KS_PROPERTY:
      break;
    case IOCTL_KS_METHOD:
    case IOCTL_KS_ENABLE_EVENT:
    case IOCTL_KS_DISABLE_EVENT:
      return {STATUS_NOT_SUPPORTED, 0};
    default:
      return {STATUS_INVALID_DEVICE_REQUEST, 0};
  }
  if (input.size() < sizeof(KSPROPERTY)) return {STATUS_INVALID_BUFFER_SIZE, 0};

  // Host copies: the input (8-aligned), and the value buffer (zeroed for GET, as ks.sys zeroes it
  // so a handler can never leak stale bytes; the caller's data for SET).
  std::vector<std::uint64_t> input_storage((input.size() + 7) / 8);
  std::memcpy(input_storage.data(), input.data(), input.size());
  const auto* in = reinterpret_cast<const std::byte*>(input_storage.data());
  KSPROPERTY header;
  std::memcpy(&header, in, sizeof(header));

  PropertyRequest request;
  request.set = header.Set;
  request.id = header.Id;
  request.flags = header.Flags;
  request.verb = header.Flags & ~KSPROPERTY_TYPE_TOPOLOGY;
  request.input = std::span<const std::byte>(in, input.size());
  std::size_t header_bytes = sizeof(KSPROPERTY);
  if (header.Flags & KSPROPERTY_TYPE_TOPOLOGY) {
    if (input.size() < sizeof(KSP_NODE)) return {STATUS_INVALID_BUFFER_SIZE, 0};
    KSP_NODE node;
    std::memcpy(&node, in, sizeof(node));
    request.node_id = node.NodeId;
    header_bytes = sizeof(KSP_NODE);
  }
  request.instance = request.input.subspan(header_bytes);
  switch (request.verb) {
    case KSPROPERTY_TYPE_GET:
    case KSPROPERTY_TYPE_SET:
    case KSPROPERTY_TYPE_BASICSUPPORT:
      break;
    case KSPROPERTY_TYPE_SETSUPPORT:
    case KSPROPERTY_TYPE_RELATIONS:
    case KSPROPERTY_TYPE_SERIALIZESET:
    case KSPROPERTY_TYPE_UNSERIALIZESET:
    case KSPROPERTY_TYPE_SERIALIZERAW:
    case KSPROPERTY_TYPE_UNSERIALIZERAW:
    case KSPROPERTY_TYPE_SERIALIZESIZE:
    case KSPROPERTY_TYPE_DEFAULTVALUES:
      return {STATUS_NOT_SUPPORTED, 0};  // KS support verbs the host does not implement
    default:
      return {STATUS_INVALID_PARAMETER, 0};  // no verb, several verbs, or unknown bits
  }
  std::vector<std::uint64_t> value_storage((output.size() + 7) / 8, 0);
  auto* value = reinterpret_cast<std::byte*>(value_storage.data());
  if (request.verb == KSPROPERTY_TYPE_SET && !output.empty()) std::memcpy(value, output.data(), output.size());
  request.value = std::span<std::byte>(value, output.size());

  result.status = object->property(request);
  result.bytes_returned = request.bytes_returned;
  if (request.verb != KSPROPERTY_TYPE_SET && NT_SUCCESS(result.status)) {
    if (result.bytes_returned > output.size()) {
      verifier_report(Rule::HostContract, WAVERT_HERE, "a property handler returned %lu bytes for a %zu-byte buffer",
                      static_cast<unsigned long>(result.bytes_returned), output.size());
      return {STATUS_INTERNAL_ERROR, 0};
    }
    if (result.bytes_returned != 0) std::memcpy(output.data(), value, result.bytes_returned);
  } else if (request.verb == KSPROPERTY_TYPE_SET && NT_SUCCESS(result.status)) {
    result.bytes_returned = 0;
  } else if (result.status != STATUS_BUFFER_OVERFLOW && result.status != STATUS_BUFFER_TOO_SMALL) {
    result.bytes_returned = 0;
  }
  return result;
}

NTSTATUS close(Handle handle) {
  if (!at_passive("ks::close")) return STATUS_INVALID_DEVICE_STATE;
  std::shared_ptr<KsObject> object = take_handle(handle);
  if (!object) return STATUS_INVALID_HANDLE;
  object->on_close();
  object.reset();  // destroyed here unless a request on another thread still holds it
  return STATUS_SUCCESS;
}

std::size_t open_handle_count() {
  std::lock_guard<std::mutex> guard(g_handles_mutex);
  return static_cast<std::size_t>(std::count_if(g_slots.begin(), g_slots.end(), [](const Slot& s) { return s.object != nullptr; }));
}

}  // namespace wavert::host::ks
