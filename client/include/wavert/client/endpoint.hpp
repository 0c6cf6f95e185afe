// Endpoints: the streaming pins of the drivers' WaveRT filters, found through device interfaces.
//
// An endpoint is one pin factory of a filter registered under KSCATEGORY_REALTIME whose
// communication is SINK (the client is the other end) and whose data ranges are audio ranges
// with a WAVEFORMATEX specifier. Data flowing into the filter (KSPIN_DATAFLOW_IN) renders; out of
// it, captures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wavert/client/format.hpp"
#include "wavert/client/status.hpp"

namespace wavert::client {

enum class Direction { Render, Capture };
const char* direction_name(Direction direction);  // "render" / "capture"

// One KSDATARANGE_AUDIO of a pin: any channel count up to max_channels, any bit depth and rate in
// the closed ranges.
struct FormatRange {
  SampleType sample_type = SampleType::Int;
  std::uint32_t max_channels = 0;
  std::uint32_t min_bits = 0, max_bits = 0;
  std::uint32_t min_rate_hz = 0, max_rate_hz = 0;

  bool contains(const Format& format) const;
};

struct Endpoint {
  std::string name;           // KSPROPERTY_PIN_NAME, else "<filter name> pin <id>"
  std::string filter_name;    // the interface's friendly name
  std::string symbolic_link;  // what ks::open_filter takes
  std::uint32_t pin_id = 0;
  Direction direction = Direction::Render;
  std::vector<FormatRange> ranges;

  // Every concrete format the ranges admit among the usual ones: rates 8 k .. 192 kHz, 1..8
  // channels, the container/valid-bit pairs Format knows, with standard channel masks.
  std::vector<Format> formats() const;
  bool supports(const Format& format) const;
};

// Every endpoint of every loaded driver, in interface registration then pin order.
Status enumerate_endpoints(std::vector<Endpoint>* out);
// The first endpoint whose name equals `name`. STATUS_OBJECT_NAME_NOT_FOUND, listing the names
// there are, when none does.
Status find_endpoint(std::string_view name, Endpoint* out);
// The first endpoint of `direction`.
Status find_endpoint(Direction direction, Endpoint* out);

// Asks the driver for the format closest to `wanted` (KSPROPERTY_PIN_DATAINTERSECTION with a
// client range holding exactly `wanted`'s channels, bits and rate). When the driver has no
// intersection handler (STATUS_NOT_SUPPORTED / NOT_IMPLEMENTED) the client picks `wanted` itself
// if a range contains it. STATUS_NO_MATCH with a message when the pin cannot take it.
Status negotiate(const Endpoint& endpoint, const Format& wanted, Format* out);

}  // namespace wavert::client
