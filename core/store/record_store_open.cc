// RecordStore::Open: the checks that decide whether a directory holds a store we may use, and
// the creation of a new one. Every refusal happens before anything is written.
#include <lmdb.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/store/lmdb_status.h"
#include "core/store/record_store.h"

namespace rapport::store {
namespace {

namespace fs = std::filesystem;

constexpr char kNotRapport[] = " holds an LMDB database that is not a Rapport store";
// Below this LMDB cannot even create the tables; it is a floor, not a tuning knob.
constexpr uint64_t kMinMapSize = 64 << 10;
constexpr int kMaxCreateResizes = 20;

constexpr const char* kTableNames[] = {layout::kRecords, layout::kChanges, layout::kIndexes,
                                       layout::kPeers, layout::kMeta};

Table* TableByIndex(layout::Tables& t, int i) {
  Table* all[] = {&t.records, &t.changes, &t.indexes, &t.peers, &t.meta};
  return all[i];
}

absl::Status Refuse(const std::string& path, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("store at ", path, why));
}

}  // namespace

absl::StatusOr<std::optional<layout::Tables>> RecordStore::OpenExisting(const LmdbEnv& env) {
  ASSIGN_OR_RETURN(ReadTxn txn, ReadTxn::Begin(env));
  ASSIGN_OR_RETURN(std::optional<Table> main, txn.OpenTable(nullptr, 0));
  ASSIGN_OR_RETURN(MDB_stat main_stat, txn.Stat(*main));
  absl::StatusOr<std::optional<Table>> meta = txn.OpenTable(layout::kMeta, 0);
  // MDB_INCOMPATIBLE: the main database has a plain key named "meta".
  if (IsMdbCode(meta.status(), MDB_INCOMPATIBLE)) return Refuse(env.path(), kNotRapport);
  RETURN_IF_ERROR(meta.status());
  if (!*meta) {
    if (main_stat.ms_entries == 0) return std::nullopt;  // an empty environment: a new store
    return Refuse(env.path(), kNotRapport);
  }
  ASSIGN_OR_RETURN(std::optional<std::string_view> magic, txn.Get(**meta, layout::kMetaMagic));
  if (!magic || *magic != layout::kMagic) return Refuse(env.path(), kNotRapport);
  ASSIGN_OR_RETURN(std::optional<std::string_view> version_bytes,
                   txn.Get(**meta, layout::kMetaFormatVersion));
  const std::optional<uint64_t> version =
      version_bytes ? layout::DecodeU64(*version_bytes) : std::nullopt;
  if (!version) return Refuse(env.path(), " is damaged: its format version is missing");
  if (*version > layout::kFormatVersion) {
    return Refuse(env.path(),
                  absl::StrCat(" has format version ", *version, "; this build supports up to ",
                               layout::kFormatVersion, "; upgrade rapport"));
  }
  if (*version < layout::kFormatVersion) {
    // Format 1 records and postings are laid out differently; reading them as format 2 would
    // fail record by record. Its data is not lost: the older build still reads it.
    return Refuse(env.path(),
                  absl::StrCat(" has format version ", *version,
                               ", written by an older rapport; this build reads only format ",
                               layout::kFormatVersion,
                               ": export its records with the older build and import them, or, "
                               "for a replica that syncs, move the store aside and sync again"));
  }
  layout::Tables tables;
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(std::optional<Table> t, txn.OpenTable(kTableNames[i], 0));
    if (!t) {
      return Refuse(env.path(),
                    absl::StrCat(" is damaged: table '", kTableNames[i], "' is missing"));
    }
    *TableByIndex(tables, i) = *t;
  }
  // Committing (not aborting) keeps the table handles open for the store's lifetime.
  RETURN_IF_ERROR(txn.Commit());
  return tables;
}

absl::StatusOr<layout::Tables> RecordStore::Create(LmdbEnv& env, const StoreOptions& options) {
  absl::BitGen rng;
  crdt::ReplicaId replica = 0;
  while (replica == 0) replica = absl::Uniform<uint64_t>(rng);
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(WriteTxn txn, WriteTxn::Begin(env));
    // Another process may have created the store since OpenExisting looked; write transactions
    // are serialised, so this check is final.
    ASSIGN_OR_RETURN(std::optional<Table> existing, txn.OpenTable(layout::kMeta, 0));
    if (existing) {
      txn.Abort();
      ASSIGN_OR_RETURN(std::optional<layout::Tables> tables, OpenExisting(env));
      if (tables) return *tables;
      return absl::InternalError(
          absl::StrCat("store at ", env.path(), " vanished while it was being created"));
    }
    layout::Tables tables;
    absl::Status s;
    for (int i = 0; i < 5 && s.ok(); ++i) {
      absl::StatusOr<std::optional<Table>> t = txn.OpenTable(kTableNames[i], MDB_CREATE);
      if (t.ok()) *TableByIndex(tables, i) = **t;
      s = t.status();
    }
    const std::pair<std::string_view, std::string> meta[] = {
        {layout::kMetaMagic, std::string(layout::kMagic)},
        {layout::kMetaFormatVersion, layout::EncodeU64(layout::kFormatVersion)},
        {layout::kMetaReplicaId, layout::EncodeU64(replica)},
        {layout::kMetaClock, layout::EncodeU64(0)},
        {layout::kMetaLastSeq, layout::EncodeU64(0)},
        {layout::kMetaSchemaHash, options.schema_hash},
    };
    for (const auto& [key, value] : meta) {
      if (s.ok()) s = txn.Put(tables.meta, key, value);
    }
    if (s.ok()) s = txn.Commit();
    if (s.ok()) return tables;
    if (!IsMdbCode(s, MDB_MAP_FULL) || attempt == kMaxCreateResizes) return s;
    txn.Abort();
    RETURN_IF_ERROR(env.SetMapSize(env.map_size() * 2));
  }
}

namespace {
// The aux table, created if the store predates it. A write transaction: it may have to create.
absl::StatusOr<Table> OpenAuxTable(const LmdbEnv& env) {
  ASSIGN_OR_RETURN(WriteTxn txn, WriteTxn::Begin(env));
  ASSIGN_OR_RETURN(std::optional<Table> aux, txn.OpenTable(layout::kAux, MDB_CREATE));
  RETURN_IF_ERROR(txn.Commit());
  return *aux;
}
}  // namespace

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::OpenImpl(const std::string& dir,
                                                                   StoreOptions options) {
  absl::StatusOr<LmdbEnv> env =
      LmdbEnv::Open(dir, std::max(options.initial_map_size, kMinMapSize), layout::kMaxTables);
  if (IsMdbCode(env.status(), MDB_INVALID) || IsMdbCode(env.status(), MDB_VERSION_MISMATCH)) {
    return Refuse(dir, absl::StrCat(": data.mdb is not an LMDB file of this version (",
                                    env.status().message(), "); refusing to touch it"));
  }
  RETURN_IF_ERROR(env.status());
  // Reader slots of processes that died would otherwise pin old pages for good.
  RETURN_IF_ERROR(env->CheckReaders().status());
  ASSIGN_OR_RETURN(std::optional<layout::Tables> tables, OpenExisting(*env));
  if (!tables) {
    ASSIGN_OR_RETURN(tables, Create(*env, options));
  }
  ASSIGN_OR_RETURN(tables->aux, OpenAuxTable(*env));
  const std::string schema_hash = options.schema_hash;
  auto store =
      std::make_unique<RecordStore>(PassKey(), dir, *std::move(env), *tables, std::move(options));
  RETURN_IF_ERROR(store->LoadMeta(schema_hash));
  return store;
}

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Open(const std::string& dir,
                                                               StoreOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create store directory ", dir, ": ", ec.message()));
  }
  // LMDB creates lock.mdb before it looks at data.mdb; a refusal must leave the directory as it
  // found it, so a lock file made by this attempt goes again.
  const fs::path lock = fs::path(dir) / "lock.mdb";
  const bool had_lock = fs::exists(lock, ec);
  absl::StatusOr<std::unique_ptr<RecordStore>> store = OpenImpl(dir, std::move(options));
  if (!store.ok() && !had_lock && store.status().code() == absl::StatusCode::kFailedPrecondition) {
    fs::remove(lock, ec);
  }
  return store;
}

absl::Status RecordStore::LoadMeta(const std::string& schema_hash) {
  std::string stored_hash;
  crdt::Hlc clock = 0;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    auto number = [&](std::string_view key) -> absl::StatusOr<uint64_t> {
      ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, txn.Get(tables_.meta, key));
      std::optional<uint64_t> v = bytes ? layout::DecodeU64(*bytes) : std::nullopt;
      if (!v) {
        return absl::DataLossError(absl::StrCat("store at ", dir_, ": meta key '",
                                                absl::string_view(key.data(), key.size()),
                                                "' is missing or malformed"));
      }
      return *v;
    };
    ASSIGN_OR_RETURN(replica_id_, number(layout::kMetaReplicaId));
    ASSIGN_OR_RETURN(const uint64_t last_seq, number(layout::kMetaLastSeq));
    last_seq_.store(last_seq);
    ASSIGN_OR_RETURN(clock, number(layout::kMetaClock));
    ASSIGN_OR_RETURN(std::optional<std::string_view> hash,
                     txn.Get(tables_.meta, layout::kMetaSchemaHash));
    if (hash) stored_hash = std::string(*hash);
    return absl::OkStatus();
  }));
  {
    // Not inside WithRead: the lock order is write_mu_ before env_mu_.
    absl::MutexLock lock(&write_mu_);
    clock_ = clock;
  }
  if (schema_hash.empty() || schema_hash == stored_hash) return absl::OkStatus();
  // Informational for now, so it simply follows the schema of the latest opener.
  for (int attempt = 0;; ++attempt) {
    absl::Status s = [&]() -> absl::Status {
      absl::ReaderMutexLock lock(&env_mu_);
      ASSIGN_OR_RETURN(WriteTxn txn, WriteTxn::Begin(env_));
      RETURN_IF_ERROR(txn.Put(tables_.meta, layout::kMetaSchemaHash, schema_hash));
      return txn.Commit();
    }();
    if (!IsMdbCode(s, MDB_MAP_FULL) || attempt == kMaxCreateResizes) return s;
    RETURN_IF_ERROR(ResizeMap(/*adopt=*/false));
  }
}

}  // namespace rapport::store
