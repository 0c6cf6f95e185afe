// The pure half of endpoint.hpp: which concrete formats a pin's ranges admit. No KS requests.
#include <algorithm>

#include "wavert/client/endpoint.hpp"

namespace wavert::client {

const char* direction_name(Direction direction) {
  switch (direction) {
    case Direction::Render: return "render";
    case Direction::Capture: return "capture";
  }
  return "?";
}

bool FormatRange::contains(const Format& f) const {
  return f.sample_type == sample_type && f.channels <= max_channels && f.container_bits >= min_bits &&
         f.container_bits <= max_bits && f.sample_rate_hz >= min_rate_hz && f.sample_rate_hz <= max_rate_hz &&
         f.validate().ok();
}

bool Endpoint::supports(const Format& format) const {
  return std::any_of(ranges.begin(), ranges.end(), [&](const FormatRange& r) { return r.contains(format); });
}

std::vector<Format> Endpoint::formats() const {
  static constexpr std::uint32_t kRatesHz[] = {8'000, 11'025, 16'000, 22'050, 32'000, 44'100,
                                               48'000, 88'200, 96'000, 176'400, 192'000};
  struct Sample { SampleType type; std::uint16_t container, valid; };
  static constexpr Sample kSamples[] = {{SampleType::Int, 8, 8},   {SampleType::Int, 16, 16},
                                        {SampleType::Int, 24, 24}, {SampleType::Int, 32, 24},
                                        {SampleType::Int, 32, 32}, {SampleType::Float, 32, 32}};
  std::vector<Format> out;
  for (const Sample& s : kSamples)
    for (std::uint16_t channels = 1; channels <= 8; ++channels)
      for (std::uint32_t rate : kRatesHz) {
        Format f = Format::make(s.type, rate, channels, s.container, s.valid);
        if (supports(f)) out.push_back(f);
      }
  return out;
}

}  // namespace wavert::client
