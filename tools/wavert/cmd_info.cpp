// `wavert info [--json]`: the driver's filters, pins, data ranges and endpoints.
#include "command.hpp"
#include "common.hpp"

namespace wavert::cli {
namespace {

class InfoCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("info", "List the driver's endpoints, their pins and formats");
    sub->add_flag("--json", json_, "Print one JSON object instead of text");
    return sub;
  }
  int run(const GlobalOptions& globals) override;

 private:
  bool json_ = false;
};

int InfoCommand::run(const GlobalOptions& globals) {
  throw CliError(kExitError, "info: not implemented yet");
}

}  // namespace

std::unique_ptr<Command> make_info_command() { return std::make_unique<InfoCommand>(); }

}  // namespace wavert::cli
