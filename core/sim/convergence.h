// Random-history convergence check of the CRDT record model: replicas edit shared records
// offline and exchange deltas over a simulated network that reorders, duplicates, delays and
// batches them; at the end every replica must hold byte-identical records that the WriteLedger
// accepts (no write lost, nothing resurrected). Deterministic for a given seed. Used by the
// property tests and by `rapport-bench convergence`. Not thread-safe (run one per thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crdt/record.h"

namespace rapport::sim {

struct HistoryOptions {
  int replicas = 5;
  int steps = 60;  // edits and deliveries before the network heals
};

struct HistoryResult {
  bool converged = false;  // byte-identical on every replica and accepted by the ledger
  int64_t lost_writes = 0;
  int64_t spec_violations = 0;
  int64_t operations = 0;
  int64_t deliveries = 0;
  std::string problem;  // first problem found, empty when converged
};

HistoryResult RunHistory(uint64_t seed, const HistoryOptions& options);

// The states of one record on each replica after `options.steps` random steps, before the
// network heals: realistic, divergent states with shared history, for testing join laws.
std::vector<crdt::Record> DivergedStates(uint64_t seed, const HistoryOptions& options);

struct ConvergenceReport {
  uint64_t histories = 0;
  uint64_t converged = 0;
  int64_t lost_writes = 0;
  int64_t spec_violations = 0;
  int64_t operations = 0;
  int64_t deliveries = 0;
  std::vector<std::string> failures;  // "seed N: problem", the first few
};

// Runs `histories` histories; history i uses a seed derived from (seed, i), so any failure can
// be replayed alone with RunHistory.
ConvergenceReport RunConvergence(uint64_t seed, uint64_t histories, const HistoryOptions& options);

// The seed RunConvergence uses for history `index`.
uint64_t HistorySeed(uint64_t seed, uint64_t index);

}  // namespace rapport::sim
