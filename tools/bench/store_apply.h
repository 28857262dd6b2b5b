// The device side of an initial sync, without a server: the `apply` part of `rapport-bench store`.
// docs/benchmarks.md, "Store".
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/store/record_store.h"

namespace rapport::bench {

// User + system CPU seconds of this process so far: on a shared machine a steadier figure than
// wall time.
double ProcessCpuSeconds();

// Reads every record of `source` as the server would send it (its delta since 0, canonical
// form, packed into rapport.v1.Pull batches of up to `batch_bytes` and serialized), then applies
// the batches to a new store in `dir` the way SyncSession::ApplyPull does: parse the Pull,
// RecordFromProto and Schema::ValidateDelta per delta, then one Write per batch with Get,
// ApplyRemote, Get and one aux mark per record. Returns the JSON object of the figures.
absl::StatusOr<std::string> MeasureApply(const store::RecordStore& source, const std::string& dir,
                                         size_t batch_bytes);

}  // namespace rapport::bench
