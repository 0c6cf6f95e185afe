// `wavert conformance [--endpoint NAME|all] [--clock sim|real] [--json FILE] [--plot DIR] [--rate HZ]`: the
// WaveRT conformance suite (wavert_conformance, conformance/) against the loaded driver. Prints one
// line per check and the figures; exit 0 when every check passed, 1 when one failed.
#include <cstdio>
#include <iostream>

#include "command.hpp"
#include "common.hpp"
#include "wavert/conformance/conformance.hpp"
#include "wavert/runtime/machine.hpp"

namespace wavert::cli {
namespace {

class ConformanceCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("conformance", "Hold the driver to the WaveRT contract and measure it (HLK-style)");
    sub->add_option("--endpoint", endpoint_, "Endpoint name, or 'all'")->capture_default_str();
    sub->add_option("--clock", clock_, "sim: simulated time (fast, exact); real: the wall clock")
        ->check(CLI::IsMember({"sim", "real"}))
        ->capture_default_str();
    sub->add_option("--json", json_, "Write every check and figure to FILE as JSON");
    sub->add_option("--plot", plot_, "Write SVG plots (position error, notification intervals) into DIR");
    sub->add_option("--seconds", seconds_, "Seconds of (QPC, position) pairs per endpoint (the KS test uses 60)")
        ->check(CLI::Range(1.0, 3600.0))
        ->capture_default_str();
    sub->add_option("--rate", rate_,
                    "Sample rate (Hz) of the contract, position and notification runs (default: 48000, or the "
                    "pin's first format if it cannot take 48000)")
        ->check(CLI::Range(1'000u, 768'000u));
    sub->add_flag("--busy-cores", busy_, "Keep every core busy during the zero-glitch run (3 render + 2 capture)");
    return sub;
  }
  int run(const GlobalOptions& globals) override;

 private:
  std::string endpoint_ = "all";
  std::string clock_ = "sim";
  std::string json_, plot_;
  double seconds_ = 60.0;
  std::uint32_t rate_ = 0;  // 0: Options' default
  bool busy_ = false;
};

int ConformanceCommand::run(const GlobalOptions& globals) {
  runtime::MachineOptions machine_options;
  machine_options.clock = clock_ == "real" ? host::ClockKind::Real : host::ClockKind::Simulated;
  machine_options.config_file = globals.config_file;
  // The zero-glitch check reads the render counter back on every capture pin: the microphone
  // hears the speaker (docs/driver-parameters.md, MicrophoneSource=cable).
  machine_options.string_parameters["MicrophoneSource"] = "cable";
  std::unique_ptr<runtime::Machine> machine;
  if (client::Status s = runtime::Machine::start(machine_options, &machine); !s)
    throw CliError(kExitError, "conformance: " + s.message());

  conformance::Options options;
  options.endpoint = endpoint_;
  options.position_seconds = seconds_;
  options.sample_rate_hz = rate_;
  if (busy_) {
    options.busy_cores = true;
    options.glitch_render_streams = 3;
    options.glitch_capture_streams = 2;
  }
  conformance::Report report;
  if (client::Status s = conformance::run(options, &report); !s) {
    const bool usage = s.code() == STATUS_OBJECT_NAME_NOT_FOUND;
    throw CliError(usage ? kExitUsage : kExitError, "conformance: " + s.message());
  }
  std::cout << conformance::summary(report);
  if (!json_.empty()) {
    if (client::Status s = conformance::write_json(report, json_); !s) throw CliError(kExitError, "conformance: " + s.message());
  }
  if (!plot_.empty()) {
    if (client::Status s = conformance::write_plots(report, plot_); !s) throw CliError(kExitError, "conformance: " + s.message());
  }
  machine.reset();
  if (!report.passed()) {
    std::fprintf(stderr, "wavert: conformance: %zu of %zu checks failed (lines starting FAIL above)\n", report.failures(),
                 report.checks.size());
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> make_conformance_command() { return std::make_unique<ConformanceCommand>(); }

}  // namespace wavert::cli
