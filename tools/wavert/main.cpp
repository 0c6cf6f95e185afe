// `wavert`: runs the wavert driver in the user-mode host from the command line.
//
//   wavert [--config FILE] [-v] <info|play|record|loopback|...> ...
//
// Every failure ends with one line on stderr, "wavert: <what>: <why>", and the exit code of
// command.hpp's convention.
#include <cstdio>
#include <exception>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.hpp"

// One line per subcommand: X(name) needs cmd_<name>.cpp defining make_<name>_command().
#define WAVERT_SUBCOMMANDS(X) \
  X(info)                     \
  X(play)                     \
  X(record)                   \
  X(loopback)                 \
  X(conformance)

namespace wavert::cli {
#define WAVERT_DECLARE_FACTORY(name) std::unique_ptr<Command> make_##name##_command();
WAVERT_SUBCOMMANDS(WAVERT_DECLARE_FACTORY)
#undef WAVERT_DECLARE_FACTORY
}  // namespace wavert::cli

namespace {

using namespace wavert::cli;

int run(int argc, char** argv) {
  CLI::App app{"wavert: the wavert WaveRT miniport driver, hosted in user mode"};
  app.footer(
      "Exit codes: 0 success, 1 the audio check failed, 2 usage error, 3 driver or host error.\n"
      "Run 'wavert <command> --help' for a command's options.");
  app.set_version_flag("--version", std::string("wavert ") + WAVERT_VERSION);
  app.require_subcommand(1);

  GlobalOptions globals;
  app.add_option("--config", globals.config_file, "Device parameters for the driver's registry (.reg file)")
      ->check(CLI::ExistingFile);
  app.add_flag("-v,--verbose", globals.verbosity, "More output on stderr (repeat for more)");

  std::vector<std::unique_ptr<Command>> commands;
  std::vector<std::pair<CLI::App*, Command*>> chosen;
#define WAVERT_ADD_COMMAND(name) commands.push_back(make_##name##_command());
  WAVERT_SUBCOMMANDS(WAVERT_ADD_COMMAND)
#undef WAVERT_ADD_COMMAND
  for (auto& command : commands) chosen.emplace_back(command->add_to(app), command.get());

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "wavert: %s (see 'wavert --help')\n", e.what());
    return kExitUsage;
  }

  for (auto& [sub, command] : chosen) {
    if (sub->parsed()) return command->run(globals);
  }
  std::fprintf(stderr, "wavert: no command given (see 'wavert --help')\n");
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const CliError& e) {
    std::fprintf(stderr, "wavert: %s\n", e.what());
    return e.code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wavert: internal error: %s\n", e.what());
    return kExitError;
  }
}
