// The RAII contract of the LMDB wrappers: uncommitted write transactions abort, a failed commit
// still ends the transaction, not-found is a value, and errors name the operation and table.
#include <lmdb.h>

#include <string>

#include "core/store/lmdb_env.h"
#include "core/store/lmdb_status.h"
#include "core/store/lmdb_txn.h"
#include "gtest/gtest.h"
#include "tests/core/store/store_test_util.h"

namespace rapport::store {
namespace {

using testing::TempDir;

struct Fixture {
  LmdbEnv env;
  Table table;
};

absl::StatusOr<Fixture> OpenWithTable(const std::string& dir, size_t map_size) {
  ASSIGN_OR_RETURN(LmdbEnv env, LmdbEnv::Open(dir, map_size, 4));
  ASSIGN_OR_RETURN(WriteTxn txn, WriteTxn::Begin(env));
  ASSIGN_OR_RETURN(std::optional<Table> table, txn.OpenTable("t", MDB_CREATE));
  RETURN_IF_ERROR(txn.Commit());
  return Fixture{std::move(env), *table};
}

TEST(LmdbTxn, UncommittedWriteTxnAbortsInDestructor) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  {
    ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(f.env));
    ASSERT_OK(txn.Put(f.table, "k", "v"));
    ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> inside, txn.Get(f.table, "k"));
    EXPECT_EQ(inside, "v");
  }  // no Commit
  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> after, read.Get(f.table, "k"));
  EXPECT_EQ(after, std::nullopt);
}

TEST(LmdbTxn, CommitMakesWritesVisibleAndEndsTheTxn) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(f.env));
  ASSERT_OK(txn.Put(f.table, "k", "v"));
  ASSERT_OK(txn.Commit());
  EXPECT_FALSE(txn.active());
  const absl::Status again = txn.Put(f.table, "k2", "v");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_EQ(txn.Commit().code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> v, read.Get(f.table, "k"));
  EXPECT_EQ(v, "v");
}

TEST(LmdbTxn, MovedFromTxnIsInertAndMovedToTxnCommits) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  ASSERT_OK_AND_ASSIGN(WriteTxn a, WriteTxn::Begin(f.env));
  ASSERT_OK(a.Put(f.table, "k", "v"));
  WriteTxn b = std::move(a);
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): the contract under test
  ASSERT_OK(b.Commit());
  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> v, read.Get(f.table, "k"));
  EXPECT_EQ(v, "v");
}

// A full map poisons the transaction: LMDB's commit then fails and frees the handle anyway.
// The wrapper must report the failure, end the transaction, and not abort it a second time in
// its destructor (which would be a double free, caught by the ASan build).
TEST(LmdbTxn, CommitFailureEndsTheTxnAndReportsWhy) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 64 << 10));
  ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(f.env));
  const std::string value(1000, 'x');
  absl::Status put;
  for (int i = 0; i < 1000 && put.ok(); ++i) put = txn.Put(f.table, std::to_string(i), value);
  ASSERT_TRUE(IsMdbCode(put, MDB_MAP_FULL)) << put;
  EXPECT_EQ(put.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(txn.map_full());

  const absl::Status commit = txn.Commit();
  EXPECT_FALSE(commit.ok());
  EXPECT_NE(commit.message().find("commit"), absl::string_view::npos) << commit;
  EXPECT_FALSE(txn.active());
  // Nothing of the failed transaction is visible.
  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> v, read.Get(f.table, "0"));
  EXPECT_EQ(v, std::nullopt);
}

TEST(LmdbTxn, DeleteReportsWhetherTheKeyExisted) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(f.env));
  ASSERT_OK(txn.Put(f.table, "k", "v"));
  ASSERT_OK_AND_ASSIGN(bool existed, txn.Delete(f.table, "k"));
  EXPECT_TRUE(existed);
  ASSERT_OK_AND_ASSIGN(existed, txn.Delete(f.table, "k"));
  EXPECT_FALSE(existed);
}

TEST(LmdbTxn, MissingTableIsNulloptWithoutCreate) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  ASSERT_OK_AND_ASSIGN(std::optional<Table> missing, read.OpenTable("nope", 0));
  EXPECT_EQ(missing, std::nullopt);
}

TEST(LmdbCursor, WalksInKeyOrderAndSeeksToFirstKeyNotBelow) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Fixture f, OpenWithTable(dir.path(), 1 << 20));
  ASSERT_OK_AND_ASSIGN(WriteTxn txn, WriteTxn::Begin(f.env));
  for (const char* k : {"c", "a", "e", "b"}) ASSERT_OK(txn.Put(f.table, k, "v"));
  ASSERT_OK(txn.Commit());

  ASSERT_OK_AND_ASSIGN(ReadTxn read, ReadTxn::Begin(f.env));
  std::string walked;
  ASSERT_OK(read.WithCursor(f.table, [&](Cursor& c) -> absl::Status {
    ASSIGN_OR_RETURN(auto kv, c.First());
    while (kv) {
      walked += kv->key;
      ASSIGN_OR_RETURN(kv, c.Next());
    }
    ASSIGN_OR_RETURN(auto d, c.Seek("d"));
    EXPECT_EQ(d->key, "e");
    ASSIGN_OR_RETURN(auto end, c.Seek("f"));
    EXPECT_EQ(end, std::nullopt);
    ASSIGN_OR_RETURN(auto last, c.Last());
    EXPECT_EQ(last->key, "e");
    return absl::OkStatus();
  }));
  EXPECT_EQ(walked, "abce");
}

TEST(LmdbStatus, MessageNamesOperationTableAndLmdbReason) {
  const absl::Status s = MdbStatus(MDB_MAP_FULL, "put", "records");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("put"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("'records'"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(mdb_strerror(MDB_MAP_FULL)), absl::string_view::npos) << s;
  EXPECT_EQ(MdbCodeOf(s), MDB_MAP_FULL);
  EXPECT_EQ(MdbCodeOf(absl::InternalError("x")), std::nullopt);
  EXPECT_EQ(MdbStatus(MDB_CORRUPTED, "get", "t").code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace rapport::store
