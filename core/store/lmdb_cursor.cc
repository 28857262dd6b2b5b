#include "core/store/lmdb_cursor.h"

#include "core/store/lmdb_status.h"

namespace rapport::store {

Cursor::~Cursor() { mdb_cursor_close(cursor_); }

absl::StatusOr<std::optional<KeyValue>> Cursor::Move(MDB_val* key, MDB_cursor_op op,
                                                     const char* what) {
  MDB_val k = key != nullptr ? *key : MDB_val{0, nullptr};
  MDB_val v{0, nullptr};
  const int rc = mdb_cursor_get(cursor_, &k, &v, op);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != MDB_SUCCESS) return MdbStatus(rc, what, table_.name);
  return KeyValue{{static_cast<const char*>(k.mv_data), k.mv_size},
                  {static_cast<const char*>(v.mv_data), v.mv_size}};
}

absl::StatusOr<std::optional<KeyValue>> Cursor::First() {
  return Move(nullptr, MDB_FIRST, "cursor first");
}

absl::StatusOr<std::optional<KeyValue>> Cursor::Last() {
  return Move(nullptr, MDB_LAST, "cursor last");
}

absl::StatusOr<std::optional<KeyValue>> Cursor::Next() {
  return Move(nullptr, MDB_NEXT, "cursor next");
}

absl::StatusOr<std::optional<KeyValue>> Cursor::Seek(std::string_view key) {
  // LMDB refuses zero-length keys, but every key is >= the empty one.
  if (key.empty()) return First();
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  return Move(&k, MDB_SET_RANGE, "cursor seek");
}

}  // namespace rapport::store
