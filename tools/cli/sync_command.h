// `rapport sync --store PATH --server HOST:PORT [--token T | RAPPORT_TOKEN] [--ca FILE]`: one
// sync session of a local store with a rapportd, with progress on stderr and a summary.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddSyncCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
