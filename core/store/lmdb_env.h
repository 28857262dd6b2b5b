// Move-only owner of an LMDB environment (one directory: data.mdb + lock.mdb), always opened in
// LMDB's fully durable mode. Thread-safe as LMDB is: transactions may be begun from any thread,
// but SetMapSize requires that no transaction of this process is active (the caller ensures it).
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rapport::store {

// A named sub-database, opened once at start-up and valid for the environment's lifetime.
// `name` is used in error messages.
struct Table {
  MDB_dbi dbi = 0;
  const char* name = "";
};

class LmdbEnv {
 public:
  // Opens (creating data.mdb if absent) the environment in directory `dir`, which must exist.
  // `map_size` is a lower bound: an existing file larger than it keeps its own size. Fails with
  // FailedPrecondition when data.mdb is not an LMDB file.
  static absl::StatusOr<LmdbEnv> Open(const std::string& dir, size_t map_size, unsigned max_tables);

  LmdbEnv(LmdbEnv&& other) noexcept;
  LmdbEnv& operator=(LmdbEnv&& other) noexcept;
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;
  ~LmdbEnv();

  MDB_env* get() const { return env_; }
  const std::string& path() const { return path_; }

  // Clears reader slots left by dead processes (a crashed reader would otherwise pin old pages
  // forever). Returns how many were cleared.
  absl::StatusOr<int> CheckReaders();

  // Current map size in bytes.
  size_t map_size() const;
  // Bytes of the file in use: (last page number + 1) * page size.
  size_t used_bytes() const;
  size_t max_key_size() const;

  // Precondition: no transaction of this process is active. 0 adopts the size another process
  // set (after MDB_MAP_RESIZED).
  absl::Status SetMapSize(size_t bytes);

  // Compacting copy into directory `dir` (mdb_env_copy2 with MDB_CP_COMPACT): a consistent
  // snapshot, safe while writers run.
  absl::Status CopyCompact(const std::string& dir) const;

 private:
  LmdbEnv(MDB_env* env, std::string path) : env_(env), path_(std::move(path)) {}

  MDB_env* env_ = nullptr;
  std::string path_;
};

}  // namespace rapport::store
