// A machine with the wavert driver installed and loaded: what every front end (the `wavert` CLI,
// the ALSA plugin, the conformance suite) starts from.
//
//   Machine::start boots a KernelSession (real or simulated clock), does what installing
//   driver/wavert.inf does on Windows (the pins' MediaCategories names; the service's Parameters
//   key, from a .reg file and from per-run overrides), then loads the driver through its
//   DriverEntry (PnP add + start). The destructor unloads the driver and shuts the kernel down;
//   leaks found then are verifier reports like any other.
//
// One Machine per process at a time (the host kernel is process-wide). Create and destroy it on
// the same thread; the client API works on that thread and on HostThreads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "wavert/client/status.hpp"
#include "wavert/host/driver.hpp"
#include "wavert/host/kernel.hpp"

namespace wavert::runtime {

// HKLM\SYSTEM\CurrentControlSet\Services\wavert\Parameters (docs/driver-parameters.md).
inline constexpr const char* kParametersKey = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\wavert\\Parameters";

struct MachineOptions {
  host::ClockKind clock = host::ClockKind::Simulated;
  std::uint64_t seed = 1;
  host::VerifierMode verifier = host::VerifierMode::Fatal;
  // A .reg file loaded into the registry before the driver starts (`--config FILE`); empty: none.
  std::string config_file;
  // Parameters written after the file, so they win: e.g. {"SpeakerSink", "file:/tmp/out.wav"},
  // {"MicrophoneSource", "tone:1000"}, {"DmaTickUs", 500}.
  std::map<std::string, std::string> string_parameters;
  std::map<std::string, std::uint32_t> dword_parameters;
  // DbgPrintEx level passed through (0: errors only).
  std::uint32_t debug_print_level = 0;
};

class Machine {
 public:
  // Status messages say what failed: "cannot read config 'x.reg': line 3: ...",
  // "driver failed to start (NTSTATUS 0xC0000034): sink 'file:/nope/x.wav' ...".
  [[nodiscard]] static client::Status start(const MachineOptions& options, std::unique_ptr<Machine>* out);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  host::LoadedDriver& driver() { return *driver_; }
  const MachineOptions& options() const { return options_; }

 private:
  Machine() = default;
  MachineOptions options_;
  std::unique_ptr<host::KernelSession> session_;
  std::unique_ptr<host::LoadedDriver> driver_;
};

// What driver/wavert.inf's MediaCategories AddReg does: the three host pins' names ("Speaker",
// "Microphone", "Loopback") under their Name GUIDs (driver/device/filters.h). Needs a running
// KernelSession; Machine::start calls it.
void install_media_category_names();

}  // namespace wavert::runtime
