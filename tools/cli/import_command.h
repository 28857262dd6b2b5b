// `rapport import --store PATH FILE`: CSV or JSON Lines rows into a local store
// (import_runner.h). Prints refused rows and a summary; exit code kExitRowsRefused when any row
// was refused.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddImportCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
