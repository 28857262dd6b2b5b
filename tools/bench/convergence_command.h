// `rapport-bench convergence`: the random-history convergence check, with any seed.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::bench {

// Registers the subcommand; its result (0 = every history converged) goes to *exit_code.
void AddConvergenceCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::bench
