// CheckStoreConsistency passes a healthy store and fails each kind of damage a torn commit could
// leave: a record without its change-feed entry, a record with two, a feed entry behind the
// record's latest change, a missing posting and a stale one. The damage is done with raw LMDB
// calls beneath the store, as a crash (or a bug) would leave it.
#include "tests/fault/store_consistency.h"

#include <lmdb.h>

#include <functional>
#include <memory>
#include <string>

#include "core/store/store_layout.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/temp_dir.h"

namespace rapport::fault {
namespace {

// One raw LMDB write transaction on a closed store directory, committed by Commit().
class RawWrite {
 public:
  explicit RawWrite(const std::string& dir) {
    EXPECT_EQ(mdb_env_create(&env_), 0);
    mdb_env_set_maxdbs(env_, store::layout::kMaxTables);
    EXPECT_EQ(mdb_env_open(env_, dir.c_str(), 0, 0644), 0) << dir;
    EXPECT_EQ(mdb_txn_begin(env_, nullptr, 0, &txn_), 0);
  }
  ~RawWrite() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    mdb_env_close(env_);
  }
  RawWrite(const RawWrite&) = delete;
  RawWrite& operator=(const RawWrite&) = delete;

  MDB_dbi Table(const char* name) {
    MDB_dbi dbi = 0;
    EXPECT_EQ(mdb_dbi_open(txn_, name, 0, &dbi), 0) << name;
    return dbi;
  }
  // The first entry of `table` (key, value).
  std::pair<std::string, std::string> First(const char* name) {
    MDB_cursor* cursor = nullptr;
    EXPECT_EQ(mdb_cursor_open(txn_, Table(name), &cursor), 0);
    MDB_val key{}, value{};
    EXPECT_EQ(mdb_cursor_get(cursor, &key, &value, MDB_FIRST), 0) << name << " is empty";
    std::pair<std::string, std::string> out{
        std::string(static_cast<const char*>(key.mv_data), key.mv_size),
        std::string(static_cast<const char*>(value.mv_data), value.mv_size)};
    mdb_cursor_close(cursor);
    return out;
  }
  void Put(const char* name, const std::string& key, const std::string& value) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    EXPECT_EQ(mdb_put(txn_, Table(name), &k, &v, 0), 0);
  }
  // The value under `key` in `name` (empty if absent).
  std::string Get(const char* name, const std::string& key) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{};
    if (mdb_get(txn_, Table(name), &k, &v) != 0) return "";
    return std::string(static_cast<const char*>(v.mv_data), v.mv_size);
  }
  // The number the store gave index `index` (its postings start with it).
  uint32_t IndexNumber(const std::string& index) {
    const std::optional<uint64_t> number =
        store::layout::DecodeU64(Get(store::layout::kMeta, store::layout::IndexNumberKey(index)));
    EXPECT_TRUE(number.has_value()) << "index " << index << " has no number";
    return static_cast<uint32_t>(number.value_or(0));
  }
  void Delete(const char* name, const std::string& key) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    EXPECT_EQ(mdb_del(txn_, Table(name), &k, nullptr), 0);
  }
  void Commit() {
    EXPECT_EQ(mdb_txn_commit(txn_), 0);
    txn_ = nullptr;
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
};

class StoreConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("store");
    auto replica = Replica::Open(dir_);
    ASSERT_TRUE(replica.ok()) << replica.status();
    for (const char* name : {"Chen Hardware", "Lina Rice Mill", "Wang Tea House"}) {
      auto done = (*replica)->Apply(
          {Mutation::Create("customer", {{"name", std::string(name)}, {"city", "Hangzhou"}})});
      ASSERT_TRUE(done.ok()) << done.status();
      ASSERT_TRUE((*replica)
                      ->Apply({Mutation::AddElement(done->created.at(0), "tags", "vip"),
                               Mutation::Increment(done->created.at(0), "loyalty_points", 5)})
                      .ok());
    }
  }

  // Damages the closed store with `damage`, then checks it.
  absl::Status CheckAfter(const std::function<void(RawWrite&)>& damage) {
    {
      RawWrite raw(dir_);
      damage(raw);
      raw.Commit();
    }
    return CheckStoreDirConsistency(dir_);
  }

  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(StoreConsistencyTest, HealthyStorePasses) {
  EXPECT_TRUE(CheckStoreDirConsistency(dir_).ok()) << CheckStoreDirConsistency(dir_);
}

TEST_F(StoreConsistencyTest, RecordWithoutChangeFeedEntryFails) {
  const absl::Status status = CheckAfter([](RawWrite& raw) {
    raw.Delete(store::layout::kChanges, raw.First(store::layout::kChanges).first);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("no change-feed entry"), std::string::npos) << status;
}

TEST_F(StoreConsistencyTest, RecordWithTwoChangeFeedEntriesFails) {
  const absl::Status status = CheckAfter([](RawWrite& raw) {
    // A second entry for the first record, at a seq no record holds.
    const auto [seq, id] = raw.First(store::layout::kChanges);
    raw.Put(store::layout::kChanges,
            store::layout::EncodeU64(*store::layout::DecodeU64(seq) + 1000), id);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("second change-feed entry"), std::string::npos) << status;
}

TEST_F(StoreConsistencyTest, FeedEntryBehindTheRecordsLatestChangeFails) {
  const absl::Status status = CheckAfter([](RawWrite& raw) {
    // The first record's entry put back one seq, where its latest change is not.
    const auto [seq, id] = raw.First(store::layout::kChanges);
    raw.Delete(store::layout::kChanges, seq);
    raw.Put(store::layout::kChanges, store::layout::EncodeU64(*store::layout::DecodeU64(seq) - 1),
            id);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("latest change at seq"), std::string::npos) << status;
}

TEST_F(StoreConsistencyTest, MissingPostingFails) {
  const absl::Status status = CheckAfter([](RawWrite& raw) {
    raw.Delete(store::layout::kIndexes, raw.First(store::layout::kIndexes).first);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("lacks its posting"), std::string::npos) << status;
}

TEST_F(StoreConsistencyTest, StalePostingFails) {
  const absl::Status status = CheckAfter([](RawWrite& raw) {
    // The first record also posted under a city it does not have.
    const auto [seq, id_bytes] = raw.First(store::layout::kChanges);
    auto id = crdt::RecordId::FromBytes(id_bytes);
    ASSERT_TRUE(id.ok());
    raw.Put(store::layout::kIndexes,
            store::layout::PostingKey(raw.IndexNumber("city"), "Suzhou", *id), "");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("stale"), std::string::npos) << status;
}

}  // namespace
}  // namespace rapport::fault
