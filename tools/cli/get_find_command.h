// `rapport get --store PATH ID|--key KEY` (one record, conflicts shown) and
// `rapport find --store PATH EXPR` (an index query, query_expression.h).
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddGetCommand(CLI::App& app, int* exit_code);
void AddFindCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
