// The LMDB-backed store of one replica's records: record states, the change feed by local seq,
// secondary indexes, peer checkpoints and replica metadata, in one environment directory.
// Layout: docs/storage.md.
//
// Thread-safe. Writes are serialised (one writer at a time, internal mutex); reads run
// concurrently with each other and with the writer, each in its own short LMDB read
// transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/crdt/dot.h"
#include "core/crdt/record.h"
#include "core/store/index_entry.h"
#include "core/store/lmdb_env.h"
#include "core/store/lmdb_txn.h"
#include "core/store/store_layout.h"
#include "core/store/store_types.h"
#include "core/store/write_transaction.h"

namespace rapport::store {

struct StoreOptions {
  IndexExtractor indexes;                   // may be empty: no postings
  std::function<uint64_t()> wall_clock_ms;  // default: the real clock; tests inject their own
  uint64_t initial_map_size = 16 << 20;     // grows by doubling on MDB_MAP_FULL
  std::string schema_hash;                  // stored in meta; informational for now
};

class RecordStore {
 public:
  // Opens the store in directory `dir`, creating the directory and a new store (with a new
  // random replica id) if there is none. Refuses with FailedPrecondition, modifying nothing,
  // when the directory holds a store of a newer format, an LMDB file that is not a Rapport
  // store, or a data.mdb that is not LMDB at all.
  static absl::StatusOr<std::unique_ptr<RecordStore>> Open(const std::string& dir,
                                                           StoreOptions options);
  ~RecordStore();

  crdt::ReplicaId replica_id() const { return replica_id_; }
  const std::string& dir() const { return dir_; }

  // Runs `fn` in one write transaction: all or nothing. If `fn` returns an error nothing is
  // stored and that error is returned. `fn` may run more than once (the write is rerun from
  // scratch after growing a full map), so it must not have effects outside the transaction
  // beyond what a rerun tolerates, and must not call Write itself. Returns what changed;
  // observers are told before returning.
  absl::StatusOr<ChangeSet> Write(absl::FunctionRef<absl::Status(WriteTransaction&)> fn)
      ABSL_LOCKS_EXCLUDED(write_mu_);

  // The record with local seqs, or nullopt if there is none.
  absl::StatusOr<std::optional<crdt::Record>> Get(const crdt::RecordId& id) const;

  // Visits every record changed after local seq `since`, in seq order, as the delta of only
  // what changed after `since`, with its latest seq (the checkpoint to resume from). Stops when
  // `visit` returns false or after `limit` records. `visit` runs outside any LMDB transaction
  // and may call into the store; records written meanwhile appear later with their new seq.
  absl::Status ChangesSince(
      uint64_t since, size_t limit,
      absl::FunctionRef<bool(const crdt::Record& delta, uint64_t seq)> visit) const {
    return ChangesSince(FeedCheckpoint::At(since), limit, visit);
  }
  // The same, resuming a scan: visits records whose feed entry is after `from.position`, each
  // as its delta since `from.base` (docs/protocol.md, "Checkpoints").
  absl::Status ChangesSince(
      FeedCheckpoint from, size_t limit,
      absl::FunctionRef<bool(const crdt::Record& delta, uint64_t seq)> visit) const;

  // Ids of records with a posting in `index` whose key is in [lo, hi) (hi empty: unbounded), in
  // key order (then id order), at most `limit` (> 0). `resume_after` is the previous page's
  // next_cursor, or empty to start at `lo`.
  absl::StatusOr<QueryPage> Scan(const std::string& index, const std::string& lo,
                                 const std::string& hi, size_t limit,
                                 const std::string& resume_after) const;

  // Zero checkpoints for a peer never stored.
  absl::StatusOr<PeerCheckpoint> GetPeer(const std::string& peer) const;
  // Every stored peer whose id starts with `prefix`, in id order.
  absl::StatusOr<std::vector<std::pair<std::string, PeerCheckpoint>>> Peers(
      const std::string& prefix) const;

  // The aux value under `key` (docs/storage.md, "aux"), or nullopt.
  absl::StatusOr<std::optional<std::string>> GetAux(std::string_view key) const;
  // Visits aux entries whose key starts with `prefix`, in key order, until `visit` returns false.
  // `visit` runs inside a read transaction: it must not call into the store.
  absl::Status ScanAux(
      std::string_view prefix,
      absl::FunctionRef<bool(std::string_view key, std::string_view value)> visit) const;

  // Visits every record whose feed entry is after `after`, in seq order, whole (with local
  // seqs), with that seq. Like ChangesSince: chunked, `visit` runs outside any transaction.
  absl::Status ScanFeed(
      uint64_t after, size_t limit,
      absl::FunctionRef<bool(const crdt::Record& record, uint64_t seq)> visit) const;

  // The feed's entries after `after`, in seq order, as (record id, seq), without reading the
  // records: for a caller that can tell from the id (and a cache keyed by seq) which records it
  // needs. Chunked like ScanFeed; `visit` runs outside any transaction.
  absl::Status ScanFeedIds(
      uint64_t after, size_t limit,
      absl::FunctionRef<bool(const crdt::RecordId& id, uint64_t seq)> visit) const;

  uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  absl::StatusOr<StoreStats> Stats() const;

  // Calls `observer` after each successful commit that changed records, on the writing thread,
  // in commit order, while the write lock is held: it may read the store but must not Write.
  // Returns a handle for RemoveObserver.
  int AddObserver(std::function<void(const ChangeSet&)> observer);
  void RemoveObserver(int handle);

  // Writes a compacted, consistent copy of the store into directory `path` (created if absent;
  // must not already hold a data.mdb). Safe while the store is in use.
  absl::Status Backup(const std::string& path) const;

 private:
  // Lets Open construct through std::make_unique while nobody else can.
  struct PassKey {
    explicit PassKey() = default;
  };

 public:
  RecordStore(PassKey, std::string dir, LmdbEnv env, layout::Tables tables, StoreOptions options);

 private:
  // The tables of an existing store, nullopt for a fresh environment, or the refusal.
  static absl::StatusOr<std::optional<layout::Tables>> OpenExisting(const LmdbEnv& env);
  // Creates the tables and meta of a new store (or opens the one another process just created).
  static absl::StatusOr<layout::Tables> Create(LmdbEnv& env, const StoreOptions& options);
  static absl::StatusOr<std::unique_ptr<RecordStore>> OpenImpl(const std::string& dir,
                                                               StoreOptions options);

  // Runs `fn` in a read transaction, holding env_mu_ shared so the map cannot be resized under
  // it.
  absl::Status WithRead(absl::FunctionRef<absl::Status(const ReadTxn&)> fn) const
      ABSL_LOCKS_EXCLUDED(env_mu_);
  // ScanFeed lending each record mutably (it is a copy read for this scan).
  absl::Status ScanOwnedFeed(
      uint64_t after, size_t limit,
      absl::FunctionRef<bool(crdt::Record& record, uint64_t seq)> visit) const;
  absl::StatusOr<ChangeSet> WriteOnce(absl::FunctionRef<absl::Status(WriteTransaction&)> fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Doubles the map size (or adopts another process's resize when `adopt`).
  absl::Status ResizeMap(bool adopt) const ABSL_LOCKS_EXCLUDED(env_mu_);
  void Notify(const ChangeSet& changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reads replica id, clock and last seq from meta (at open).
  absl::Status LoadMeta(const std::string& schema_hash);
  static uint64_t RealWallClockMs();

  const std::string dir_;
  mutable LmdbEnv env_;  // mutable: a reader may have to adopt another process's map resize
  const layout::Tables tables_;
  const StoreOptions options_;
  crdt::ReplicaId replica_id_ = 0;
  std::atomic<uint64_t> last_seq_{0};

  // Lock order: write_mu_, then env_mu_, then observers_mu_.
  absl::Mutex write_mu_;
  // Shared by every transaction; exclusive only to resize the map, which LMDB allows only
  // while no transaction of this process is active.
  mutable absl::Mutex env_mu_;
  crdt::Hlc clock_ ABSL_GUARDED_BY(write_mu_) = 0;
  absl::BitGen rng_ ABSL_GUARDED_BY(write_mu_);

  absl::Mutex observers_mu_;
  std::map<int, std::function<void(const ChangeSet&)>> observers_ ABSL_GUARDED_BY(observers_mu_);
  int next_observer_ ABSL_GUARDED_BY(observers_mu_) = 1;
};

}  // namespace rapport::store
