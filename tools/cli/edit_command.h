// `rapport edit --store PATH ID|--key KEY ...`: set fields, add or remove tags, log an
// interaction, add loyalty points (or move any counter), delete or undelete; all the changes of
// one call are one atomic batch.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddEditCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
