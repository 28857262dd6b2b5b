// rapport-bench: load generators and checks that print JSON figures.
#include "CLI/CLI.hpp"
#include "tools/bench/convergence_command.h"
#include "tools/bench/soak_command.h"
#include "tools/bench/store_command.h"
#include "tools/bench/sync_command.h"

int main(int argc, char** argv) {
  CLI::App app("rapport-bench: benchmarks and checks of Rapport that print JSON");
  app.require_subcommand(1);
  int exit_code = 0;
  rapport::bench::AddConvergenceCommand(app, &exit_code);
  rapport::bench::AddStoreCommand(app, &exit_code);
  rapport::bench::AddSyncCommand(app, &exit_code);
  rapport::bench::AddSoakCommand(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
