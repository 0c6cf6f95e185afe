// The `wavert` command line's one extension point: a subcommand is a class implementing Command,
// defined in its own cmd_<name>.cpp with a factory `make_<name>_command()`, and listed once in
// main.cpp's WAVERT_SUBCOMMANDS. Nothing else needs to change to add one.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace wavert::cli {

// The exit-code convention (README, `wavert --help`).
enum ExitCode : int {
  kExitOk = 0,           // success
  kExitCheckFailed = 1,  // the command ran, but the audio check it performs failed
  kExitUsage = 2,        // bad arguments, unknown endpoint/sink, unsupported or unreadable input
  kExitError = 3,        // the driver or host failed, or output could not be written
};

// Options every subcommand sees, parsed before it runs.
struct GlobalOptions {
  std::string config_file;  // --config: a .reg file with device parameters (docs/driver-parameters.md)
  int verbosity = 0;        // -v, repeatable
};

// Thrown by a subcommand to end the program with `code` and the one-line `message` on stderr.
class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds this subcommand and its options to `app`; returns the subcommand.
  virtual CLI::App* add_to(CLI::App& app) = 0;
  // Runs after a successful parse when this subcommand was chosen. Returns an ExitCode, or
  // throws CliError.
  virtual int run(const GlobalOptions& globals) = 0;
};

}  // namespace wavert::cli
