#include "command.hpp"
#include "common.hpp"

namespace wavert::cli {
namespace {

class LoopbackCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("loopback", "loopback");
    return sub;
  }
  int run(const GlobalOptions& globals) override { throw CliError(kExitError, "loopback: not implemented yet"); }
};

}  // namespace

std::unique_ptr<Command> make_loopback_command() { return std::make_unique<LoopbackCommand>(); }

}  // namespace wavert::cli
