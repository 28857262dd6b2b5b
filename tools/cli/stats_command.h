// `rapport stats --store PATH` (records, conflicts, peers and their checkpoints, store size) and
// `rapport inspect --store PATH` (the store's meta: format version, replica id, schema, last seq).
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddStatsCommand(CLI::App& app, int* exit_code);
void AddInspectCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
