// Property requests inside the port: the parsed form of one IOCTL_KS_PROPERTY, the KS size rules,
// and tables of property items the port answers itself.
//
// The KS boundary (ks_boundary.cpp) copies the caller's untrusted buffers into host memory, parses
// the KSPROPERTY (or KSP_NODE) header and builds a PropertyRequest; handlers only ever see those
// copies and the sizes the caller claimed. Nothing here trusts a length it did not check.
//
// Buffers, as DeviceIoControl(IOCTL_KS_PROPERTY) passes them:
//   input   KSPROPERTY (KSP_NODE when Flags has KSPROPERTY_TYPE_TOPOLOGY), then instance data
//           (KSP_PIN's PinId, a KSRTAUDIO_BUFFER_PROPERTY's tail, ...);
//   output  GET: the value the handler writes. SET: the value the caller supplies (KS passes the
//           data of a SET in the output buffer too). BASICSUPPORT: a ULONG of access flags or a
//           KSPROPERTY_DESCRIPTION (+ member lists).
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

#include <portcls.h>

#include "locks.hpp"

namespace wavert::portcls {

// The verb bits of KSPROPERTY.Flags the port dispatches on (exactly one per request).
inline constexpr ULONG kPropertyVerbMask = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT;

struct PropertyRequest {
  // ---- parsed from the input buffer --------------------------------------------------------------
  GUID set{};
  ULONG id = 0;
  ULONG verb = 0;                // exactly one of KSPROPERTY_TYPE_GET / _SET / _BASICSUPPORT
  ULONG flags = 0;               // KSPROPERTY.Flags as sent (verb | TOPOLOGY | ...)
  ULONG node_id = PCFILTER_NODE; // KSP_NODE.NodeId for a node request, else PCFILTER_NODE
  // The whole input buffer (KSPROPERTY first), for handlers whose request is a larger structure
  // (KSP_PIN, KSRTAUDIO_BUFFER_PROPERTY...). Use input_as<T>().
  std::span<const std::byte> input;
  // What follows the KSPROPERTY / KSP_NODE header: PCPROPERTY_REQUEST.Instance.
  std::span<const std::byte> instance;

  // ---- the value buffer --------------------------------------------------------------------------
  // GET / BASICSUPPORT: the handler writes here (host copy of the caller's output buffer, zeroed).
  // SET: the caller's data. value.size() is the caller's output buffer length.
  std::span<std::byte> value;
  // What the request returns in IO_STATUS_BLOCK.Information: bytes written (GET), or the size
  // needed (size queries). Set by reply() or the handler.
  ULONG bytes_returned = 0;

  // The structure at the start of the input buffer, or nullptr when the input is shorter.
  template <class T>
  const T* input_as() const {
    return input.size() >= sizeof(T) ? reinterpret_cast<const T*>(input.data()) : nullptr;
  }
  // A SET's value as T, or nullptr when the caller sent fewer bytes.
  template <class T>
  const T* value_as() const {
    return value.size() >= sizeof(T) ? reinterpret_cast<const T*>(value.data()) : nullptr;
  }

  // Answers a GET with `bytes` of `data`, following the KS size rules:
  //   value length 0                 -> STATUS_BUFFER_OVERFLOW, bytes_returned = bytes (size query)
  //   0 < value length < bytes       -> STATUS_BUFFER_TOO_SMALL, bytes_returned = bytes
  //   otherwise                      -> copies, STATUS_SUCCESS, bytes_returned = bytes
  [[nodiscard]] NTSTATUS reply(const void* data, ULONG bytes);
  template <class T>
  [[nodiscard]] NTSTATUS reply_value(const T& v) {
    return reply(&v, sizeof(T));
  }
  // The size-query half of reply() for handlers that build their answer in place: returns
  // STATUS_SUCCESS when value holds `bytes`, else the status reply() would (and sets
  // bytes_returned). After success the handler writes value[0..bytes) and sets bytes_returned.
  [[nodiscard]] NTSTATUS need(ULONG bytes);
  // A KSMULTIPLE_ITEM reply: header {Size = 8 + payload, Count} followed by `payload`.
  [[nodiscard]] NTSTATUS reply_multiple(ULONG count, std::span<const std::byte> payload);
};

// One property the port answers itself (Pin and Topology sets on filters, the WaveRT port's
// RtAudio / Connection / Audio sets on pins).
struct PropertyItem {
  const GUID* set = nullptr;
  ULONG id = 0;
  ULONG verbs = 0;                      // KSPROPERTY_TYPE_GET and/or _SET this item answers
  // The input must hold at least this many bytes (e.g. sizeof(KSP_PIN)), and a SET's value at
  // least min_set_value_bytes; shorter is STATUS_BUFFER_TOO_SMALL, as ks.sys checks MinProperty
  // and MinData.
  ULONG min_input_bytes = sizeof(KSPROPERTY);
  ULONG min_set_value_bytes = 0;
  LockPolicy lock = LockPolicy::Device; // what the dispatcher holds while the handler runs
  std::function<NTSTATUS(PropertyRequest&)> handler;
};

// A set of PropertyItems; lookup by (set, id). Tables are small and built once per object.
class PropertyTable {
 public:
  PropertyTable& add(PropertyItem item);

  enum class Lookup { Found, IdNotFound, SetNotFound };
  // The item for (set, id), or what is missing.
  Lookup find(const GUID& set, ULONG id, const PropertyItem** item) const;
  bool has_set(const GUID& set) const;
  const std::vector<PropertyItem>& items() const { return items_; }

 private:
  std::vector<PropertyItem> items_;
};

// Outcome of offering a request to one source of properties (a port table, a miniport automation
// table), so the dispatcher can try the next source and, when none has it, return the status for
// the most specific miss.
enum class Offer {
  Handled,      // the request was answered; its status is in the returned NTSTATUS
  IdNotFound,   // the source knows the set but not the id
  SetNotFound,  // the source does not know the set
};

// Runs a port PropertyItem: checks the verb (BASICSUPPORT is answered from `verbs` unless the
// item answers it), input and SET value sizes, takes the lock the item names, calls the handler.
// `device_lock` is the device's; `position_lock` may be null (no stream, or UsePositionLock off).
[[nodiscard]] NTSTATUS run_port_item(const PropertyItem& item, PropertyRequest& request, KernelMutex& device_lock,
                                     KernelMutex* position_lock);

// Routes a request to a miniport's PCAUTOMATION_TABLE (walked with its PropertyItemSize stride)
// as a PCPROPERTY_REQUEST: MajorTarget = miniport, MinorTarget = stream or NULL, Node = node id or
// (ULONG)-1, Instance/Value = the request's. Holds `device_lock` around the handler. A handler
// returning STATUS_PENDING, writing a ValueSize beyond the value buffer or returning a size on a
// failed GET other than a size query is a Rule::PortContract report (the port is the referee).
[[nodiscard]] Offer offer_to_automation_table(const PCAUTOMATION_TABLE* table, PropertyRequest& request,
                                              PUNKNOWN major_target, PUNKNOWN minor_target, ULONG node,
                                              KernelMutex& device_lock, NTSTATUS* status);

// The answer to BASICSUPPORT when the item does not handle it (ks.sys's default): a ULONG of access
// flags for a 4-byte buffer, a KSPROPERTY_DESCRIPTION (no member lists, PropTypeSet GUID_NULL)
// for one of at least sizeof(KSPROPERTY_DESCRIPTION), STATUS_BUFFER_TOO_SMALL for anything else.
[[nodiscard]] NTSTATUS default_basic_support(PropertyRequest& request, ULONG access_flags);

// The status when no source knew the request: STATUS_NOT_FOUND for an id missing from a known
// set, STATUS_PROPSET_NOT_FOUND when nobody knows the set (see docs/host-portcls.md for the source).
NTSTATUS not_found_status(Offer most_specific);

}  // namespace wavert::portcls
