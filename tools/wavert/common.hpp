// Helpers the subcommands share: starting the machine, parsing endpoint/mode/clock words.
#pragma once

#include <memory>
#include <string>

#include "command.hpp"

namespace wavert::cli {

}  // namespace wavert::cli
