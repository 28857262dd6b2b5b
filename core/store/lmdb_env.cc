#include "core/store/lmdb_env.h"

#include <utility>

#include "core/store/lmdb_status.h"

namespace rapport::store {
namespace {

// Durable mode only: every flag that trades durability or hygiene for speed is banned (see
// docs/storage.md). MDB_NOTLS ties read transactions to their object instead of the thread, so
// a thread may hold a read transaction while another of its objects begins one.
constexpr unsigned kEnvFlags = MDB_NOTLS;
constexpr unsigned kBannedFlags =
    MDB_NOSYNC | MDB_MAPASYNC | MDB_NOMETASYNC | MDB_WRITEMAP | MDB_NOMEMINIT;
static_assert((kEnvFlags & kBannedFlags) == 0, "LMDB must stay in its fully durable mode");

constexpr mdb_mode_t kFileMode = 0640;

}  // namespace

absl::StatusOr<LmdbEnv> LmdbEnv::Open(const std::string& dir, size_t map_size,
                                      unsigned max_tables) {
  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "create environment", dir);
  }
  // Owns `raw` from here on, so every early return below closes it.
  LmdbEnv env(raw, dir);
  if (int rc = mdb_env_set_maxdbs(raw, max_tables); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "set max tables", dir);
  }
  if (int rc = mdb_env_set_mapsize(raw, map_size); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "set map size", dir);
  }
  if (int rc = mdb_env_open(raw, dir.c_str(), kEnvFlags, kFileMode); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "open environment", dir);
  }
  return env;
}

LmdbEnv::LmdbEnv(LmdbEnv&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)), path_(std::move(other.path_)) {}

LmdbEnv& LmdbEnv::operator=(LmdbEnv&& other) noexcept {
  if (this != &other) {
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

LmdbEnv::~LmdbEnv() {
  if (env_ != nullptr) mdb_env_close(env_);
}

absl::StatusOr<int> LmdbEnv::CheckReaders() {
  int dead = 0;
  if (int rc = mdb_reader_check(env_, &dead); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "check readers", path_);
  }
  return dead;
}

size_t LmdbEnv::map_size() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

size_t LmdbEnv::used_bytes() const {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  MDB_stat stat;
  mdb_env_stat(env_, &stat);
  return (info.me_last_pgno + 1) * size_t{stat.ms_psize};
}

size_t LmdbEnv::max_key_size() const { return static_cast<size_t>(mdb_env_get_maxkeysize(env_)); }

absl::Status LmdbEnv::SetMapSize(size_t bytes) {
  if (int rc = mdb_env_set_mapsize(env_, bytes); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "set map size", path_);
  }
  return absl::OkStatus();
}

absl::Status LmdbEnv::CopyCompact(const std::string& dir) const {
  if (int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT); rc != MDB_SUCCESS) {
    return MdbStatus(rc, "compacting copy to " + dir, path_);
  }
  return absl::OkStatus();
}

}  // namespace rapport::store
