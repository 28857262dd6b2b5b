// One atomic write to a RecordStore, lent to the function passed to RecordStore::Write and valid
// only during that call. Not thread-safe: use it on the calling thread only.
//
// Each record touched (edited, created or changed by a remote delta) gets one new local seq,
// last_seq+1, +2, ... in touch order; records are loaded once into a per-transaction cache, and
// at commit each changed record is encoded once, its index postings diffed, its `changes` entry
// moved to the new seq, and meta (clock, last seq) written: one durable LMDB commit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crdt/hybrid_clock.h"
#include "core/crdt/record.h"
#include "core/crdt/record_edit.h"
#include "core/store/index_entry.h"
#include "core/store/lmdb_txn.h"
#include "core/store/store_layout.h"
#include "core/store/store_types.h"

namespace rapport::store {

class WriteTransaction {
 public:
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction();

  struct Created {
    crdt::RecordId id;
    crdt::RecordEdit* edit;  // owned by the transaction
  };
  // A new, empty record of `type` with a fresh time-ordered id; mutate it through `edit`.
  absl::StatusOr<Created> Create(const std::string& type);

  // An edit of an existing record (NotFound naming the id if absent). Calling Edit again for the
  // same record returns the same edit: all of this transaction's changes share one seq.
  absl::StatusOr<crdt::RecordEdit*> Edit(const crdt::RecordId& id);

  // Joins a delta from another replica, creating the record if absent, and advances the clock
  // past the delta's stamps. Idempotent: a join that changes nothing leaves the record without a
  // new seq. InvalidArgument for a delta without an id.
  absl::Status ApplyRemote(const crdt::Record& delta);

  // Removes the record from this replica entirely — its state, its change-feed entry and its
  // postings — as when it leaves this replica's scope (revocation). Not a CRDT operation: it
  // is never synced, and a later delta for the record recreates it from that delta alone.
  // FailedPrecondition if this transaction has already changed the record. Absent: no-op.
  absl::Status Purge(const crdt::RecordId& id);

  // The record as this transaction sees it (its own writes included), or nullopt.
  absl::StatusOr<std::optional<crdt::Record>> Get(const crdt::RecordId& id);

  // Stores a peer's checkpoints in this transaction, so they commit with the data they cover.
  absl::Status SetPeer(const std::string& peer, const PeerCheckpoint& checkpoint);
  // Zero checkpoints for a peer never stored.
  absl::StatusOr<PeerCheckpoint> GetPeer(const std::string& peer);

  // Keyed bytes for the layers above (docs/storage.md, "aux"); keys are 1..511 bytes.
  absl::Status PutAux(std::string_view key, std::string_view value);
  absl::Status DeleteAux(std::string_view key);
  absl::StatusOr<std::optional<std::string>> GetAux(std::string_view key);

  crdt::ReplicaId replica_id() const { return deps_.replica; }
  // The store's last seq when this transaction began, and the last seq it has assigned so far
  // (equal while it has changed nothing).
  uint64_t last_seq_at_start() const { return initial_last_seq_; }
  uint64_t last_seq_now() const { return next_seq_ - 1; }
  // The wall time of this transaction, shared by all its edits.
  uint64_t wall_ms() const { return wall_ms_; }

 private:
  friend class RecordStore;

  struct Deps {
    WriteTxn& txn;
    const layout::Tables& tables;
    const IndexExtractor& indexes;
    crdt::ReplicaId replica;
    size_t max_key_size;
    absl::BitGen& rng;
  };

  // A record loaded into the cache.
  struct Cached {
    crdt::Record record;
    bool stored = false;   // present in the records table before this transaction
    uint64_t old_seq = 0;  // its `changes` key before this transaction (its MaxSeq() then)
    uint64_t seq = 0;      // this transaction's seq for it; 0 while untouched
    bool joined = false;   // created, or changed by a remote delta
    std::vector<IndexEntry> old_postings;
    bool purged = false;
    std::unique_ptr<crdt::RecordEdit> edit;
  };

  WriteTransaction(Deps deps, crdt::Hlc clock, uint64_t last_seq, uint64_t wall_ms);

  // Writes every changed record with its changes entry and postings, and meta. The caller then
  // commits the LMDB transaction.
  absl::StatusOr<ChangeSet> Finish();
  crdt::Hlc clock_last() const { return clock_.last(); }

  // The cached or stored record, or nullptr if it does not exist.
  absl::StatusOr<Cached*> Load(const crdt::RecordId& id);
  // Gives `c` this transaction's next seq (once) and remembers its postings before the change.
  void Touch(Cached& c);
  std::vector<IndexEntry> Postings(const crdt::Record& record) const;
  // Stores the record and drops its old feed entry; Finish adds the new one.
  absl::Status WriteRecord(Cached& c);
  // Posting keys to delete and to insert, gathered over the whole transaction.
  struct PostingChanges {
    std::vector<std::string> gone, added;
  };
  absl::Status CollectPostings(const Cached& c, PostingChanges& out);
  // The number of `index` (docs/storage.md, "indexes"); when it has none yet, a new one if
  // `assign`, else nullopt.
  absl::StatusOr<std::optional<uint32_t>> IndexNumber(std::string_view index, bool assign);

  Deps deps_;
  crdt::HybridClock clock_;
  const crdt::Hlc initial_clock_;
  const uint64_t initial_last_seq_;
  uint64_t next_seq_;
  const uint64_t wall_ms_;
  absl::flat_hash_map<crdt::RecordId, std::unique_ptr<Cached>> cache_;
  std::vector<Cached*> touched_;  // in seq order
  std::vector<crdt::RecordId> purged_;
  std::string encoded_;  // reused for every record written, so one buffer serves a whole batch
  absl::flat_hash_map<std::string, uint32_t> index_numbers_;  // looked up or assigned here
};

}  // namespace rapport::store
