// Internal: the history entries of one Replica::Apply batch. A VALUE field whose schema names a
// `history` timeline (lifecycle_stage -> lifecycle_history) gets one entry per record whose
// displayed value of it the batch changed: occurred_at, from, to, author (docs/schema.md,
// "History of a value"). Appended after the batch's own mutations, in the same write
// transaction, so the change and its history commit together or not at all.
// Not thread-safe: one recorder per batch, on the writing thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "core/crdt/record_id.h"
#include "core/crdt/scalar.h"
#include "core/schema/schema.h"
#include "core/store/write_transaction.h"

namespace rapport::internal {

class HistoryRecorder {
 public:
  // `schema`, `txn` and `author` must outlive the recorder.
  HistoryRecorder(const schema::Schema& schema, store::WriteTransaction& txn,
                  const std::string& author)
      : schema_(schema), txn_(txn), author_(author) {}

  // Call for every Set of `field` of record `id` (of `type`) before applying it, whether or not
  // the field has a history; `created` says the record was created in this batch. Remembers
  // the displayed value the batch started from (the first time) and the value it ends with: a
  // local write supersedes every sibling this replica holds, so it becomes the displayed value.
  absl::Status OnSet(const crdt::RecordId& id, const std::string& type, bool created,
                     const schema::FieldSpec& field, const crdt::Scalar& value);
  // The batch itself appended an entry to timeline `timeline` of record `id`: if that timeline
  // is a history, the batch writes that history itself and gets no entry from Finish.
  void AppendedTo(const crdt::RecordId& id, const schema::FieldSpec& timeline);
  // Appends an entry for every recorded field whose displayed value the batch changed.
  absl::Status Finish();

 private:
  using Key = std::pair<crdt::RecordId, crdt::FieldId>;  // record, field (or timeline)
  struct Change {
    std::string type;
    crdt::Scalar before, after;
  };

  const schema::Schema& schema_;
  store::WriteTransaction& txn_;
  const std::string& author_;
  std::map<Key, Change> changes_;  // ordered: entries are appended in a deterministic order
  std::set<Key> written_by_batch_;
};

}  // namespace rapport::internal
