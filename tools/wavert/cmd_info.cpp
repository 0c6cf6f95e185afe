// `wavert info [--json]`: the driver's WaveRT filters, their streaming pins (the endpoints), each
// pin's data ranges and the concrete formats they admit.
#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include <ks.h>
#include <ksmedia.h>

#include "wavert/host/ks.hpp"

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

// One filter of the driver (every KSCATEGORY_AUDIO interface: wave and topology) and the types
// of its nodes (KSPROPERTY_TOPOLOGY_NODES).
struct FilterInfo {
  std::string name, subdevice, symbolic_link;
  std::vector<std::string> nodes;
};

std::string node_word(const GUID& type) {
  if (IsEqualGUID(type, KSNODETYPE_VOLUME)) return "volume";
  if (IsEqualGUID(type, KSNODETYPE_MUTE)) return "mute";
  if (IsEqualGUID(type, KSNODETYPE_PEAKMETER)) return "peakmeter";
  char text[40];
  std::snprintf(text, sizeof text, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", static_cast<unsigned>(type.Data1),
                type.Data2, type.Data3, type.Data4[0], type.Data4[1], type.Data4[2], type.Data4[3], type.Data4[4],
                type.Data4[5], type.Data4[6], type.Data4[7]);
  return text;
}

std::vector<FilterInfo> list_filters() {
  std::vector<FilterInfo> out;
  for (const auto& i : host::ks::enumerate_interfaces(KSCATEGORY_AUDIO)) {
    FilterInfo f{i.friendly_name, i.subdevice_name, i.symbolic_link, {}};
    host::ks::Handle h;
    if (NTSTATUS status = host::ks::open_filter(i.symbolic_link, &h); !NT_SUCCESS(status)) {
      throw CliError(kExitError, "cannot open filter '" + f.name + "' (NTSTATUS " + client::status_hex(status) + ")");
    }
    KSPROPERTY request{};
    request.Set = KSPROPSETID_Topology;
    request.Id = KSPROPERTY_TOPOLOGY_NODES;
    request.Flags = KSPROPERTY_TYPE_GET;
    std::vector<std::byte> answer(4096);
    const host::ks::IoResult r = host::ks::device_io_control(
        h, IOCTL_KS_PROPERTY, std::span(reinterpret_cast<const std::byte*>(&request), sizeof request), answer);
    (void)host::ks::close(h);
    if (NT_SUCCESS(r.status) && r.bytes_returned >= sizeof(KSMULTIPLE_ITEM)) {
      KSMULTIPLE_ITEM header{};
      std::memcpy(&header, answer.data(), sizeof header);
      for (ULONG n = 0; n < header.Count && sizeof header + (n + 1) * sizeof(GUID) <= r.bytes_returned; ++n) {
        GUID type{};
        std::memcpy(&type, answer.data() + sizeof header + n * sizeof(GUID), sizeof type);
        f.nodes.push_back(node_word(type));
      }
    }
    out.push_back(std::move(f));
  }
  return out;
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

    const std::vector<FilterInfo> filters = list_filters();
    if (json_) {
      nlohmann::json out;
      out["filters"] = nlohmann::json::array();
      for (const auto& f : filters) {
        out["filters"].push_back(
            {{"name", f.name}, {"subdevice", f.subdevice}, {"symbolicLink", f.symbolic_link}, {"nodes", f.nodes}});
      }
      out["endpoints"] = nlohmann::json::array();
      for (const auto& e : endpoints) out["endpoints"].push_back(endpoint_json(e));
      std::cout << out.dump(2) << '\n';
      return kExitOk;
    }
    for (const auto& f : filters) {
      std::cout << "filter " << f.name << " (" << f.subdevice << ")  nodes:";
      for (const auto& n : f.nodes) std::cout << ' ' << n;
      std::cout << (f.nodes.empty() ? " none\n" : "\n");
    }
    std::string filter;
    for (const auto& e : endpoints) {
      if (e.filter_name != filter) {
        filter = e.filter_name;
        std::cout << "endpoints of " << filter << "  (" << e.symbolic_link << ")\n";
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
