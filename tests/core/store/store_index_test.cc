// Secondary indexes: postings follow every record write in the same transaction, and Scan pages
// through them in key order.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "tests/core/store/store_test_util.h"

namespace rapport::store {
namespace {

using testing::kName;
using testing::kTags;
using testing::TempDir;
using testing::TestOptions;

class StoreIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, RecordStore::Open(dir_.path(), TestOptions(&now_)));
  }

  absl::Status EditRecord(const crdt::RecordId& id,
                          const std::function<absl::Status(crdt::RecordEdit&)>& fn) {
    return store_
        ->Write([&](WriteTransaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(id));
          return fn(*edit);
        })
        .status();
  }

  // Every id with a posting equal to `key` in `index`.
  std::vector<crdt::RecordId> Exactly(const std::string& index, const std::string& key) {
    absl::StatusOr<QueryPage> page = store_->Scan(index, key, key + '\0', 1000, "");
    EXPECT_OK(page);
    return page.ok() ? page->ids : std::vector<crdt::RecordId>{};
  }

  uint64_t Postings() {
    absl::StatusOr<StoreStats> stats = store_->Stats();
    EXPECT_OK(stats);
    return stats.ok() ? stats->postings : 0;
  }

  TempDir dir_;
  uint64_t now_ = 1'700'000'000'000;
  std::unique_ptr<RecordStore> store_;
};

using Ids = std::vector<crdt::RecordId>;

TEST_F(StoreIndexTest, PostingsFollowInsertUpdateDeleteAndErase) {
  crdt::RecordId id;
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    id = c.id;
    RETURN_IF_ERROR(c.edit->Set(kName, std::string("Ada")));
    RETURN_IF_ERROR(c.edit->AddElement(kTags, "vip"));
    return c.edit->AddElement(kTags, "north");
  }));
  EXPECT_EQ(Exactly("name", "Ada"), Ids{id});
  EXPECT_EQ(Exactly("tags", "vip"), Ids{id});
  EXPECT_EQ(Postings(), 3u);

  // An update moves the posting.
  ASSERT_OK(EditRecord(id, [](crdt::RecordEdit& e) { return e.Set(kName, std::string("Bea")); }));
  EXPECT_EQ(Exactly("name", "Ada"), Ids{});
  EXPECT_EQ(Exactly("name", "Bea"), Ids{id});
  ASSERT_OK(EditRecord(id, [](crdt::RecordEdit& e) { return e.RemoveElement(kTags, "north"); }));
  EXPECT_EQ(Exactly("tags", "north"), Ids{});
  EXPECT_EQ(Postings(), 2u);

  // Deleted records are not found by queries; undeleting brings them back.
  ASSERT_OK(EditRecord(id, [](crdt::RecordEdit& e) { return e.Delete(); }));
  EXPECT_EQ(Postings(), 0u);
  ASSERT_OK(EditRecord(id, [](crdt::RecordEdit& e) { return e.Undelete(); }));
  EXPECT_EQ(Exactly("name", "Bea"), Ids{id});
  EXPECT_EQ(Postings(), 2u);

  ASSERT_OK(EditRecord(id, [](crdt::RecordEdit& e) {
    e.Erase();
    return absl::OkStatus();
  }));
  EXPECT_EQ(Postings(), 0u);
}

TEST_F(StoreIndexTest, RemoteDeltaMaintainsPostingsToo) {
  TempDir other_dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> other,
                       RecordStore::Open(other_dir.path(), TestOptions(&now_)));
  crdt::RecordId id;
  ASSERT_OK(other->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    id = c.id;
    return c.edit->Set(kName, std::string("Ada"));
  }));
  std::vector<crdt::Record> deltas;
  ASSERT_OK(other->ChangesSince(0, 10, [&](const crdt::Record& d, uint64_t) {
    deltas.push_back(d);
    return true;
  }));
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    for (const crdt::Record& d : deltas) RETURN_IF_ERROR(tx.ApplyRemote(d));
    return absl::OkStatus();
  }));
  EXPECT_EQ(Exactly("name", "Ada"), Ids{id});
}

TEST_F(StoreIndexTest, ScanPagesInKeyOrderWithResumeCursor) {
  std::vector<std::string> names;
  for (int i = 0; i < 25; ++i) names.push_back(absl::StrCat("n", i < 10 ? "0" : "", i));
  std::vector<std::string> shuffled = names;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  std::map<crdt::RecordId, std::string> name_of;
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    for (const std::string& name : shuffled) {
      ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
      name_of[c.id] = name;
      RETURN_IF_ERROR(c.edit->Set(kName, name));
    }
    return absl::OkStatus();
  }));

  std::vector<std::string> scanned;
  std::vector<size_t> page_sizes;
  std::string cursor;
  for (int page_no = 0; page_no < 10; ++page_no) {
    ASSERT_OK_AND_ASSIGN(QueryPage page, store_->Scan("name", "", "", 7, cursor));
    page_sizes.push_back(page.ids.size());
    for (const crdt::RecordId& id : page.ids) scanned.push_back(name_of[id]);
    cursor = page.next_cursor;
    if (cursor.empty()) break;
  }
  EXPECT_EQ(scanned, names);
  EXPECT_EQ(page_sizes, (std::vector<size_t>{7, 7, 7, 4}));

  // A page that ends exactly at the last posting says so: no empty extra page.
  ASSERT_OK_AND_ASSIGN(QueryPage exact, store_->Scan("name", "n04", "", 21, ""));
  EXPECT_EQ(exact.ids.size(), 21u);
  EXPECT_TRUE(exact.next_cursor.empty());
}

TEST_F(StoreIndexTest, ScanHonoursLowAndHighBoundsAndOtherIndexes) {
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    for (int i = 0; i < 20; ++i) {
      ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
      RETURN_IF_ERROR(c.edit->Set(kName, absl::StrCat("n", i < 10 ? "0" : "", i)));
      RETURN_IF_ERROR(c.edit->AddElement(kTags, "t"));
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(QueryPage range, store_->Scan("name", "n05", "n10", 100, ""));
  EXPECT_EQ(range.ids.size(), 5u);
  EXPECT_TRUE(range.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(QueryPage tags, store_->Scan("tags", "", "", 100, ""));
  EXPECT_EQ(tags.ids.size(), 20u);
  ASSERT_OK_AND_ASSIGN(QueryPage none, store_->Scan("city", "", "", 100, ""));
  EXPECT_TRUE(none.ids.empty());
}

TEST_F(StoreIndexTest, ScanRefusesBadArguments) {
  EXPECT_EQ(store_->Scan("", "", "", 1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Scan(std::string("a\0b", 3), "", "", 1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Scan("name", "", "", 0, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Scan("name", "", "", 1, "short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Raw index keys may be prefixes of each other and hold NUL bytes; exact matches and ranges must
// still be exact.
TEST(StoreIndex, KeysThatArePrefixesOrHoldNulScanExactly) {
  TempDir dir;
  uint64_t now = 1'700'000'000'000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> store,
                       RecordStore::Open(dir.path(), TestOptions(&now)));
  const std::vector<std::string> names = {"a", std::string("a\0b", 3), "a\x01", "b"};
  std::map<std::string, crdt::RecordId> id_of;
  ASSERT_OK(store->Write([&](WriteTransaction& tx) -> absl::Status {
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
      id_of[name] = c.id;
      RETURN_IF_ERROR(c.edit->Set(kName, name));
    }
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(QueryPage exact, store->Scan("name", "a", std::string("a\0", 2), 10, ""));
  EXPECT_EQ(exact.ids, Ids{id_of["a"]});
  ASSERT_OK_AND_ASSIGN(QueryPage range, store->Scan("name", "a", "b", 10, ""));
  EXPECT_EQ(range.ids, (Ids{id_of["a"], id_of[names[1]], id_of["a\x01"]}));
  ASSERT_OK_AND_ASSIGN(QueryPage from_nul, store->Scan("name", std::string("a\0", 2), "", 10, ""));
  EXPECT_EQ(from_nul.ids, (Ids{id_of[names[1]], id_of["a\x01"], id_of["b"]}));
}

TEST(StoreIndex, MalformedPostingFromExtractorFailsTheWholeWrite) {
  TempDir dir;
  uint64_t now = 1'700'000'000'000;
  StoreOptions options = TestOptions(&now);
  options.indexes = [](const crdt::Record&) {
    return std::vector<IndexEntry>{{std::string("bad\0name", 8), "k"}};
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> store, RecordStore::Open(dir.path(), options));
  crdt::RecordId id;
  absl::StatusOr<ChangeSet> r = store->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    id = c.id;
    return absl::OkStatus();
  });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(id.ToString()), absl::string_view::npos) << r.status();
  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> stored, store->Get(id));
  EXPECT_EQ(stored, std::nullopt);
}

TEST(StoreIndex, StoreWithoutExtractorKeepsNoPostings) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> store, RecordStore::Open(dir.path(), {}));
  ASSERT_OK(store->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    return c.edit->Set(kName, std::string("Ada"));
  }));
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store->Stats());
  EXPECT_EQ(stats.records, 1u);
  EXPECT_EQ(stats.postings, 0u);
}

}  // namespace
}  // namespace rapport::store
