// Move-only RAII transactions over an LmdbEnv. A read transaction ends in its destructor; a
// write transaction aborts in its destructor unless committed. "Not found" is a value
// (std::nullopt / false), never an error. A transaction belongs to one thread at a time and is
// not thread-safe; keep read transactions short (they pin pages and make the file grow).
#pragma once

#include <lmdb.h>

#include <optional>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/store/lmdb_cursor.h"
#include "core/store/lmdb_env.h"

namespace rapport::store {

// Operations common to read and write transactions.
class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  // The value under `key` in `table`, or nullopt. The view is valid until the transaction ends
  // or, in a write transaction, until the next write.
  absl::StatusOr<std::optional<std::string_view>> Get(const Table& table,
                                                      std::string_view key) const;

  // Lends `fn` a cursor over `table` and closes it before returning `fn`'s status.
  absl::Status WithCursor(const Table& table, absl::FunctionRef<absl::Status(Cursor&)> fn) const;

  absl::StatusOr<MDB_stat> Stat(const Table& table) const;

  // Opens the named sub-database `name` (which must outlive the handle; use a literal), or the
  // main database for nullptr. Returns
  // nullopt if it does not exist and `flags` lacks MDB_CREATE. The handle becomes usable by
  // other transactions once this one commits.
  absl::StatusOr<std::optional<Table>> OpenTable(const char* name, unsigned flags);

  bool active() const { return txn_ != nullptr; }

 protected:
  Txn() = default;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  Txn(Txn&& other) noexcept;
  ~Txn() = default;  // the derived class ends the transaction
  // Checks the transaction is still live before an operation named `op`.
  absl::Status CheckActive(const char* op, const char* table) const;

  MDB_txn* txn_ = nullptr;
};

class ReadTxn : public Txn {
 public:
  static absl::StatusOr<ReadTxn> Begin(const LmdbEnv& env);

  ReadTxn(ReadTxn&& other) noexcept = default;
  ReadTxn& operator=(ReadTxn&& other) noexcept;
  ~ReadTxn();

  // Ends the transaction keeping the handles of tables opened in it (an abort would close them).
  absl::Status Commit();

 private:
  explicit ReadTxn(MDB_txn* txn) : Txn(txn) {}
};

class WriteTxn : public Txn {
 public:
  // Blocks while another process's (or thread's) write transaction is active.
  static absl::StatusOr<WriteTxn> Begin(const LmdbEnv& env);

  WriteTxn(WriteTxn&& other) noexcept;
  WriteTxn& operator=(WriteTxn&& other) noexcept;
  ~WriteTxn();  // aborts unless committed

  absl::Status Put(const Table& table, std::string_view key, std::string_view value);
  // The same, for keys that usually sort after every key in `table` (new seqs, new time-ordered
  // ids): LMDB then appends, leaving full pages behind instead of half-full split ones. Any
  // other key is put as by Put.
  absl::Status PutMostlyAppending(const Table& table, std::string_view key, std::string_view value);
  // Returns whether `key` existed.
  absl::StatusOr<bool> Delete(const Table& table, std::string_view key);

  // Commits durably. The handle is cleared first because LMDB frees the transaction even when
  // the commit fails; either way the transaction is over afterwards.
  absl::Status Commit();
  void Abort();

  // True once any operation of this transaction failed with MDB_MAP_FULL: LMDB then refuses
  // everything but an abort, and the caller should grow the map and rerun the whole write.
  bool map_full() const { return map_full_; }

 private:
  explicit WriteTxn(MDB_txn* txn) : Txn(txn) {}
  absl::Status Failed(int rc, const char* op, const char* table);

  bool map_full_ = false;
};

}  // namespace rapport::store
