// `wavert info [--json]`: the driver's WaveRT filters, their streaming pins (the endpoints), each
// pin's data ranges and the concrete formats they admit.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "common.hpp"

namespace wavert::cli {
namespace {

const char* sample_type_word(client::SampleType type) {
  switch (type) {
    case client::SampleType::Int: return "int";
    case client::SampleType::Float: return "float";
  }
  return "?";
}

nlohmann::json endpoint_json(const client::Endpoint& e) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : e.ranges) {
    ranges.push_back({{"sampleType", sample_type_word(r.sample_type)},
                      {"maxChannels", r.max_channels},
                      {"minBits", r.min_bits},
                      {"maxBits", r.max_bits},
                      {"minRateHz", r.min_rate_hz},
                      {"maxRateHz", r.max_rate_hz}});
  }
  nlohmann::json formats = nlohmann::json::array();
  for (const auto& f : e.formats()) {
    formats.push_back({{"sampleType", sample_type_word(f.sample_type)},
                       {"rateHz", f.sample_rate_hz},
                       {"channels", f.channels},
                       {"containerBits", f.container_bits},
                       {"validBits", f.valid_bits},
                       {"channelMask", f.channel_mask}});
  }
  return {{"name", endpoint_word(e)},
          {"pinName", e.name},
          {"filter", e.filter_name},
          {"symbolicLink", e.symbolic_link},
          {"pinId", e.pin_id},
          {"direction", client::direction_name(e.direction)},
          {"ranges", ranges},
          {"formats", formats}};
}

class InfoCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("info", "List the driver's filters, endpoints (pins), data ranges and formats");
    sub->add_flag("--json", json_, "Print one JSON object: {\"endpoints\": [{name, direction, formats, ...}]}");
    return sub;
  }

  int run(const GlobalOptions& globals) override {
    // Simulated time: nothing streams, and the machine boots without waiting on a real clock.
    auto machine = start_machine(globals, {});
    std::vector<client::Endpoint> endpoints;
    if (client::Status s = client::enumerate_endpoints(&endpoints); !s) fail(kExitError, "cannot list endpoints", s);
    if (endpoints.empty()) throw CliError(kExitError, "the driver registered no WaveRT endpoints");

    if (json_) {
      nlohmann::json out;
      out["endpoints"] = nlohmann::json::array();
      for (const auto& e : endpoints) out["endpoints"].push_back(endpoint_json(e));
      std::cout << out.dump(2) << '\n';
      return kExitOk;
    }
    std::string filter;
    for (const auto& e : endpoints) {
      if (e.filter_name != filter) {
        filter = e.filter_name;
        std::cout << "filter " << filter << "  (" << e.symbolic_link << ")\n";
      }
      std::cout << "  pin " << e.pin_id << "  " << endpoint_word(e) << "  " << client::direction_name(e.direction)
                << "  " << e.formats().size() << " formats\n";
      for (const auto& r : e.ranges) {
        std::cout << "    range " << sample_type_word(r.sample_type) << " " << r.min_bits << ".." << r.max_bits
                  << " bits, 1.." << r.max_channels << " ch, " << r.min_rate_hz << ".." << r.max_rate_hz << " Hz\n";
      }
    }
    return kExitOk;
  }

 private:
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_info_command() { return std::make_unique<InfoCommand>(); }

}  // namespace wavert::cli
