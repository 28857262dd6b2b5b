// `rapport conflicts list|show|resolve`: the records whose fields hold concurrent values
// (docs/data-model.md, "value"), each conflict's siblings numbered 0 (displayed) to n, and its
// resolution by choosing a sibling (--choose N) or writing a new value (--value V); either is a
// plain write that supersedes every sibling, so the conflict closes on every replica it reaches.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddConflictsCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
