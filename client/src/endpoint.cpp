// Endpoint discovery and format negotiation through KSPROPSETID_Pin.
#include "wavert/client/endpoint.hpp"

#include <algorithm>
#include <cstring>

#include <mmreg.h>

#include "wavert/host/utf.hpp"

#include "ks_request.hpp"

namespace wavert::client {

using detail::failed;
namespace ks = wavert::host::ks;

namespace {

// RAII for a filter handle opened only for the length of a query.
class FilterHandle {
 public:
  FilterHandle() = default;
  ~FilterHandle() {
    if (handle_) (void)ks::close(handle_);  // a close failure here leaves nothing to undo
  }
  FilterHandle(const FilterHandle&) = delete;
  FilterHandle& operator=(const FilterHandle&) = delete;
  ks::Handle* out() { return &handle_; }
  ks::Handle get() const { return handle_; }

 private:
  ks::Handle handle_;
};

KSP_PIN pin_request(ULONG id, ULONG pin_id) {
  KSP_PIN p{};
  p.Property = detail::make_property(KSPROPSETID_Pin, id, KSPROPERTY_TYPE_GET);
  p.PinId = pin_id;
  return p;
}

// KSPROPERTY_PIN_DATARANGES' reply: KSMULTIPLE_ITEM {Size, Count}, then Count ranges, each starting
// 8-aligned; a range flagged KSDATARANGE_ATTRIBUTES is followed by its attribute list (a
// KSMULTIPLE_ITEM, also 8-aligned), which is not counted. Only KSDATARANGE_AUDIO ranges with a
// WAVEFORMATEX specifier and a PCM or float subformat become FormatRanges; others are skipped.
Status parse_ranges(const std::vector<std::byte>& bytes, std::vector<FormatRange>* out) {
  auto bad = [](const char* why) {
    return Status::failure(STATUS_INVALID_PARAMETER, std::string("malformed KSPROPERTY_PIN_DATARANGES reply: ") + why);
  };
  if (bytes.size() < sizeof(KSMULTIPLE_ITEM)) return bad("shorter than KSMULTIPLE_ITEM");
  KSMULTIPLE_ITEM header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.Size > bytes.size() || header.Size < sizeof header) return bad("Size disagrees with the bytes returned");
  std::size_t offset = sizeof header;
  auto align8 = [](std::size_t v) { return (v + 7) & ~std::size_t{7}; };
  for (ULONG i = 0; i < header.Count; ++i) {
    offset = align8(offset);
    if (offset + sizeof(KSDATARANGE) > header.Size) return bad("a range runs past the end");
    KSDATARANGE range;
    std::memcpy(&range, bytes.data() + offset, sizeof range);
    if (range.FormatSize < sizeof(KSDATARANGE) || offset + range.FormatSize > header.Size)
      return bad("a range's FormatSize runs past the end");
    bool audio = IsEqualGUID(range.MajorFormat, KSDATAFORMAT_TYPE_AUDIO) &&
                 IsEqualGUID(range.Specifier, KSDATAFORMAT_SPECIFIER_WAVEFORMATEX) &&
                 range.FormatSize >= sizeof(KSDATARANGE_AUDIO);
    bool pcm = IsEqualGUID(range.SubFormat, KSDATAFORMAT_SUBTYPE_PCM);
    bool flt = IsEqualGUID(range.SubFormat, KSDATAFORMAT_SUBTYPE_IEEE_FLOAT);
    if (audio && (pcm || flt)) {
      KSDATARANGE_AUDIO a;
      std::memcpy(&a, bytes.data() + offset, sizeof a);
      out->push_back(FormatRange{flt ? SampleType::Float : SampleType::Int, a.MaximumChannels, a.MinimumBitsPerSample,
                                 a.MaximumBitsPerSample, a.MinimumSampleFrequency, a.MaximumSampleFrequency});
    }
    offset += range.FormatSize;
    if (range.Flags & KSDATARANGE_ATTRIBUTES) {
      offset = align8(offset);
      if (offset + sizeof(KSMULTIPLE_ITEM) > header.Size) return bad("an attribute list runs past the end");
      KSMULTIPLE_ITEM attributes;
      std::memcpy(&attributes, bytes.data() + offset, sizeof attributes);
      if (attributes.Size < sizeof attributes || offset + attributes.Size > header.Size)
        return bad("an attribute list's Size runs past the end");
      offset += attributes.Size;
    }
  }
  return Status::success();
}

Status endpoints_of(const ks::DeviceInterface& filter_interface, std::vector<Endpoint>* out) {
  FilterHandle filter;
  if (NTSTATUS s = ks::open_filter(filter_interface.symbolic_link, filter.out()); !NT_SUCCESS(s))
    return failed("cannot open filter " + filter_interface.symbolic_link, s);
  KSPROPERTY ctypes_request = detail::make_property(KSPROPSETID_Pin, KSPROPERTY_PIN_CTYPES, KSPROPERTY_TYPE_GET);
  ULONG pin_count = 0;
  if (NTSTATUS s = detail::get_fixed(filter.get(), ctypes_request, &pin_count); !NT_SUCCESS(s))
    return failed("KSPROPERTY_PIN_CTYPES failed on " + filter_interface.friendly_name, s);
  for (ULONG pin = 0; pin < pin_count; ++pin) {
    const std::string where = filter_interface.friendly_name + " pin " + std::to_string(pin);
    KSPIN_COMMUNICATION communication{};
    if (NTSTATUS s = detail::get_fixed(filter.get(), pin_request(KSPROPERTY_PIN_COMMUNICATION, pin), &communication);
        !NT_SUCCESS(s))
      return failed("KSPROPERTY_PIN_COMMUNICATION failed on " + where, s);
    // The client instantiates the pin and is its other end: SINK (or BOTH). Bridge pins and
    // NONE pins describe wiring and are not endpoints.
    if (communication != KSPIN_COMMUNICATION_SINK && communication != KSPIN_COMMUNICATION_BOTH) continue;
    KSPIN_DATAFLOW dataflow{};
    if (NTSTATUS s = detail::get_fixed(filter.get(), pin_request(KSPROPERTY_PIN_DATAFLOW, pin), &dataflow);
        !NT_SUCCESS(s))
      return failed("KSPROPERTY_PIN_DATAFLOW failed on " + where, s);
    std::vector<std::byte> range_bytes;
    if (NTSTATUS s = detail::get_variable(filter.get(), pin_request(KSPROPERTY_PIN_DATARANGES, pin), &range_bytes);
        !NT_SUCCESS(s))
      return failed("KSPROPERTY_PIN_DATARANGES failed on " + where, s);
    Endpoint e;
    e.filter_name = filter_interface.friendly_name;
    e.symbolic_link = filter_interface.symbolic_link;
    e.pin_id = pin;
    e.direction = dataflow == KSPIN_DATAFLOW_IN ? Direction::Render : Direction::Capture;
    if (Status s = parse_ranges(range_bytes, &e.ranges); !s) return Status::failure(s.code(), where + ": " + s.message());
    if (e.ranges.empty()) continue;  // a streaming pin for something other than PCM/float audio
    // The pin's name is optional (KSPROPERTY_PIN_NAME fails when the descriptor has no Name GUID).
    std::vector<std::byte> name_bytes;
    if (NT_SUCCESS(detail::get_variable(filter.get(), pin_request(KSPROPERTY_PIN_NAME, pin), &name_bytes)) &&
        name_bytes.size() >= sizeof(char16_t)) {
      std::vector<char16_t> units(name_bytes.size() / sizeof(char16_t));
      std::memcpy(units.data(), name_bytes.data(), units.size() * sizeof(char16_t));
      // The reply is NUL-terminated; the name ends at the first NUL.
      const std::u16string_view name(units.data(), units.size());
      e.name = wavert::host::utf16_to_utf8(name.substr(0, name.find(u'\0')));
    }
    if (e.name.empty()) e.name = where;
    out->push_back(std::move(e));
  }
  return Status::success();
}

}  // namespace

Status enumerate_endpoints(std::vector<Endpoint>* out) {
  out->clear();
  // Every WaveRT filter registers under KSCATEGORY_REALTIME (waveRT-contract.md §1.1, 3).
  for (const ks::DeviceInterface& i : ks::enumerate_interfaces(KSCATEGORY_REALTIME)) {
    if (Status s = endpoints_of(i, out); !s) return s;
  }
  return Status::success();
}

Status find_endpoint(std::string_view name, Endpoint* out) {
  std::vector<Endpoint> all;
  if (Status s = enumerate_endpoints(&all); !s) return s;
  std::string names;
  for (Endpoint& e : all) {
    if (e.name == name) {
      *out = std::move(e);
      return Status::success();
    }
    names += (names.empty() ? "" : ", ") + e.name;
  }
  return Status::failure(STATUS_OBJECT_NAME_NOT_FOUND, "no endpoint named '" + std::string(name) + "' (there are: " +
                                                           (names.empty() ? "none -- is a driver loaded?" : names) + ")");
}

Status find_endpoint(Direction direction, Endpoint* out) {
  std::vector<Endpoint> all;
  if (Status s = enumerate_endpoints(&all); !s) return s;
  for (Endpoint& e : all) {
    if (e.direction == direction) {
      *out = std::move(e);
      return Status::success();
    }
  }
  return Status::failure(STATUS_OBJECT_NAME_NOT_FOUND,
                         std::string("no ") + direction_name(direction) + " endpoint (is a driver loaded?)");
}

Status negotiate(const Endpoint& endpoint, const Format& wanted, Format* out) {
  if (Status s = wanted.validate(); !s) return s;
  // KSP_PIN, then a KSMULTIPLE_ITEM holding one KSDATARANGE_AUDIO that admits exactly `wanted`.
  struct Request {
    KSP_PIN pin;
    KSMULTIPLE_ITEM list;
    KSDATARANGE_AUDIO range;
  } request{};
  static_assert(offsetof(Request, range) == sizeof(KSP_PIN) + sizeof(KSMULTIPLE_ITEM), "ranges follow the header");
  request.pin = pin_request(KSPROPERTY_PIN_DATAINTERSECTION, endpoint.pin_id);
  request.list.Size = sizeof(KSMULTIPLE_ITEM) + sizeof(KSDATARANGE_AUDIO);
  request.list.Count = 1;
  KSDATARANGE& r = request.range.DataRange;
  r.FormatSize = sizeof(KSDATARANGE_AUDIO);
  r.SampleSize = wanted.frame_bytes();
  r.MajorFormat = KSDATAFORMAT_TYPE_AUDIO;
  r.SubFormat = wanted.sample_type == SampleType::Float ? KSDATAFORMAT_SUBTYPE_IEEE_FLOAT : KSDATAFORMAT_SUBTYPE_PCM;
  r.Specifier = KSDATAFORMAT_SPECIFIER_WAVEFORMATEX;
  request.range.MaximumChannels = wanted.channels;
  request.range.MinimumBitsPerSample = request.range.MaximumBitsPerSample = wanted.container_bits;
  request.range.MinimumSampleFrequency = request.range.MaximumSampleFrequency = wanted.sample_rate_hz;

  FilterHandle filter;
  if (NTSTATUS s = ks::open_filter(endpoint.symbolic_link, filter.out()); !NT_SUCCESS(s))
    return failed("cannot open filter " + endpoint.symbolic_link, s);
  std::vector<std::byte> result;
  NTSTATUS s = detail::get_variable(filter.get(), request, &result);
  if (detail::is_not_offered(s)) {
    // No intersection handler: pick from the pin's ranges ourselves.
    if (!endpoint.supports(wanted))
      return Status::failure(STATUS_NO_MATCH, endpoint.name + " cannot take " + wanted.to_string());
    *out = wanted;
    return Status::success();
  }
  if (s == STATUS_NO_MATCH) return Status::failure(s, endpoint.name + " cannot take " + wanted.to_string());
  if (!NT_SUCCESS(s)) return failed("KSPROPERTY_PIN_DATAINTERSECTION failed on " + endpoint.name, s);
  Format agreed;
  if (Status p = Format::from_ks_data_format(result, &agreed); !p) return p;
  // The driver keeps the layout it was asked for unless it says otherwise: a plain WAVEFORMATEX
  // answer carries no valid-bit count or mask, so take those from `wanted` when they fit.
  if (agreed.container_bits == wanted.container_bits && agreed.channels == wanted.channels &&
      agreed.sample_type == wanted.sample_type && result.size() < sizeof(KSDATAFORMAT_WAVEFORMATEXTENSIBLE)) {
    agreed.valid_bits = wanted.valid_bits;
    agreed.channel_mask = wanted.channel_mask;
  }
  *out = agreed;
  return Status::success();
}

}  // namespace wavert::client
