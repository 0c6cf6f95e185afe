#include "wavert/runtime/machine.hpp"

#include <optional>
#include <vector>

#include "wavert/host/debug.hpp"
#include "wavert/host/registry.hpp"

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

namespace wavert::runtime {

void install_media_category_names() {
  // The Name GUIDs of driver/device/filters.h, as driver/wavert.inf's MediaCategories AddReg
  // writes them.
  const std::string base = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\MediaCategories\\";
  host::registry::set_string(base + "{8E0B62E1-3C4A-4F52-A1D7-6B9E2F0C5A01}", "Name", "Speaker");
  host::registry::set_string(base + "{8E0B62E1-3C4A-4F52-A1D7-6B9E2F0C5A02}", "Name", "Microphone");
  host::registry::set_string(base + "{8E0B62E1-3C4A-4F52-A1D7-6B9E2F0C5A03}", "Name", "Loopback");
}

client::Status Machine::start(const MachineOptions& options, std::unique_ptr<Machine>* out) {
  out->reset();
  std::unique_ptr<Machine> machine(new Machine());
  machine->options_ = options;

  host::KernelConfig config;
  config.clock = options.clock;
  config.seed = options.seed;
  config.verifier = options.verifier;
  config.debug_print_level = options.debug_print_level;
  machine->session_ = std::make_unique<host::KernelSession>(config);

  // The session empties the registry when it boots; the config file comes after that, so its
  // errors are reported here with the file's own line numbers.
  if (!options.config_file.empty()) {
    if (std::optional<host::registry::LoadError> error = host::registry::load_file(options.config_file)) {
      return client::Status::failure(STATUS_INVALID_PARAMETER, "cannot use config " + error->text());
    }
  }
  install_media_category_names();
  for (const auto& [name, value] : options.string_parameters) host::registry::set_string(kParametersKey, name, value);
  for (const auto& [name, value] : options.dword_parameters) host::registry::set_dword(kParametersKey, name, value);

  // The driver explains a failed start on DbgPrintEx (which sink would not open, and why): keep
  // those lines for the message, and still echo them when the user asked for verbose output.
  host::CaptureDebugPrint capture(/*echo=*/options.debug_print_level > 0);
  const NTSTATUS status = host::LoadedDriver::load(DriverEntry, {}, &machine->driver_);
  if (!NT_SUCCESS(status)) {
    std::string why;
    for (const host::DebugLine& line : capture.take()) {
      std::string text = line.text;
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      if (!text.empty()) why += (why.empty() ? "" : "; ") + text;
    }
    return client::Status::failure(status, "the wavert driver failed to start (NTSTATUS " + client::status_hex(status) +
                                               ")" + (why.empty() ? "" : ": " + why));
  }
  *out = std::move(machine);
  return client::Status::success();
}

Machine::~Machine() {
  driver_.reset();   // unload first: the driver's objects need the kernel
  session_.reset();
}

}  // namespace wavert::runtime
