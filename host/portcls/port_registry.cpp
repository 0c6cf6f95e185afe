// The port class table behind PcNewPort: CLSID -> factory.
//
// Builtin ports add one line to kBuiltinPortClasses (declaring their factory in port.hpp's
// neighbourhood); tests register fakes at run time with PortClassRegistration.
#include <mutex>
#include <vector>

#include "port.hpp"
#include "port_topology.hpp"
#include "port_wavert.hpp"

namespace wavert::portcls {
namespace {

struct PortClass {
  GUID clsid;
  PortFactory factory;
};

// Ports built into the host. (The WaveRT and Topology ports add themselves here.)
const std::vector<PortClass>& builtin_port_classes() {
  static const std::vector<PortClass> table = {
      {CLSID_PortWaveRT, create_wavert_port},
      {CLSID_PortTopology, create_topology_port},
  };
  return table;
}

std::mutex g_mutex;                      // leaf lock
std::vector<PortClass> g_registered;     // guarded by g_mutex; newest last, searched first

}  // namespace

PortFactory find_port_class(const GUID& clsid) {
  {
    std::lock_guard<std::mutex> guard(g_mutex);
    for (auto it = g_registered.rbegin(); it != g_registered.rend(); ++it) {
      if (IsEqualGUID(it->clsid, clsid)) return it->factory;
    }
  }
  for (const PortClass& entry : builtin_port_classes()) {
    if (IsEqualGUID(entry.clsid, clsid)) return entry.factory;
  }
  return nullptr;
}

PortClassRegistration::PortClassRegistration(const GUID& clsid, PortFactory factory) : clsid_(clsid) {
  std::lock_guard<std::mutex> guard(g_mutex);
  g_registered.push_back({clsid, factory});
}

PortClassRegistration::~PortClassRegistration() {
  std::lock_guard<std::mutex> guard(g_mutex);
  for (auto it = g_registered.rbegin(); it != g_registered.rend(); ++it) {
    if (IsEqualGUID(it->clsid, clsid_)) {
      g_registered.erase(std::next(it).base());
      break;
    }
  }
}

}  // namespace wavert::portcls
