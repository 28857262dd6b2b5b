// Commits one batch of checked import rows in one Replica::Apply. A row the store still refuses
// (a rule only the write path checks) is taken out with its reason and the rest retried, so one
// bad row never costs its neighbours. Runs on a worker thread while the next batch is parsed:
// it touches only the replica (thread-safe) and its own result.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "core/schema/schema.h"
#include "rapport/record_view.h"
#include "rapport/replica.h"
#include "tools/cli/input_rows.h"

namespace rapport::cli {

struct PendingRow {
  InputRow row;
  std::optional<RecordView> existing;  // the record the row updates, if any
  bool unknown_id = false;             // the row names an id this store does not have
};

struct BatchOutcome {
  absl::Status status;  // a storage failure: the import stops
  size_t imported = 0, updated = 0, unchanged = 0, refused = 0;
  size_t unknown_ids = 0;  // of `imported`: rows whose id this store did not have
  std::vector<RowIssue> issues;
};

BatchOutcome CommitBatch(Replica& replica, const schema::RecordType& type,
                         std::vector<PendingRow> rows);

}  // namespace rapport::cli
