// `rapport export --store PATH --format csv|jsonl [--query EXPR] [--output FILE]`.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddExportCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
