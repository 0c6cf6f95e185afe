// Property request helpers, port property tables and the route into a miniport's automation tables.
//
// KS conventions followed here (ks.sys's property handler, as documented for KsPropertyHandler and
// IKsControl::KsProperty, with the statuses read from its published source):
//   unknown set -> STATUS_PROPSET_NOT_FOUND; known set, unknown id -> STATUS_NOT_FOUND; an item
//   without a handler for the verb -> STATUS_NOT_FOUND; input shorter than the item's minimum ->
//   STATUS_BUFFER_TOO_SMALL; BASICSUPPORT with a 4-byte buffer -> the access flags, with at least
//   sizeof(KSPROPERTY_DESCRIPTION) -> a description, anything else -> STATUS_BUFFER_TOO_SMALL.
// GET size queries follow PortCls's handler convention (IKsControl::KsProperty remarks): a zero
// value length returns STATUS_BUFFER_OVERFLOW with the size needed.
#include "property.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

NTSTATUS PropertyRequest::need(ULONG bytes) {
  if (value.size() >= bytes) return STATUS_SUCCESS;
  bytes_returned = bytes;
  return value.empty() ? STATUS_BUFFER_OVERFLOW : STATUS_BUFFER_TOO_SMALL;
}

NTSTATUS PropertyRequest::reply(const void* data, ULONG bytes) {
  const NTSTATUS status = need(bytes);
  if (!NT_SUCCESS(status)) return status;
  if (bytes != 0) std::memcpy(value.data(), data, bytes);
  bytes_returned = bytes;
  return STATUS_SUCCESS;
}

NTSTATUS PropertyRequest::reply_multiple(ULONG count, std::span<const std::byte> payload) {
  const ULONG total = static_cast<ULONG>(sizeof(KSMULTIPLE_ITEM) + payload.size());
  const NTSTATUS status = need(total);
  if (!NT_SUCCESS(status)) return status;
  KSMULTIPLE_ITEM header{total, count};
  std::memcpy(value.data(), &header, sizeof(header));
  if (!payload.empty()) std::memcpy(value.data() + sizeof(header), payload.data(), payload.size());
  bytes_returned = total;
  return STATUS_SUCCESS;
}

PropertyTable& PropertyTable::add(PropertyItem item) {
  items_.push_back(std::move(item));
  return *this;
}

PropertyTable::Lookup PropertyTable::find(const GUID& set, ULONG id, const PropertyItem** item) const {
  bool set_known = false;
  for (const PropertyItem& candidate : items_) {
    if (!IsEqualGUID(*candidate.set, set)) continue;
    set_known = true;
    if (candidate.id == id) {
      *item = &candidate;
      return Lookup::Found;
    }
  }
  return set_known ? Lookup::IdNotFound : Lookup::SetNotFound;
}

bool PropertyTable::has_set(const GUID& set) const {
  return std::any_of(items_.begin(), items_.end(), [&](const PropertyItem& i) { return IsEqualGUID(*i.set, set); });
}

NTSTATUS default_basic_support(PropertyRequest& request, ULONG access_flags) {
  if (request.value.size() == sizeof(ULONG)) {
    std::memcpy(request.value.data(), &access_flags, sizeof(ULONG));
    request.bytes_returned = sizeof(ULONG);
    return STATUS_SUCCESS;
  }
  if (request.value.size() < sizeof(KSPROPERTY_DESCRIPTION)) {
    request.bytes_returned = 0;
    return STATUS_BUFFER_TOO_SMALL;
  }
  // No member lists: the type set stays GUID_NULL, as ks.sys answers for an item without values.
  KSPROPERTY_DESCRIPTION description{};
  description.AccessFlags = access_flags;
  description.DescriptionSize = sizeof(KSPROPERTY_DESCRIPTION);
  description.MembersListCount = 0;
  std::memcpy(request.value.data(), &description, sizeof(description));
  request.bytes_returned = sizeof(KSPROPERTY_DESCRIPTION);
  return STATUS_SUCCESS;
}

NTSTATUS not_found_status(Offer most_specific) {
  return most_specific == Offer::SetNotFound ? STATUS_PROPSET_NOT_FOUND : STATUS_NOT_FOUND;
}

NTSTATUS run_port_item(const PropertyItem& item, PropertyRequest& request, KernelMutex& device_lock,
                       KernelMutex* position_lock) {
  if (request.verb == KSPROPERTY_TYPE_BASICSUPPORT) {
    return default_basic_support(request, item.verbs & (KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET));
  }
  if ((item.verbs & request.verb) == 0) return STATUS_NOT_FOUND;
  if (request.input.size() < item.min_input_bytes) return STATUS_BUFFER_TOO_SMALL;
  if (request.verb == KSPROPERTY_TYPE_SET && request.value.size() < item.min_set_value_bytes) {
    return STATUS_BUFFER_TOO_SMALL;
  }
  request.bytes_returned = 0;
  switch (item.lock) {
    case LockPolicy::Device: {
      KernelMutexGuard guard(device_lock);
      return item.handler(request);
    }
    case LockPolicy::Position: {
      KernelMutexGuard guard(position_lock != nullptr ? *position_lock : device_lock);
      return item.handler(request);
    }
    case LockPolicy::None:
      return item.handler(request);
  }
  return STATUS_INTERNAL_ERROR;
}

// ---- Pending miniport requests ---------------------------------------------------------------------

namespace {

// A miniport handler may return STATUS_PENDING and finish later with
// PcCompletePendingPropertyRequest (PCPROPERTY_ITEM). The caller's DeviceIoControl is synchronous,
// so the boundary waits for that completion, with the DeviceLock released (the completion may
// well come from a work item that needs it).
struct PendingRequest {
  KEVENT done;
  NTSTATUS status = STATUS_PENDING;
};

std::mutex g_pending_mutex;                                   // leaf lock
std::map<const PCPROPERTY_REQUEST*, PendingRequest*> g_pending;  // guarded by g_pending_mutex

}  // namespace

Offer offer_to_automation_table(const PCAUTOMATION_TABLE* table, PropertyRequest& request, PUNKNOWN major_target,
                                PUNKNOWN minor_target, ULONG node, KernelMutex& device_lock, NTSTATUS* status) {
  if (table == nullptr || table->PropertyCount == 0 || table->Properties == nullptr) return Offer::SetNotFound;
  // The item size was validated with the descriptor (multiple of 8, >= sizeof(PCPROPERTY_ITEM)).
  const auto* base = reinterpret_cast<const std::byte*>(table->Properties);
  const PCPROPERTY_ITEM* found = nullptr;
  bool set_known = false;
  for (ULONG i = 0; i < table->PropertyCount; ++i) {
    const auto* item = reinterpret_cast<const PCPROPERTY_ITEM*>(base + std::size_t{i} * table->PropertyItemSize);
    if (item->Set == nullptr || !IsEqualGUID(*item->Set, request.set)) continue;
    set_known = true;
    if (item->Id == request.id) {
      found = item;
      break;
    }
  }
  if (found == nullptr) return set_known ? Offer::IdNotFound : Offer::SetNotFound;

  const ULONG access = found->Flags & (PCPROPERTY_ITEM_FLAG_GET | PCPROPERTY_ITEM_FLAG_SET);
  const bool handler_answers = found->Handler != nullptr && (found->Flags & request.verb) != 0;
  if (request.verb == KSPROPERTY_TYPE_BASICSUPPORT && !handler_answers) {
    *status = default_basic_support(request, access);
    return Offer::Handled;
  }
  if (!handler_answers) {
    *status = STATUS_NOT_FOUND;  // no handler for this verb: ks.sys treats the item as absent
    return Offer::Handled;
  }

  PCPROPERTY_REQUEST pc{};
  pc.MajorTarget = major_target;
  pc.MinorTarget = minor_target;
  pc.Node = node;
  pc.PropertyItem = found;
  pc.Verb = request.verb;
  pc.InstanceSize = static_cast<ULONG>(request.instance.size());
  // The handler gets writable pointers (the WDK types them PVOID); they point at the host copies.
  pc.Instance = pc.InstanceSize != 0 ? const_cast<std::byte*>(request.instance.data()) : nullptr;
  pc.ValueSize = static_cast<ULONG>(request.value.size());
  pc.Value = pc.ValueSize != 0 ? request.value.data() : nullptr;
  pc.Irp = nullptr;
  const ULONG value_capacity = pc.ValueSize;

  PendingRequest pending;
  KeInitializeEvent(&pending.done, NotificationEvent, FALSE);
  {
    std::lock_guard<std::mutex> guard(g_pending_mutex);
    g_pending[&pc] = &pending;
  }
  NTSTATUS result;
  {
    KernelMutexGuard guard(device_lock);
    result = found->Handler(&pc);
  }
  if (result == STATUS_PENDING) {
    (void)KeWaitForSingleObject(&pending.done, Executive, KernelMode, FALSE, nullptr);
    result = pending.status;
  }
  {
    std::lock_guard<std::mutex> guard(g_pending_mutex);
    g_pending.erase(&pc);
  }

  // The referee: what the handler claims it wrote must lie inside the buffer it was given.
  if (NT_SUCCESS(result) && request.verb != KSPROPERTY_TYPE_SET && pc.ValueSize > value_capacity) {
    verifier_report(Rule::PortContract, WAVERT_HERE,
                    "property handler for id %lu returned STATUS_SUCCESS with ValueSize %lu beyond the %lu-byte "
                    "value buffer",
                    static_cast<unsigned long>(request.id), static_cast<unsigned long>(pc.ValueSize),
                    static_cast<unsigned long>(value_capacity));
    *status = STATUS_INTERNAL_ERROR;
    request.bytes_returned = 0;
    return Offer::Handled;
  }
  if (NT_SUCCESS(result)) {
    request.bytes_returned = request.verb == KSPROPERTY_TYPE_SET ? 0 : pc.ValueSize;
  } else if (result == STATUS_BUFFER_OVERFLOW || result == STATUS_BUFFER_TOO_SMALL) {
    request.bytes_returned = pc.ValueSize;  // the size the handler needs
  } else {
    request.bytes_returned = 0;
  }
  *status = result;
  return Offer::Handled;
}

}  // namespace wavert::portcls

// PcCompletePendingPropertyRequest: finishes a request whose handler returned STATUS_PENDING.
extern "C" NTSTATUS NTAPI PcCompletePendingPropertyRequest(PPCPROPERTY_REQUEST PropertyRequest, NTSTATUS NtStatus) {
  using namespace wavert::portcls;
  std::lock_guard<std::mutex> guard(g_pending_mutex);
  auto it = g_pending.find(PropertyRequest);
  if (it == g_pending.end() || NtStatus == STATUS_PENDING) {
    wavert::host::verifier_report(wavert::host::Rule::PortContract, WAVERT_HERE,
                                  "PcCompletePendingPropertyRequest on a request that is not pending (or with "
                                  "STATUS_PENDING)");
    return STATUS_INVALID_PARAMETER;
  }
  it->second->status = NtStatus;
  KeSetEvent(&it->second->done, IO_NO_INCREMENT, FALSE);
  return STATUS_SUCCESS;
}
