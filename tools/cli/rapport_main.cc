// rapport: import, export, inspect and report on a Rapport store (docs/cli.md). Each subcommand
// registers itself with one Add<Name>Command call; parse errors exit with kExitUsage.
#include <iostream>

#include "CLI/CLI.hpp"
#include "tools/cli/conflicts_command.h"
#include "tools/cli/edit_command.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/export_command.h"
#include "tools/cli/get_find_command.h"
#include "tools/cli/import_command.h"
#include "tools/cli/report_command.h"
#include "tools/cli/stats_command.h"
#include "tools/cli/sync_command.h"
#include "tools/cli/token_command.h"

int main(int argc, char** argv) {
  CLI::App app(
      "rapport: import, export, edit, inspect, sync and report on a Rapport customer store");
  app.require_subcommand(1);
  int exit_code = rapport::cli::kExitOk;
  rapport::cli::AddImportCommand(app, &exit_code);
  rapport::cli::AddExportCommand(app, &exit_code);
  rapport::cli::AddGetCommand(app, &exit_code);
  rapport::cli::AddFindCommand(app, &exit_code);
  rapport::cli::AddEditCommand(app, &exit_code);
  rapport::cli::AddConflictsCommand(app, &exit_code);
  rapport::cli::AddStatsCommand(app, &exit_code);
  rapport::cli::AddInspectCommand(app, &exit_code);
  rapport::cli::AddReportCommand(app, &exit_code);
  rapport::cli::AddSyncCommand(app, &exit_code);
  rapport::cli::AddTokenCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0.
    return app.exit(e) == 0 ? rapport::cli::kExitOk : rapport::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "rapport: " << e.what() << "\n";
    return rapport::cli::kExitError;
  }
  return exit_code;
}
