// `rapport token issue --key FILE --subject S --role ROLE [--territory T]... [--branch B]...`:
// mints a bearer token for an operator, device or branch, signed with a key file (the same file
// rapportd verifies with; docs/security.md).
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddTokenCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
