// A cursor over one table. Cursors are only lent out by Txn::WithCursor, which closes the cursor
// before it returns, so by construction a cursor never outlives its transaction (the double free
// lmdbxx's README warns about cannot happen). Not thread-safe; use it on the transaction's
// thread only.
#pragma once

#include <lmdb.h>

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/store/lmdb_env.h"

namespace rapport::store {

// Views into LMDB's memory map: valid until the transaction ends or, in a write transaction,
// until the next write.
struct KeyValue {
  std::string_view key;
  std::string_view value;
};

class Cursor {
 public:
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Each positions the cursor and returns the entry there, or nullopt past either end.
  absl::StatusOr<std::optional<KeyValue>> First();
  absl::StatusOr<std::optional<KeyValue>> Last();
  absl::StatusOr<std::optional<KeyValue>> Next();
  // The first entry whose key is >= `key`.
  absl::StatusOr<std::optional<KeyValue>> Seek(std::string_view key);

 private:
  friend class Txn;
  Cursor(MDB_cursor* cursor, const Table& table) : cursor_(cursor), table_(table) {}

  absl::StatusOr<std::optional<KeyValue>> Move(MDB_val* key, MDB_cursor_op op, const char* what);

  MDB_cursor* cursor_;
  Table table_;
};

}  // namespace rapport::store
