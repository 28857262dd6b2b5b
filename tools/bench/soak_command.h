// `rapport-bench soak`: many live devices edit at random for a while against a real rapportd
// started as a child process; errors are counted, the server's memory sampled, and at the end
// every replica must hold exactly the server's records with no write lost.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::bench {

// Registers the subcommand; its result (0 = converged with no lost write and no error, 1
// otherwise) goes to *exit_code.
void AddSoakCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::bench
