// `rapport-bench store`: loads N realistic customers into a fresh RecordStore and measures
// bulk create, reopen, get, indexed query, change-feed scan, size on disk and memory.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::bench {

// Registers the subcommand; its result (0 = every measurement ran, 1 = a store error) goes to
// *exit_code.
void AddStoreCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::bench
