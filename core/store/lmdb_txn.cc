#include "core/store/lmdb_txn.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/store/lmdb_status.h"

namespace rapport::store {
namespace {

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace

Txn::Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}

absl::Status Txn::CheckActive(const char* op, const char* table) const {
  if (txn_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("lmdb ", op, " on '", table, "': the transaction has already ended"));
}

absl::StatusOr<std::optional<std::string_view>> Txn::Get(const Table& table,
                                                         std::string_view key) const {
  if (absl::Status s = CheckActive("get", table.name); !s.ok()) return s;
  MDB_val k = Val(key);
  MDB_val v{0, nullptr};
  const int rc = mdb_get(txn_, table.dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "get", table.name);
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

absl::Status Txn::WithCursor(const Table& table,
                             absl::FunctionRef<absl::Status(Cursor&)> fn) const {
  if (absl::Status s = CheckActive("open cursor", table.name); !s.ok()) return s;
  MDB_cursor* raw = nullptr;
  if (int rc = mdb_cursor_open(txn_, table.dbi, &raw); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "open cursor", table.name);
  }
  Cursor cursor(raw, table);  // closed when this scope ends, while the transaction still lives
  return fn(cursor);
}

absl::StatusOr<MDB_stat> Txn::Stat(const Table& table) const {
  if (absl::Status s = CheckActive("stat", table.name); !s.ok()) return s;
  MDB_stat stat;
  if (int rc = mdb_stat(txn_, table.dbi, &stat); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "stat", table.name);
  }
  return stat;
}

absl::StatusOr<std::optional<Table>> Txn::OpenTable(const char* name, unsigned flags) {
  const char* shown = name != nullptr ? name : "(main)";
  if (absl::Status s = CheckActive("open table", shown); !s.ok()) return s;
  MDB_dbi dbi = 0;
  const int rc = mdb_dbi_open(txn_, name, flags, &dbi);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != MDB_SUCCESS) return MdbStatus(rc, "open table", shown);
  return Table{dbi, shown};
}

absl::StatusOr<ReadTxn> ReadTxn::Begin(const LmdbEnv& env) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &txn); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "begin read transaction", env.path());
  }
  return ReadTxn(txn);
}

ReadTxn& ReadTxn::operator=(ReadTxn&& other) noexcept {
  if (this != &other) {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = std::exchange(other.txn_, nullptr);
  }
  return *this;
}

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

absl::Status ReadTxn::Commit() {
  if (absl::Status s = CheckActive("commit", "read transaction"); !s.ok()) return s;
  if (int rc = mdb_txn_commit(std::exchange(txn_, nullptr)); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "commit", "read transaction");
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteTxn> WriteTxn::Begin(const LmdbEnv& env) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env.get(), nullptr, 0, &txn); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "begin write transaction", env.path());
  }
  return WriteTxn(txn);
}

WriteTxn::WriteTxn(WriteTxn&& other) noexcept
    : Txn(std::move(other)), map_full_(std::exchange(other.map_full_, false)) {}

WriteTxn& WriteTxn::operator=(WriteTxn&& other) noexcept {
  if (this != &other) {
    Abort();
    txn_ = std::exchange(other.txn_, nullptr);
    map_full_ = std::exchange(other.map_full_, false);
  }
  return *this;
}

WriteTxn::~WriteTxn() { Abort(); }

void WriteTxn::Abort() {
  if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
}

absl::Status WriteTxn::Failed(int rc, const char* op, const char* table) {
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return MdbStatus(rc, op, table);
}

absl::Status WriteTxn::Put(const Table& table, std::string_view key, std::string_view value) {
  if (absl::Status s = CheckActive("put", table.name); !s.ok()) return s;
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  if (int rc = mdb_put(txn_, table.dbi, &k, &v, 0); rc != MDB_SUCCESS) {
    return Failed(rc, "put", table.name);
  }
  return absl::OkStatus();
}

absl::Status WriteTxn::PutMostlyAppending(const Table& table, std::string_view key,
                                          std::string_view value) {
  if (absl::Status s = CheckActive("put", table.name); !s.ok()) return s;
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  // MDB_APPEND refuses (MDB_KEYEXIST, changing nothing) a key not above the last one.
  int rc = mdb_put(txn_, table.dbi, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, table.dbi, &k, &v, 0);
  if (rc != MDB_SUCCESS) return Failed(rc, "put", table.name);
  return absl::OkStatus();
}

absl::StatusOr<bool> WriteTxn::Delete(const Table& table, std::string_view key) {
  if (absl::Status s = CheckActive("delete", table.name); !s.ok()) return s;
  MDB_val k = Val(key);
  const int rc = mdb_del(txn_, table.dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return Failed(rc, "delete", table.name);
  return true;
}

absl::Status WriteTxn::Commit() {
  if (absl::Status s = CheckActive("commit", "write transaction"); !s.ok()) return s;
  if (int rc = mdb_txn_commit(std::exchange(txn_, nullptr)); rc != MDB_SUCCESS) {
    return Failed(rc, "commit", "write transaction");
  }
  return absl::OkStatus();
}

}  // namespace rapport::store
