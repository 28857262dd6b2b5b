// `rapport-bench sync`: sync figures against a real rapportd started as a child process: initial
// sync of N customers to an empty device, steady-state offline edits from D devices syncing in
// rounds, live fan-out latency to C connected devices, and the server's memory.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::bench {

// Registers the subcommand; its result (0 = every part ran without error, 1 = an error) goes to
// *exit_code.
void AddSyncCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::bench
