// FilterObject: KSPROPSETID_Pin and KSPROPSETID_Topology answered from the filter description,
// property routing to the port and the miniport, and pin creation with KS's connect validation.
//
// Statuses follow ks.sys's KsPinPropertyHandler / KsValidateConnectRequest / KspValidateDataFormat
// (docs/host-portcls.md has the table and the sources).
#include <algorithm>
#include <cstring>

#include "adapter.hpp"
#include "format.hpp"
#include "port.hpp"
#include "wavert/host/registry.hpp"
#include "wavert/host/verifier.hpp"

namespace wavert::portcls {

using wavert::host::Rule;
using wavert::host::verifier_report;

namespace {

constexpr ULONG kAnyInstances = static_cast<ULONG>(-1);

std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

std::string guid_text_upper(const GUID& g) {
  char text[40];
  std::snprintf(text, sizeof(text), "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)g.Data1, g.Data2,
                g.Data3, g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6],
                g.Data4[7]);
  return text;
}

// Names for common categories when the registry's MediaCategories has none (the host's own
// choice of words; Windows reads them from MediaCategories, which its setup fills).
const char* builtin_name(const GUID& g) {
  struct Entry {
    const GUID* guid;
    const char* name;
  };
  static const Entry table[] = {
      {&KSNODETYPE_SPEAKER, "Speakers"},       {&KSNODETYPE_HEADPHONES, "Headphones"},
      {&KSNODETYPE_MICROPHONE, "Microphone"},  {&KSNODETYPE_DESKTOP_MICROPHONE, "Desktop Microphone"},
      {&KSNODETYPE_MICROPHONE_ARRAY, "Microphone Array"}, {&KSNODETYPE_DESKTOP_SPEAKER, "Desktop Speakers"},
      {&KSNODETYPE_HEADSET, "Headset"},        {&KSNODETYPE_LINE_CONNECTOR, "Line"},
      {&KSNODETYPE_SPDIF_INTERFACE, "SPDIF Interface"}, {&KSNODETYPE_DAC, "DAC"},
      {&KSNODETYPE_ADC, "ADC"},                {&KSNODETYPE_SRC, "SRC"},
      {&KSNODETYPE_SUPERMIX, "Supermix"},      {&KSNODETYPE_MUX, "Mux"},
      {&KSNODETYPE_SUM, "Sum"},                {&KSNODETYPE_MUTE, "Mute"},
      {&KSNODETYPE_VOLUME, "Volume"},          {&KSNODETYPE_TONE, "Tone"},
      {&KSNODETYPE_AGC, "AGC"},                {&KSNODETYPE_PEAKMETER, "Peak Meter"},
      {&KSNODETYPE_AUDIO_ENGINE, "Audio Engine"}, {&KSAUDFNAME_MASTER_VOLUME, "Master Volume"},
      {&KSAUDFNAME_MASTER_MUTE, "Master Mute"}, {&KSAUDFNAME_WAVE_VOLUME, "Wave Volume"},
      {&KSAUDFNAME_WAVE_MUTE, "Wave Mute"},    {&KSAUDFNAME_MIC_VOLUME, "Microphone Volume"},
      {&KSAUDFNAME_MIC_MUTE, "Microphone Mute"}, {&KSAUDFNAME_PEAKMETER, "Peak Meter"},
  };
  for (const Entry& e : table) {
    if (IsEqualGUID(*e.guid, g)) return e.name;
  }
  return nullptr;
}

// KSPROPERTY_PIN_NAME / KSPROPERTY_TOPOLOGY_NAME: the Name value under
// HKLM\SYSTEM\CurrentControlSet\Control\MediaCategories\{guid}, as KS reads it.
bool name_for(const GUID& g, std::u16string* out) {
  const std::string key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\MediaCategories\\" + guid_text_upper(g);
  if (wavert::host::registry::key_exists(key)) {
    if (auto value = wavert::host::registry::get_value(key, "Name")) {
      if (auto text = value->as_string()) {
        *out = utf8_to_utf16(*text);
        return true;
      }
    }
  }
  if (const char* name = builtin_name(g)) {
    *out = utf8_to_utf16(name);
    return true;
  }
  return false;
}

NTSTATUS reply_string(PropertyRequest& request, const std::u16string& text) {
  std::u16string terminated = text;
  terminated.push_back(0);
  return request.reply(terminated.data(), static_cast<ULONG>(terminated.size() * sizeof(char16_t)));
}

template <class T>
std::span<const std::byte> as_bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

}  // namespace

// ---- Instance reservations -----------------------------------------------------------------------------

PinInstanceReservation::PinInstanceReservation(std::shared_ptr<FilterObject> filter, ULONG pin_id)
    : filter_(std::move(filter)), pin_id_(pin_id) {}

PinInstanceReservation::PinInstanceReservation(PinInstanceReservation&& other) noexcept
    : filter_(std::move(other.filter_)), pin_id_(other.pin_id_) {}

PinInstanceReservation& PinInstanceReservation::operator=(PinInstanceReservation&& other) noexcept {
  if (this != &other) {
    release();
    filter_ = std::move(other.filter_);
    pin_id_ = other.pin_id_;
  }
  return *this;
}

PinInstanceReservation::~PinInstanceReservation() { release(); }

void PinInstanceReservation::release() {
  if (filter_) {
    filter_->release_instance(pin_id_);
    filter_.reset();
  }
}

// ---- FilterObject -------------------------------------------------------------------------------------------

std::shared_ptr<FilterObject> FilterObject::create(PortCommon& port) {
  return std::shared_ptr<FilterObject>(new FilterObject(port));
}

FilterObject::FilterObject(PortCommon& port) : port_(&port), current_instances_(port.description().pin_count(), 0) {
  port_->outer()->AddRef();
}

FilterObject::~FilterObject() { port_->outer()->Release(); }

const FilterDescription& FilterObject::description() const { return port_->description(); }

ULONG FilterObject::current_instances(ULONG pin_id) const {
  std::lock_guard<std::mutex> guard(counts_mutex_);
  return pin_id < current_instances_.size() ? current_instances_[pin_id] : 0;
}

NTSTATUS FilterObject::reserve_instance(ULONG pin_id) {
  const PinView* pin = description().pin(pin_id);
  ULONG necessary = pin->pc->MinFilterInstanceCount;
  ULONG filter_possible = pin->pc->MaxFilterInstanceCount;
  ULONG global_possible = pin->pc->MaxGlobalInstanceCount;
  ULONG filter_current = current_instances(pin_id);
  ULONG global_current = port_->global_instances(pin_id);
  if (PPINCOUNT pc = port_->pin_count_interface()) {
    // IPinCount lets the miniport adjust the limits it is about to be held to.
    KernelMutexGuard device(port_->device_lock());
    pc->PinCount(pin_id, &necessary, &filter_current, &filter_possible, &global_current, &global_possible);
  }
  // Filter counts, then global counts (both leaf locks, always in this order).
  std::lock_guard<std::mutex> filter_guard(counts_mutex_);
  std::lock_guard<std::mutex> global_guard(port_->global_counts_mutex_);
  ULONG& filter_count = current_instances_[pin_id];
  ULONG& global_count = port_->global_instances_[pin_id];
  if (filter_possible != kAnyInstances && filter_count >= filter_possible) return STATUS_INSUFFICIENT_RESOURCES;
  if (global_possible != kAnyInstances && global_count >= global_possible) return STATUS_INSUFFICIENT_RESOURCES;
  ++filter_count;
  ++global_count;
  return STATUS_SUCCESS;
}

void FilterObject::release_instance(ULONG pin_id) {
  std::lock_guard<std::mutex> filter_guard(counts_mutex_);
  std::lock_guard<std::mutex> global_guard(port_->global_counts_mutex_);
  --current_instances_[pin_id];
  --port_->global_instances_[pin_id];
}

// ---- KSPROPSETID_Pin ---------------------------------------------------------------------------------------------

namespace {

// The KSP_PIN of a request, checked: PinId in range, no flag bits but ATTRIBUTE_RANGE_AWARE.
NTSTATUS pin_of(const PropertyRequest& request, const FilterDescription& d, const PinView** pin, ULONG* flags) {
  const KSP_PIN* p = request.input_as<KSP_PIN>();
  if (p == nullptr) return STATUS_BUFFER_TOO_SMALL;
  if (p->PinId >= d.pin_count() || (p->Flags & ~KSPROPERTY_PIN_FLAGS_MASK) != 0) return STATUS_INVALID_PARAMETER;
  *pin = d.pin(p->PinId);
  if (flags != nullptr) *flags = p->Flags;
  return STATUS_SUCCESS;
}

// KSPROPERTY_PIN_DATARANGES payload: each range 8-aligned; attribute lists (serialized as
// KSMULTIPLE_ITEM + KSATTRIBUTEs) follow their range only for clients that say
// KSPROPERTY_PIN_FLAGS_ATTRIBUTE_RANGE_AWARE. Other clients get the ranges without attribute lists
// (flag cleared), and not the ranges whose attributes are all required, which they cannot meet.
std::vector<std::byte> serialize_ranges(const PinView& pin, bool range_aware, ULONG* count) {
  std::vector<std::byte> out;
  *count = 0;
  auto append = [&](const void* data, std::size_t bytes) {
    out.resize(align8(out.size()));
    const std::size_t at = out.size();
    out.resize(at + bytes);
    std::memcpy(out.data() + at, data, bytes);
    return at;
  };
  for (const DataRangeView& r : pin.ranges) {
    const bool has_list = r.attributes != nullptr;
    if (!range_aware && has_list && (r.range->Flags & KSDATARANGE_REQUIRED_ATTRIBUTES)) continue;
    const std::size_t at = append(r.range, r.range->FormatSize);
    ++*count;
    if (!range_aware || !has_list) {
      auto* copy = reinterpret_cast<KSDATARANGE*>(out.data() + at);
      copy->Flags &= ~(KSDATARANGE_ATTRIBUTES | KSDATARANGE_REQUIRED_ATTRIBUTES);
      continue;
    }
    std::vector<std::byte> list(sizeof(KSMULTIPLE_ITEM));
    for (ULONG i = 0; i < r.attributes->Count; ++i) {
      const KSATTRIBUTE* a = r.attributes->Attributes[i];
      list.resize(align8(list.size()));
      const std::size_t a_at = list.size();
      list.resize(a_at + a->Size);
      std::memcpy(list.data() + a_at, a, a->Size);
    }
    KSMULTIPLE_ITEM header{static_cast<ULONG>(list.size()), r.attributes->Count};
    std::memcpy(list.data(), &header, sizeof(header));
    append(list.data(), list.size());
    ++*count;
  }
  return out;
}

}  // namespace

NTSTATUS FilterObject::property(PropertyRequest& request) {
  const FilterDescription& d = description();
  KernelMutex& device_lock = port_->device_lock();

  // KSPROPSETID_Topology ignores KSPROPERTY_TYPE_TOPOLOGY (clients set it on NAME requests).
  const bool topology_set = IsEqualGUID(request.set, KSPROPSETID_Topology);
  if ((request.flags & KSPROPERTY_TYPE_TOPOLOGY) && !topology_set) {
    // A node request: that node's automation table, MinorTarget NULL (a filter request).
    if (request.node_id >= d.node_count()) return STATUS_INVALID_DEVICE_REQUEST;
    const PCNODE_DESCRIPTOR* node = d.node(request.node_id);
    // ks.sys: a node without an automation table has no properties at all.
    if (node->AutomationTable == nullptr || node->AutomationTable->PropertyCount == 0) return STATUS_NOT_FOUND;
    NTSTATUS status = STATUS_NOT_FOUND;
    Offer offer = offer_to_automation_table(node->AutomationTable, request, port_->miniport_unknown(), nullptr,
                                            request.node_id, device_lock, &status);
    return offer == Offer::Handled ? status : not_found_status(offer);
  }

  const PropertyTable& own = filter_properties();
  const PropertyItem* item = nullptr;
  PropertyTable::Lookup lookup = own.find(request.set, request.id, &item);
  if (lookup == PropertyTable::Lookup::Found) return run_port_item(*item, request, device_lock, nullptr);
  Offer best = lookup == PropertyTable::Lookup::IdNotFound ? Offer::IdNotFound : Offer::SetNotFound;

  if (const PropertyTable* port_table = port_->hooks().filter_properties()) {
    lookup = port_table->find(request.set, request.id, &item);
    if (lookup == PropertyTable::Lookup::Found) return run_port_item(*item, request, device_lock, nullptr);
    if (lookup == PropertyTable::Lookup::IdNotFound) best = Offer::IdNotFound;
  }
  NTSTATUS status = STATUS_NOT_FOUND;
  Offer offer = offer_to_automation_table(d.automation(), request, port_->miniport_unknown(), nullptr, PCFILTER_NODE,
                                          device_lock, &status);
  if (offer == Offer::Handled) return status;
  if (offer == Offer::IdNotFound) best = Offer::IdNotFound;
  return not_found_status(best);
}

const PropertyTable& FilterObject::filter_properties() {
  std::call_once(table_once_, [this] { build_filter_properties(); });
  return table_;
}

void FilterObject::build_filter_properties() {
  const FilterDescription& d = description();
  auto pin_item = [&](ULONG id, LockPolicy lock, std::function<NTSTATUS(PropertyRequest&)> handler) {
    PropertyItem item;
    item.set = &KSPROPSETID_Pin;
    item.id = id;
    item.verbs = KSPROPERTY_TYPE_GET;
    item.min_input_bytes = id == KSPROPERTY_PIN_CTYPES ? sizeof(KSPROPERTY) : sizeof(KSP_PIN);
    item.lock = lock;
    item.handler = std::move(handler);
    table_.add(std::move(item));
  };
  auto topology_item = [&](ULONG id, ULONG min_input, std::function<NTSTATUS(PropertyRequest&)> handler) {
    PropertyItem item;
    item.set = &KSPROPSETID_Topology;
    item.id = id;
    item.verbs = KSPROPERTY_TYPE_GET;
    item.min_input_bytes = min_input;
    item.lock = LockPolicy::None;
    item.handler = std::move(handler);
    table_.add(std::move(item));
  };

  pin_item(KSPROPERTY_PIN_CTYPES, LockPolicy::None, [&d](PropertyRequest& r) { return r.reply_value(d.pin_count()); });
  pin_item(KSPROPERTY_PIN_DATAFLOW, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    return NT_SUCCESS(s) ? r.reply_value(pin->ks().DataFlow) : s;
  });
  pin_item(KSPROPERTY_PIN_COMMUNICATION, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    return NT_SUCCESS(s) ? r.reply_value(pin->ks().Communication) : s;
  });
  pin_item(KSPROPERTY_PIN_CATEGORY, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    if (pin->ks().Category == nullptr) return STATUS_NOT_FOUND;
    return r.reply_value(*pin->ks().Category);
  });
  pin_item(KSPROPERTY_PIN_NAME, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    std::u16string name;
    const GUID* key = pin->ks().Name != nullptr ? pin->ks().Name : pin->ks().Category;
    if (key == nullptr || !name_for(*key, &name)) return STATUS_NOT_FOUND;
    return reply_string(r, name);
  });
  pin_item(KSPROPERTY_PIN_INTERFACES, LockPolicy::None, [this, &d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    std::vector<KSPIN_INTERFACE> list(pin->ks().Interfaces, pin->ks().Interfaces + pin->ks().InterfacesCount);
    if (list.empty()) list = port_->hooks().default_interfaces();
    return r.reply_multiple(static_cast<ULONG>(list.size()), as_bytes_of(list));
  });
  pin_item(KSPROPERTY_PIN_MEDIUMS, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    std::vector<KSPIN_MEDIUM> list(pin->ks().Mediums, pin->ks().Mediums + pin->ks().MediumsCount);
    if (list.empty()) {
      KSPIN_MEDIUM standard{};
      standard.Set = KSMEDIUMSETID_Standard;
      standard.Id = KSMEDIUM_TYPE_ANYINSTANCE;
      list.push_back(standard);
    }
    return r.reply_multiple(static_cast<ULONG>(list.size()), as_bytes_of(list));
  });
  pin_item(KSPROPERTY_PIN_DATARANGES, LockPolicy::None, [&d](PropertyRequest& r) {
    const PinView* pin;
    ULONG flags = 0;
    NTSTATUS s = pin_of(r, d, &pin, &flags);
    if (!NT_SUCCESS(s)) return s;
    ULONG count = 0;
    std::vector<std::byte> payload = serialize_ranges(*pin, (flags & KSPROPERTY_PIN_FLAGS_ATTRIBUTE_RANGE_AWARE) != 0,
                                                      &count);
    return r.reply_multiple(count, payload);
  });
  auto instances = [this, &d](PropertyRequest& r, bool global, bool necessary_only) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    ULONG necessary = pin->pc->MinFilterInstanceCount;
    ULONG filter_possible = pin->pc->MaxFilterInstanceCount;
    ULONG global_possible = pin->pc->MaxGlobalInstanceCount;
    ULONG filter_current = current_instances(pin->id);
    ULONG global_current = port_->global_instances(pin->id);
    if (PPINCOUNT pc = port_->pin_count_interface()) {
      // DeviceLock is held (LockPolicy::Device).
      pc->PinCount(pin->id, &necessary, &filter_current, &filter_possible, &global_current, &global_possible);
    }
    if (necessary_only) return r.reply_value(necessary);
    KSPIN_CINSTANCES value{};
    value.PossibleCount = global ? global_possible : filter_possible;
    value.CurrentCount = global ? global_current : filter_current;
    return r.reply_value(value);
  };
  pin_item(KSPROPERTY_PIN_CINSTANCES, LockPolicy::Device,
           [instances](PropertyRequest& r) { return instances(r, false, false); });
  pin_item(KSPROPERTY_PIN_GLOBALCINSTANCES, LockPolicy::Device,
           [instances](PropertyRequest& r) { return instances(r, true, false); });
  pin_item(KSPROPERTY_PIN_NECESSARYINSTANCES, LockPolicy::Device,
           [instances](PropertyRequest& r) { return instances(r, false, true); });
  pin_item(KSPROPERTY_PIN_PHYSICALCONNECTION, LockPolicy::None, [this, &d](PropertyRequest& r) {
    const PinView* pin;
    NTSTATUS s = pin_of(r, d, &pin, nullptr);
    if (!NT_SUCCESS(s)) return s;
    AdapterDevice& device = port_->device();
    for (const PhysicalConnection& k : device.connections_of(port_->outer(), pin->id)) {
      const bool we_are_from = k.from_port == port_->outer() && k.from_pin == pin->id;
      PUNKNOWN other_port = we_are_from ? k.to_port : k.from_port;
      const std::u16string& external = we_are_from ? k.to_external : k.from_external;
      const ULONG other_pin = we_are_from ? k.to_pin : k.from_pin;
      std::u16string link = other_port != nullptr
                                ? utf8_to_utf16(device.symbolic_link_of(other_port, KSCATEGORY_AUDIO))
                                : external;
      if (link.empty()) continue;  // the other port is not registered (yet)
      link.push_back(0);
      const ULONG size = static_cast<ULONG>(offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName) +
                                            link.size() * sizeof(char16_t));
      NTSTATUS need = r.need(size);
      if (!NT_SUCCESS(need)) return need;
      KSPIN_PHYSICALCONNECTION header{};
      header.Size = size;
      header.Pin = other_pin;
      std::memcpy(r.value.data(), &header, offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName));
      std::memcpy(r.value.data() + offsetof(KSPIN_PHYSICALCONNECTION, SymbolicLinkName), link.data(),
                  link.size() * sizeof(char16_t));
      r.bytes_returned = size;
      return STATUS_SUCCESS;
    }
    return STATUS_NOT_FOUND;
  });
  pin_item(KSPROPERTY_PIN_DATAINTERSECTION, LockPolicy::None,
           [this](PropertyRequest& r) { return data_intersection(r); });

  // KSPROPSETID_Topology.
  topology_item(KSPROPERTY_TOPOLOGY_CATEGORIES, sizeof(KSPROPERTY), [&d](PropertyRequest& r) {
    std::vector<GUID> list(d.categories().begin(), d.categories().end());
    return r.reply_multiple(static_cast<ULONG>(list.size()), as_bytes_of(list));
  });
  topology_item(KSPROPERTY_TOPOLOGY_NODES, sizeof(KSPROPERTY), [&d](PropertyRequest& r) {
    std::vector<GUID> list;
    for (ULONG i = 0; i < d.node_count(); ++i) list.push_back(*d.node(i)->Type);
    return r.reply_multiple(static_cast<ULONG>(list.size()), as_bytes_of(list));
  });
  topology_item(KSPROPERTY_TOPOLOGY_CONNECTIONS, sizeof(KSPROPERTY), [&d](PropertyRequest& r) {
    std::vector<KSTOPOLOGY_CONNECTION> list(d.connections().begin(), d.connections().end());
    return r.reply_multiple(static_cast<ULONG>(list.size()), as_bytes_of(list));
  });
  topology_item(KSPROPERTY_TOPOLOGY_NAME, sizeof(KSP_NODE), [&d](PropertyRequest& r) {
    const KSP_NODE* node = r.input_as<KSP_NODE>();
    if (node->NodeId >= d.node_count()) return STATUS_INVALID_PARAMETER;
    const PCNODE_DESCRIPTOR* n = d.node(node->NodeId);
    std::u16string name;
    if (!name_for(n->Name != nullptr ? *n->Name : *n->Type, &name)) return STATUS_NOT_FOUND;
    return reply_string(r, name);
  });
}

// ---- KSPROPERTY_PIN_DATAINTERSECTION --------------------------------------------------------------------------

NTSTATUS FilterObject::data_intersection(PropertyRequest& r) {
  const FilterDescription& d = description();
  const PinView* pin;
  NTSTATUS status = pin_of(r, d, &pin, nullptr);
  if (!NT_SUCCESS(status)) return status;
  // KSP_PIN, then a KSMULTIPLE_ITEM of the client's ranges, each 8-aligned, each optionally
  // followed by its serialized attribute list.
  const std::size_t list_at = sizeof(KSP_PIN);
  if (r.input.size() < list_at + sizeof(KSMULTIPLE_ITEM)) return STATUS_BUFFER_TOO_SMALL;
  KSMULTIPLE_ITEM header;
  std::memcpy(&header, r.input.data() + list_at, sizeof(header));
  if (header.Size < sizeof(KSMULTIPLE_ITEM) || header.Size > r.input.size() - list_at) return STATUS_INVALID_PARAMETER;
  const std::byte* list = r.input.data() + list_at;
  std::vector<const KSDATARANGE*> client_ranges;
  std::size_t offset = sizeof(KSMULTIPLE_ITEM);
  for (ULONG i = 0; i < header.Count; ++i) {
    offset = align8(offset);
    if (offset + sizeof(KSDATARANGE) > header.Size) return STATUS_INVALID_PARAMETER;
    const auto* range = reinterpret_cast<const KSDATARANGE*>(list + offset);
    if (range->FormatSize < sizeof(KSDATARANGE) || range->FormatSize > header.Size - offset) {
      return STATUS_INVALID_PARAMETER;
    }
    client_ranges.push_back(range);
    offset += range->FormatSize;
    if (range->Flags & KSDATARANGE_ATTRIBUTES) {
      offset = align8(offset);
      const char* why = nullptr;
      if (offset > header.Size ||
          !serialized_attribute_list_is_well_formed(reinterpret_cast<const KSMULTIPLE_ITEM*>(list + offset),
                                                    header.Size - offset, &why)) {
        return STATUS_INVALID_PARAMETER;
      }
      offset += reinterpret_cast<const KSMULTIPLE_ITEM*>(list + offset)->Size;
    }
  }

  const ULONG out_capacity = static_cast<ULONG>(r.value.size());
  for (const KSDATARANGE* client : client_ranges) {
    for (const DataRangeView& mine : pin->ranges) {
      if (!ranges_overlap(*client, *mine.range)) continue;
      ULONG result_bytes = 0;
      NTSTATUS s;
      {
        // waveRT-contract.md §1.2: the miniport first.
        KernelMutexGuard guard(port_->device_lock());
        s = port_->miniport()->DataRangeIntersection(pin->id, const_cast<PKSDATARANGE>(client),
                                                     const_cast<PKSDATARANGE>(mine.range), out_capacity,
                                                     out_capacity != 0 ? r.value.data() : nullptr, &result_bytes);
      }
      if (s == STATUS_NOT_IMPLEMENTED) {
        s = default_audio_intersection(*client, *mine.range, r.value, &result_bytes);
      } else if (NT_SUCCESS(s) && (out_capacity == 0 || result_bytes > out_capacity || result_bytes < sizeof(KSDATAFORMAT))) {
        verifier_report(Rule::PortContract, WAVERT_HERE,
                        "DataRangeIntersection(pin %lu) returned STATUS_SUCCESS with a %lu-byte result for a %lu-byte "
                        "buffer (a size query must return STATUS_BUFFER_OVERFLOW)",
                        static_cast<unsigned long>(pin->id), static_cast<unsigned long>(result_bytes),
                        static_cast<unsigned long>(out_capacity));
        return STATUS_INTERNAL_ERROR;
      }
      if (s == STATUS_NO_MATCH) continue;
      if (NT_SUCCESS(s) || s == STATUS_BUFFER_OVERFLOW || s == STATUS_BUFFER_TOO_SMALL) r.bytes_returned = result_bytes;
      return s;
    }
  }
  return STATUS_NO_MATCH;
}

// ---- Pin creation --------------------------------------------------------------------------------------------

NTSTATUS FilterObject::create_pin(std::span<const std::byte> connect_bytes, std::shared_ptr<PinObject>* out) {
  *out = nullptr;
  if (connect_bytes.size() < sizeof(KSPIN_CONNECT) + sizeof(KSDATAFORMAT)) return STATUS_INVALID_BUFFER_SIZE;
  KSPIN_CONNECT connect;
  std::memcpy(&connect, connect_bytes.data(), sizeof(connect));
  const FilterDescription& d = description();
  const PinView* pin = d.pin(connect.PinId);
  if (pin == nullptr) return STATUS_INVALID_PARAMETER_3;
  const KSPIN_DESCRIPTOR& ks = pin->ks();
  // A connection to another KS pin (PinToHandle) needs a SOURCE pin; a client-side connection a
  // SINK or BRIDGE pin (the enum values are bit sets).
  const ULONG wanted = connect.PinToHandle != nullptr ? KSPIN_COMMUNICATION_SOURCE
                                                      : (KSPIN_COMMUNICATION_SINK | KSPIN_COMMUNICATION_BRIDGE);
  if ((wanted & static_cast<ULONG>(ks.Communication)) == 0) return STATUS_INVALID_PARAMETER_4;
  if (connect.Interface.Flags != 0) return STATUS_INVALID_PARAMETER_1;
  if (connect.Priority.PriorityClass == 0 || connect.Priority.PrioritySubClass == 0) return STATUS_INVALID_PARAMETER_5;

  std::vector<KSPIN_INTERFACE> interfaces(ks.Interfaces, ks.Interfaces + ks.InterfacesCount);
  if (interfaces.empty()) interfaces = port_->hooks().default_interfaces();
  if (std::none_of(interfaces.begin(), interfaces.end(), [&](const KSPIN_INTERFACE& i) {
        return IsEqualGUID(i.Set, connect.Interface.Set) && i.Id == connect.Interface.Id;
      })) {
    return STATUS_NO_MATCH;
  }
  if (connect.Medium.Flags != 0) return STATUS_INVALID_PARAMETER_2;
  std::vector<KSPIN_MEDIUM> mediums(ks.Mediums, ks.Mediums + ks.MediumsCount);
  if (mediums.empty()) {
    KSPIN_MEDIUM standard{};
    standard.Set = KSMEDIUMSETID_Standard;
    standard.Id = KSMEDIUM_TYPE_ANYINSTANCE;
    mediums.push_back(standard);
  }
  if (std::none_of(mediums.begin(), mediums.end(), [&](const KSPIN_MEDIUM& m) {
        return IsEqualGUID(m.Set, connect.Medium.Set) && m.Id == connect.Medium.Id;
      })) {
    return STATUS_NO_MATCH;
  }

  // The format, copied to 8-aligned storage for everything after this point (NewStream included).
  const std::span<const std::byte> untrusted_format = connect_bytes.subspan(sizeof(KSPIN_CONNECT));
  std::vector<std::byte> format(untrusted_format.begin(), untrusted_format.end());
  NTSTATUS status = validate_data_format(format);
  if (!NT_SUCCESS(status)) return status;
  const auto& header = *reinterpret_cast<const KSDATAFORMAT*>(format.data());
  if (std::none_of(pin->ranges.begin(), pin->ranges.end(),
                   [&](const DataRangeView& r) { return format_in_range(header, format, r); })) {
    return STATUS_NO_MATCH;
  }

  status = reserve_instance(pin->id);
  if (!NT_SUCCESS(status)) return status;
  PinCreateArgs args;
  args.filter = std::static_pointer_cast<FilterObject>(shared_from_this());
  args.reservation = PinInstanceReservation(args.filter, pin->id);
  args.pin = pin;
  args.pin_id = pin->id;
  args.capture = ks.DataFlow == KSPIN_DATAFLOW_OUT;
  args.connect = connect;
  args.format = std::move(format);
  std::shared_ptr<PinObject> created;
  status = port_->hooks().create_pin(std::move(args), &created);
  if (!NT_SUCCESS(status)) return status;
  if (created == nullptr) {
    verifier_report(Rule::HostContract, WAVERT_HERE, "the port's create_pin returned success and no pin");
    return STATUS_INTERNAL_ERROR;
  }
  *out = std::move(created);
  return STATUS_SUCCESS;
}

// ---- PinObject ------------------------------------------------------------------------------------------------

PinObject::PinObject(PinCreateArgs&& args)
    : pin_(args.pin), capture_(args.capture), format_(std::move(args.format)), reservation_(std::move(args.reservation)) {}

PortCommon& PinObject::port() const { return filter().port(); }

KernelMutex* PinObject::position_lock() { return port().use_position_lock() ? &position_lock_ : nullptr; }

NTSTATUS PinObject::property(PropertyRequest& request) {
  PortCommon& common = port();
  KernelMutex& device_lock = common.device_lock();
  if ((request.flags & KSPROPERTY_TYPE_TOPOLOGY) && !IsEqualGUID(request.set, KSPROPSETID_Topology)) {
    const FilterDescription& d = common.description();
    if (request.node_id >= d.node_count()) return STATUS_INVALID_DEVICE_REQUEST;
    const PCAUTOMATION_TABLE* table = d.node(request.node_id)->AutomationTable;
    if (table == nullptr || table->PropertyCount == 0) return STATUS_NOT_FOUND;
    NTSTATUS status = STATUS_NOT_FOUND;
    Offer offer = offer_to_automation_table(table, request,
                                            common.miniport_unknown(), minor_target(), request.node_id, device_lock,
                                            &status);
    return offer == Offer::Handled ? status : not_found_status(offer);
  }
  const PropertyItem* item = nullptr;
  PropertyTable::Lookup lookup = port_properties().find(request.set, request.id, &item);
  if (lookup == PropertyTable::Lookup::Found) return run_port_item(*item, request, device_lock, position_lock());
  Offer best = lookup == PropertyTable::Lookup::IdNotFound ? Offer::IdNotFound : Offer::SetNotFound;
  NTSTATUS status = STATUS_NOT_FOUND;
  Offer offer = offer_to_automation_table(pin_->pc->AutomationTable, request, common.miniport_unknown(),
                                          minor_target(), PCFILTER_NODE, device_lock, &status);
  if (offer == Offer::Handled) return status;
  if (offer == Offer::IdNotFound) best = Offer::IdNotFound;
  return not_found_status(best);
}

}  // namespace wavert::portcls
