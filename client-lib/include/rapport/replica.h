// A replica: one device's local, offline-first store of CRM records, written by field name and
// validated against the schema, queried through the schema's indexes, and observed for changes.
//
// Thread-safe: every method may be called from any thread concurrently; writes are serialised,
// reads run concurrently with each other and with the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/mutation.h"
#include "rapport/query.h"
#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport {

// What a store holds and how it is identified, for operators (`rapport stats`, `rapport inspect`).
struct StoreInfo {
  struct Peer {
    std::string id;
    uint64_t pull_base = 0, pull_position = 0;  // in the peer's seqs: what we have applied
    uint64_t push_base = 0, push_position = 0;  // in our seqs: what the peer acknowledged
  };
  std::string path;
  std::string replica_id;  // 16 hex digits
  uint64_t format_version = 0;
  std::string schema_name;
  uint32_t schema_version = 0;
  std::string schema_hash;  // of the schema this replica was opened with (kept in the store's meta)
  uint64_t last_seq = 0;
  uint64_t records = 0;
  uint64_t postings = 0;    // index entries
  uint64_t map_bytes = 0;   // current LMDB map size
  uint64_t used_bytes = 0;  // pages in use in data.mdb
  std::vector<Peer> peers;
};

struct OpenOptions {
  // The schema in protobuf text format, or the path of a file holding it; both empty means the
  // built-in customer schema. Text wins if both are set.
  std::string schema_text;
  std::string schema_path;
  // Wall clock in Unix milliseconds; empty means the real clock. For tests.
  std::function<int64_t()> wall_clock_ms;
  // Who writes through this replica (e.g. the token's subject): the `author` of the history
  // entries Apply records (below). Empty: those entries have no author.
  std::string author;
};

class Replica {
 public:
  // Opens (creating if absent) the store in directory `path`. FailedPrecondition if the
  // directory holds something that is not a compatible store; InvalidArgument or NotFound for a
  // bad or missing schema.
  static absl::StatusOr<std::unique_ptr<Replica>> Open(const std::string& path,
                                                       OpenOptions options = {});
  // Closes the store. Observers must not be running (no write may be in flight).
  ~Replica();

  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // This replica's id as 16 lower-case hex digits; kept by the store across reopen.
  std::string replica_id() const;

  // Applies `mutations` in order and commits them in one atomic write. Every value is checked
  // against the schema before anything is stored, and required fields are checked on each
  // record created, appended to or given a map entry; any error aborts the whole batch, storing
  // nothing, with InvalidArgument naming the mutation index, record, field and rule (NotFound for
  // an unknown record or entry, FailedPrecondition for an erased record).
  //
  // A VALUE field whose schema names a `history` timeline (lifecycle_stage ->
  // lifecycle_history) gets one entry there, in this same batch, for each record whose
  // displayed value of the field the batch changes: occurred_at (the commit's wall time),
  // `from` and `to` (the displayed value before and after the batch; absent when null) and
  // `author` (OpenOptions::author). A batch that appends to a record's history timeline itself
  // (an import restoring exported history) gets no such entry for that record. These entries
  // are not listed in ChangeSummary::entries.
  absl::StatusOr<ChangeSummary> Apply(const std::vector<Mutation>& mutations);

  // The record `id`, or nullopt if this replica has none. InvalidArgument for a malformed id.
  absl::StatusOr<std::optional<RecordView>> Get(const std::string& id) const;

  // One page of an index query. InvalidArgument for an unknown or unindexed field, a query kind
  // the field's index does not support, or a value of the wrong type.
  absl::StatusOr<QueryResult> Query(const rapport::Query& query) const;

  // Calls `observer` with the ids of the records each commit changed (local writes and, later,
  // synced deltas), after the commit, on the committing thread, in commit order. It may read the
  // replica but must not write to it (that deadlocks). Returns a handle for Unobserve.
  int Observe(std::function<void(const std::vector<std::string>& changed_ids)> observer);
  // After Unobserve returns the observer is not called again.
  void Unobserve(int handle);

  // Calls `visit` with every record of the store (deleted and erased ones included), in change
  // order, until it returns false. O(records); each record is read in its own short read, so a
  // long scan never pins the store.
  absl::Status ForEachRecord(const std::function<bool(const RecordView&)>& visit) const;

  // Identity (replica id, format version, schema hash) and size of the store.
  absl::StatusOr<StoreInfo> Info() const;

  // Ids of up to `limit` records with an open conflict anywhere, in change order. O(records):
  // scans the whole store.
  absl::StatusOr<std::vector<std::string>> ListConflicts(size_t limit) const;
  // Writes `value` to the top-level VALUE field `field` of record `id`, superseding every
  // concurrent value this replica has seen (a plain Set does exactly that).
  absl::Status ResolveConflict(const std::string& id, const std::string& field, Value value);

 private:
  friend class ReplicaInternal;
  struct Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport
