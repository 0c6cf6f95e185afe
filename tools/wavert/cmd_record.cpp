#include "command.hpp"
#include "common.hpp"

namespace wavert::cli {
namespace {

class RecordCommand : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    auto* sub = app.add_subcommand("record", "record");
    return sub;
  }
  int run(const GlobalOptions& globals) override { throw CliError(kExitError, "record: not implemented yet"); }
};

}  // namespace

std::unique_ptr<Command> make_record_command() { return std::make_unique<RecordCommand>(); }

}  // namespace wavert::cli
