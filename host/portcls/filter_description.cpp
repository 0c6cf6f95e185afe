// PCFILTER_DESCRIPTOR validation. Each rule is the WDK's statement about the field (PCFILTER_DESCRIPTOR,
// PCPIN_DESCRIPTOR, PCNODE_DESCRIPTOR, PCAUTOMATION_TABLE, KSPIN_DESCRIPTOR, KSDATARANGE pages);
// breaking one is a driver bug the port reports, never tolerates.
#include "filter_description.hpp"

#include <cstdarg>
#include <cstdio>
#include <string>

#include "wavert/host/verifier.hpp"

namespace wavert::portcls {
namespace {

using wavert::host::Rule;

constexpr ULONG kAnyInstances = static_cast<ULONG>(-1);

class Checker {
 public:
  explicit Checker(const WAVERT_CALL_SITE& site) : site_(site) {}

  [[gnu::format(printf, 2, 3)]] bool fail(const char* format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    wavert::host::verifier_report(Rule::PortDescriptor, site_, "PCFILTER_DESCRIPTOR: %s", text);
    return false;
  }

 private:
  WAVERT_CALL_SITE site_;
};

bool check_automation(Checker& c, const PCAUTOMATION_TABLE* table, const char* owner, ULONG owner_id) {
  if (table == nullptr) return true;
  auto check_items = [&](ULONG item_size, ULONG count, const void* items, ULONG min_size, const char* kind) {
    if (count == 0) return true;
    if (items == nullptr) {
      return c.fail("%s %lu automation table: %lu %s items but a null array", owner, (unsigned long)owner_id,
                    (unsigned long)count, kind);
    }
    if (item_size < min_size || item_size % 8 != 0) {
      return c.fail("%s %lu automation table: %sItemSize %lu (needs a multiple of 8, at least %lu)", owner,
                    (unsigned long)owner_id, kind, (unsigned long)item_size, (unsigned long)min_size);
    }
    const auto* base = static_cast<const std::byte*>(items);
    for (ULONG i = 0; i < count; ++i) {
      // PCPROPERTY_ITEM, PCMETHOD_ITEM and PCEVENT_ITEM share the layout {Set, Id, Flags, Handler}.
      const auto* item = reinterpret_cast<const PCPROPERTY_ITEM*>(base + std::size_t{i} * item_size);
      if (item->Set == nullptr) {
        return c.fail("%s %lu automation table: %s item %lu has a null Set", owner, (unsigned long)owner_id, kind,
                      (unsigned long)i);
      }
    }
    return true;
  };
  return check_items(table->PropertyItemSize, table->PropertyCount, table->Properties, sizeof(PCPROPERTY_ITEM),
                     "Property") &&
         check_items(table->MethodItemSize, table->MethodCount, table->Methods, sizeof(PCMETHOD_ITEM), "Method") &&
         check_items(table->EventItemSize, table->EventCount, table->Events, sizeof(PCEVENT_ITEM), "Event");
}

bool is_audio_wave_range(const KSDATARANGE& range) {
  return IsEqualGUID(range.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) &&
         (IsEqualGUID(range.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) ||
          IsEqualGUID(range.Specifier, KSDATAFORMAT_SPECIFIER_DSOUND));
}

bool check_pin(Checker& c, ULONG id, const PCPIN_DESCRIPTOR& pin, PinView* view) {
  if (pin.MinFilterInstanceCount == kAnyInstances) {
    return c.fail("pin %lu: MinFilterInstanceCount may not be (ULONG)-1", (unsigned long)id);
  }
  if (pin.MaxFilterInstanceCount != kAnyInstances && pin.MinFilterInstanceCount > pin.MaxFilterInstanceCount) {
    return c.fail("pin %lu: MinFilterInstanceCount %lu above MaxFilterInstanceCount %lu", (unsigned long)id,
                  (unsigned long)pin.MinFilterInstanceCount, (unsigned long)pin.MaxFilterInstanceCount);
  }
  if (!check_automation(c, pin.AutomationTable, "pin", id)) return false;
  const KSPIN_DESCRIPTOR& ks = pin.KsPinDescriptor;
  if (ks.InterfacesCount != 0 && ks.Interfaces == nullptr) {
    return c.fail("pin %lu: InterfacesCount %lu with a null Interfaces array", (unsigned long)id,
                  (unsigned long)ks.InterfacesCount);
  }
  if (ks.MediumsCount != 0 && ks.Mediums == nullptr) {
    return c.fail("pin %lu: MediumsCount %lu with a null Mediums array", (unsigned long)id,
                  (unsigned long)ks.MediumsCount);
  }
  if (ks.DataFlow != KSPIN_DATAFLOW_IN && ks.DataFlow != KSPIN_DATAFLOW_OUT) {
    return c.fail("pin %lu: DataFlow %d is neither KSPIN_DATAFLOW_IN nor _OUT", (unsigned long)id, (int)ks.DataFlow);
  }
  if (static_cast<unsigned>(ks.Communication) > KSPIN_COMMUNICATION_BRIDGE) {
    return c.fail("pin %lu: Communication %d is not a KSPIN_COMMUNICATION value", (unsigned long)id,
                  (int)ks.Communication);
  }
  if (ks.DataRangesCount != 0 && ks.DataRanges == nullptr) {
    return c.fail("pin %lu: DataRangesCount %lu with a null DataRanges array", (unsigned long)id,
                  (unsigned long)ks.DataRangesCount);
  }
  for (ULONG i = 0; i < ks.DataRangesCount; ++i) {
    const KSDATARANGE* range = ks.DataRanges[i];
    if (range == nullptr) return c.fail("pin %lu: data range %lu is null", (unsigned long)id, (unsigned long)i);
    if (range->FormatSize < sizeof(KSDATARANGE)) {
      return c.fail("pin %lu: data range %lu FormatSize %lu is below sizeof(KSDATARANGE)", (unsigned long)id,
                    (unsigned long)i, (unsigned long)range->FormatSize);
    }
    if (is_audio_wave_range(*range)) {
      if (range->FormatSize < sizeof(KSDATARANGE_AUDIO)) {
        return c.fail("pin %lu: audio data range %lu FormatSize %lu is below sizeof(KSDATARANGE_AUDIO)",
                      (unsigned long)id, (unsigned long)i, (unsigned long)range->FormatSize);
      }
      const auto* audio = reinterpret_cast<const KSDATARANGE_AUDIO*>(range);
      if (audio->MinimumBitsPerSample > audio->MaximumBitsPerSample ||
          audio->MinimumSampleFrequency > audio->MaximumSampleFrequency) {
        return c.fail("pin %lu: audio data range %lu has a minimum above its maximum", (unsigned long)id,
                      (unsigned long)i);
      }
    }
    DataRangeView entry{range, nullptr};
    // KSDATARANGE: "Set Flags to KSDATARANGE_ATTRIBUTES to indicate that the following KSDATARANGE
    // is to be interpreted as an attribute list".
    if (range->Flags & KSDATARANGE_ATTRIBUTES) {
      if (i + 1 >= ks.DataRangesCount || ks.DataRanges[i + 1] == nullptr) {
        return c.fail("pin %lu: data range %lu has KSDATARANGE_ATTRIBUTES but no attribute list follows",
                      (unsigned long)id, (unsigned long)i);
      }
      const auto* list = reinterpret_cast<const KsAttributeListView*>(ks.DataRanges[i + 1]);
      if (list->Count != 0 && list->Attributes == nullptr) {
        return c.fail("pin %lu: attribute list after data range %lu has Count %lu and null Attributes",
                      (unsigned long)id, (unsigned long)i, (unsigned long)list->Count);
      }
      for (ULONG a = 0; a < list->Count; ++a) {
        const KSATTRIBUTE* attribute = list->Attributes[a];
        if (attribute == nullptr || attribute->Size < sizeof(KSATTRIBUTE)) {
          return c.fail("pin %lu: attribute %lu of data range %lu is null or smaller than KSATTRIBUTE",
                        (unsigned long)id, (unsigned long)a, (unsigned long)i);
        }
      }
      entry.attributes = list;
      ++i;
    }
    view->ranges.push_back(entry);
  }
  return true;
}

}  // namespace

bool serialized_attribute_list_is_well_formed(const KSMULTIPLE_ITEM* list, std::size_t available_bytes,
                                              const char** why) {
  if (available_bytes < sizeof(KSMULTIPLE_ITEM)) {
    *why = "no room for the KSMULTIPLE_ITEM header";
    return false;
  }
  if (list->Size < sizeof(KSMULTIPLE_ITEM) || list->Size > available_bytes) {
    *why = "Size is below sizeof(KSMULTIPLE_ITEM) or beyond the buffer";
    return false;
  }
  std::size_t offset = sizeof(KSMULTIPLE_ITEM);
  const auto* bytes = reinterpret_cast<const std::byte*>(list);
  for (ULONG i = 0; i < list->Count; ++i) {
    offset = (offset + 7) & ~std::size_t{7};
    if (offset + sizeof(KSATTRIBUTE) > list->Size) {
      *why = "Count attributes do not fit in Size";
      return false;
    }
    const auto* attribute = reinterpret_cast<const KSATTRIBUTE*>(bytes + offset);
    if (attribute->Size < sizeof(KSATTRIBUTE) || offset + attribute->Size > list->Size) {
      *why = "an attribute's Size is below sizeof(KSATTRIBUTE) or runs past the list";
      return false;
    }
    offset += attribute->Size;
  }
  return true;
}

NTSTATUS FilterDescription::create(const PCFILTER_DESCRIPTOR* d, const WAVERT_CALL_SITE& site,
                                   FilterDescription* out) {
  Checker c(site);
  auto invalid = [] { return STATUS_INVALID_PARAMETER; };
  if (d == nullptr) return c.fail("GetDescription returned STATUS_SUCCESS and a null descriptor"), invalid();
  if (d->Version != 0) return c.fail("Version is %lu; it is reserved and must be 0", (unsigned long)d->Version), invalid();
  if (!check_automation(c, d->AutomationTable, "filter", 0)) return invalid();

  FilterDescription result;
  result.raw_ = d;
  if (d->PinCount != 0) {
    if (d->Pins == nullptr) return c.fail("PinCount %lu with a null Pins array", (unsigned long)d->PinCount), invalid();
    if (d->PinSize < sizeof(PCPIN_DESCRIPTOR) || d->PinSize % 8 != 0) {
      return c.fail("PinSize %lu (needs a multiple of 8, at least sizeof(PCPIN_DESCRIPTOR) = %zu)",
                    (unsigned long)d->PinSize, sizeof(PCPIN_DESCRIPTOR)),
             invalid();
    }
  }
  const auto* pin_base = reinterpret_cast<const std::byte*>(d->Pins);
  for (ULONG id = 0; id < d->PinCount; ++id) {
    PinView view;
    view.id = id;
    view.pc = reinterpret_cast<const PCPIN_DESCRIPTOR*>(pin_base + std::size_t{id} * d->PinSize);
    if (!check_pin(c, id, *view.pc, &view)) return invalid();
    result.pins_.push_back(std::move(view));
  }

  if (d->NodeCount != 0) {
    if (d->Nodes == nullptr) return c.fail("NodeCount %lu with a null Nodes array", (unsigned long)d->NodeCount), invalid();
    if (d->NodeSize < sizeof(PCNODE_DESCRIPTOR) || d->NodeSize % 8 != 0) {
      return c.fail("NodeSize %lu (needs a multiple of 8, at least sizeof(PCNODE_DESCRIPTOR) = %zu)",
                    (unsigned long)d->NodeSize, sizeof(PCNODE_DESCRIPTOR)),
             invalid();
    }
  }
  const auto* node_base = reinterpret_cast<const std::byte*>(d->Nodes);
  for (ULONG id = 0; id < d->NodeCount; ++id) {
    const auto* node = reinterpret_cast<const PCNODE_DESCRIPTOR*>(node_base + std::size_t{id} * d->NodeSize);
    if (node->Type == nullptr) return c.fail("node %lu has a null Type", (unsigned long)id), invalid();
    if (!check_automation(c, node->AutomationTable, "node", id)) return invalid();
    result.nodes_.push_back(node);
  }

  if (d->ConnectionCount != 0 && d->Connections == nullptr) {
    return c.fail("ConnectionCount %lu with a null Connections array", (unsigned long)d->ConnectionCount), invalid();
  }
  auto endpoint_ok = [&](ULONG node, ULONG pin) {
    // PCFILTER_NODE names a filter pin; otherwise the node must exist (its pin numbers are the
    // node's own and cannot be checked from the descriptor).
    return node == PCFILTER_NODE ? pin < d->PinCount : node < d->NodeCount;
  };
  for (ULONG i = 0; i < d->ConnectionCount; ++i) {
    const PCCONNECTION_DESCRIPTOR& k = d->Connections[i];
    if (!endpoint_ok(k.FromNode, k.FromNodePin) || !endpoint_ok(k.ToNode, k.ToNodePin)) {
      return c.fail("connection %lu (%ld:%lu -> %ld:%lu) names a pin or node that does not exist", (unsigned long)i,
                    (long)k.FromNode, (unsigned long)k.FromNodePin, (long)k.ToNode, (unsigned long)k.ToNodePin),
             invalid();
    }
  }
  if (d->CategoryCount != 0 && d->Categories == nullptr) {
    return c.fail("CategoryCount %lu with a null Categories array", (unsigned long)d->CategoryCount), invalid();
  }
  *out = std::move(result);
  return STATUS_SUCCESS;
}

}  // namespace wavert::portcls
