#include "command.hpp"
#include "common.hpp"

namespace wavert::cli {
namespace {

class PlayCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("play", "play");
    return sub;
  }
  int run(const GlobalOptions& globals) override { throw CliError(kExitError, "play: not implemented yet"); }
};

}  // namespace

std::unique_ptr<Command> make_play_command() { return std::make_unique<PlayCommand>(); }

}  // namespace wavert::cli
