// rapport-bench sync, part "scoped": what partial replication costs (docs/benchmarks.md,
// "Scoped sync"). N customers, each owned by one of 200 reps (`user:rep-K`, as the generator
// assigns them), live on a rapportd that asks for tokens; then R reps each sync an empty device
// with a rep token and receive only their own customers.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace rapport::bench {

struct ScopedSyncArgs {
  std::string rapportd;    // executable
  std::string work_dir;    // server data, keys and the seed device
  std::string device_dir;  // the reps' devices (tmpfs keeps their fsyncs off the server's disk)
  uint64_t customers = 100000;
  int interactions = 10;
  int reps = 200;
  uint64_t seed = 1;
};

// One JSON object: seed push, per-rep initial sync time (p50/p99/max, the first rep alone),
// records and bytes per rep, server CPU per pull, server memory. Fails if any rep's device holds
// a record it does not own, or the reps together did not receive every customer once.
absl::StatusOr<std::string> MeasureScopedSync(const ScopedSyncArgs& args);

}  // namespace rapport::bench
