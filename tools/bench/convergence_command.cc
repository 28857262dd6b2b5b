#include "tools/bench/convergence_command.h"

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/sim/convergence.h"

namespace rapport::bench {
namespace {

// JSON string escaping for the few characters a problem description can contain.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void AddConvergenceCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "convergence",
      "Runs random offline histories of the CRDT model and checks every replica converges with "
      "no write lost. Prints one JSON object; exits 0 only if all converged.");
  struct Args {
    int replicas = 5;
    uint64_t histories = 1000;
    uint64_t seed = 1;
    int steps = 60;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--replicas", args->replicas, "replicas per history")
      ->check(CLI::Range(2, 64))
      ->capture_default_str();
  cmd->add_option("--histories", args->histories, "number of histories")->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed; history i uses a seed derived from it")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "edits and deliveries per history")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->callback([args, exit_code] {
    const auto start = std::chrono::steady_clock::now();
    const sim::ConvergenceReport r =
        sim::RunConvergence(args->seed, args->histories,
                            sim::HistoryOptions{.replicas = args->replicas, .steps = args->steps});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::string> failures;
    for (const std::string& f : r.failures) failures.push_back(Quote(f));
    std::printf("%s\n",
                absl::StrCat("{\"histories\":", r.histories, ",\"converged\":", r.converged,
                             ",\"lost_writes\":", r.lost_writes,
                             ",\"spec_violations\":", r.spec_violations, ",\"seed\":", args->seed,
                             ",\"replicas\":", args->replicas, ",\"operations\":", r.operations,
                             ",\"deliveries\":", r.deliveries, ",\"seconds\":", seconds,
                             ",\"failures\":[", absl::StrJoin(failures, ","), "]}")
                    .c_str());
    const bool ok = r.converged == r.histories && r.lost_writes == 0 && r.spec_violations == 0;
    *exit_code = ok ? 0 : 1;
  });
}

}  // namespace rapport::bench
