// Commits one batch of checked import rows in one Replica::Apply. The batch's mutations are
// planned while it is read (PendingBatch::Add, on the reading thread), so the committing thread
// only applies them. A row the store still refuses (a rule only the write path checks) is taken
// out with its reason and the rest replanned and retried, so one bad row never costs its
// neighbours. CommitBatch runs on a worker thread while the next batch is read: it touches only
// the replica (thread-safe) and its own batch.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "core/schema/schema.h"
#include "rapport/record_view.h"
#include "rapport/replica.h"
#include "tools/cli/import_plan.h"
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

// The rows of one batch and the mutations that import them. Not thread-safe: filled by the
// reading thread, then handed whole to the committing one.
class PendingBatch {
 public:
  // Plans `row`'s mutations after those of the rows added before.
  void Add(const schema::RecordType& type, PendingRow row);
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

 private:
  friend BatchOutcome CommitBatch(Replica&, const schema::RecordType&, PendingBatch&);
  std::vector<PendingRow> rows_;
  std::vector<Mutation> mutations_;
  std::vector<size_t> first_mutation_;  // per row: its first mutation in mutations_
  std::vector<bool> changes_;           // per row: whether it changes anything
  BatchRefs refs_;
};

// Commits `batch`, leaving in it the rows it committed (the caller destroys it, off the
// committing thread).
BatchOutcome CommitBatch(Replica& replica, const schema::RecordType& type, PendingBatch& batch);

}  // namespace rapport::cli
