// Opening: a new store is created once and kept; anything that is not a store this build may
// use is refused without a byte changing on disk; the map grows from a tiny initial size.
#include <lmdb.h>

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/store/lmdb_env.h"
#include "core/store/lmdb_txn.h"
#include "core/store/record_store.h"
#include "core/store/store_layout.h"
#include "gtest/gtest.h"
#include "tests/core/store/store_test_util.h"

namespace rapport::store {
namespace {

using testing::kName;
using testing::ReadFile;
using testing::TempDir;
using testing::TestOptions;
using testing::WriteFile;

constexpr uint64_t kNow = 1'700'000'000'000;

// Writes `key` = `value` into table `table` (the main database if nullptr) of the LMDB
// environment in `dir`, bypassing RecordStore.
void RawPut(const std::string& dir, const char* table, std::string_view key,
            std::string_view value) {
  ASSERT_OK_AND_ASSIGN(LmdbEnv env, LmdbEnv::Open(dir, 1 << 20, layout::kMaxTables));
  ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(env));
  ASSERT_OK_AND_ASSIGN(std::optional<Table> t, txn.OpenTable(table, MDB_CREATE));
  ASSERT_OK(txn.Put(*t, key, value));
  ASSERT_OK(txn.Commit());
}

// Open must fail with FailedPrecondition mentioning `expected`, leaving data.mdb as it was.
void ExpectRefusedUnchanged(const std::string& dir, const std::string& expected) {
  const std::string data = dir + "/data.mdb";
  const std::string before = ReadFile(data);
  ASSERT_FALSE(before.empty());
  uint64_t now = kNow;
  absl::StatusOr<std::unique_ptr<RecordStore>> store = RecordStore::Open(dir, TestOptions(&now));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find(expected), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find(dir), absl::string_view::npos) << store.status();
  EXPECT_EQ(ReadFile(data), before);
}

TEST(StoreOpen, CreatesTheStoreOnceWithARandomReplicaId) {
  TempDir a, b;
  uint64_t now = kNow;
  ASSERT_OK_AND_ASSIGN(auto first, RecordStore::Open(a.Sub("nested/dir"), TestOptions(&now)));
  ASSERT_OK_AND_ASSIGN(auto other, RecordStore::Open(b.path(), TestOptions(&now)));
  EXPECT_NE(first->replica_id(), 0u);
  EXPECT_NE(first->replica_id(), other->replica_id());
  const crdt::ReplicaId replica = first->replica_id();
  first.reset();
  ASSERT_OK_AND_ASSIGN(first, RecordStore::Open(a.Sub("nested/dir"), TestOptions(&now)));
  EXPECT_EQ(first->replica_id(), replica);
}

TEST(StoreOpen, RefusesANewerFormatVersionAndChangesNothing) {
  TempDir dir;
  {
    uint64_t now = kNow;
    ASSERT_OK_AND_ASSIGN(auto store, RecordStore::Open(dir.path(), TestOptions(&now)));
  }
  RawPut(dir.path(), layout::kMeta, layout::kMetaFormatVersion,
         layout::EncodeU64(layout::kFormatVersion + 1));
  ExpectRefusedUnchanged(dir.path(), absl::StrCat("has format version ", layout::kFormatVersion + 1,
                                                  "; this build supports up to ",
                                                  layout::kFormatVersion, "; upgrade rapport"));
}

TEST(StoreOpen, RefusesAnOlderFormatVersionAndChangesNothing) {
  TempDir dir;
  {
    uint64_t now = kNow;
    ASSERT_OK_AND_ASSIGN(auto store, RecordStore::Open(dir.path(), TestOptions(&now)));
  }
  RawPut(dir.path(), layout::kMeta, layout::kMetaFormatVersion,
         layout::EncodeU64(layout::kFormatVersion - 1));
  ExpectRefusedUnchanged(
      dir.path(), absl::StrCat("has format version ", layout::kFormatVersion - 1,
                               ", written by an older rapport; this build reads only format ",
                               layout::kFormatVersion));
}

TEST(StoreOpen, RefusesAnLmdbFileThatIsNotARapportStoreAndChangesNothing) {
  TempDir dir;
  RawPut(dir.path(), nullptr, "someone-elses-key", "value");
  ExpectRefusedUnchanged(dir.path(), "not a Rapport store");
}

TEST(StoreOpen, RefusesAMetaTableWithoutTheMagicAndChangesNothing) {
  TempDir dir;
  RawPut(dir.path(), layout::kMeta, "format_version", layout::EncodeU64(1));
  ExpectRefusedUnchanged(dir.path(), "not a Rapport store");
}

TEST(StoreOpen, RefusesAFileThatIsNotLmdbAndChangesNothing) {
  TempDir dir;
  std::mt19937_64 rng(12345);
  std::string junk(64 << 10, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  WriteFile(dir.Sub("data.mdb"), junk);
  ExpectRefusedUnchanged(dir.path(), "not an LMDB file");
  // The lock file LMDB made while looking is gone again: the directory is as it was.
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("lock.mdb")));
}

TEST(StoreOpen, MapGrowsFromATinyInitialSizeThroughThousandsOfRecords) {
  TempDir dir;
  uint64_t now = kNow;
  StoreOptions options = TestOptions(&now);
  options.initial_map_size = 64 << 10;
  ASSERT_OK_AND_ASSIGN(auto store, RecordStore::Open(dir.path(), options));
  int runs = 0;  // counts reruns of the write function after growth
  std::vector<crdt::RecordId> ids;
  for (int batch = 0; batch < 30; ++batch) {
    ASSERT_OK(store->Write([&](WriteTransaction& tx) -> absl::Status {
      ++runs;
      ids.resize(batch * 100);  // a rerun starts the batch over
      for (int i = 0; i < 100; ++i) {
        ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
        ids.push_back(c.id);
        RETURN_IF_ERROR(c.edit->Set(kName, absl::StrCat("customer ", batch, "/", i)));
        RETURN_IF_ERROR(c.edit->AddElement(testing::kTags, "tag"));
      }
      return absl::OkStatus();
    }));
  }
  EXPECT_GT(runs, 30);  // the map really was full at least once
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store->Stats());
  EXPECT_EQ(stats.records, 3000u);
  EXPECT_EQ(stats.changes, 3000u);
  EXPECT_EQ(stats.postings, 6000u);
  EXPECT_GT(stats.map_bytes, uint64_t{1} << 20);

  // A reopen with the same tiny setting adopts the file's size and keeps every record.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, RecordStore::Open(dir.path(), options));
  for (const crdt::RecordId& id : {ids.front(), ids[1500], ids.back()}) {
    ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> r, store->Get(id));
    EXPECT_TRUE(r.has_value());
  }
  ASSERT_OK(store->Write([&](WriteTransaction& tx) { return tx.Create("customer").status(); }));
  EXPECT_EQ(store->last_seq(), 3001u);
}

}  // namespace
}  // namespace rapport::store
