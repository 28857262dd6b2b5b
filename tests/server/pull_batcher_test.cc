// A scoped client's pull (server/pull_batcher.h with server/scope_cache.h): records the client
// may not see are not even read once their scope facts are cached, a stale cache entry is never
// used, and the cache's verdict is the scope rule's.
#include "server/pull_batcher.h"

#include <memory>
#include <string>
#include <vector>

#include "core/auth/scope.h"
#include "core/schema/schema.h"
#include "core/status_macros.h"
#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "server/scope_cache.h"
#include "server/sync_service.h"
#include "tests/temp_dir.h"

namespace rapport::server {
namespace {

class ScopedPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::RecordStore::Open(dir_.path(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    owner_ = schema_.FindField("customer", "owner")->number();
    territory_ = schema_.FindField("customer", "territory")->number();
  }

  // Creates `n` customers owned by `owner` in `territory`; returns their ids.
  std::vector<crdt::RecordId> Create(int n, const std::string& owner,
                                     const std::string& territory) {
    std::vector<crdt::RecordId> ids;
    auto written = store_->Write([&](store::WriteTransaction& txn) -> absl::Status {
      ids.clear();
      for (int i = 0; i < n; ++i) {
        ASSIGN_OR_RETURN(store::WriteTransaction::Created c, txn.Create("customer"));
        RETURN_IF_ERROR(c.edit->Set(owner_, owner));
        RETURN_IF_ERROR(c.edit->Set(territory_, territory));
        ids.push_back(c.id);
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(written.ok()) << written.status();
    return ids;
  }
  void SetOwner(const crdt::RecordId& id, const std::string& owner) {
    auto written = store_->Write([&](store::WriteTransaction& txn) -> absl::Status {
      ASSIGN_OR_RETURN(crdt::RecordEdit * edit, txn.Edit(id));
      return edit->Set(owner_, owner);
    });
    ASSERT_TRUE(written.ok()) << written.status();
  }
  void WarmCache(const auth::Scope& scope) {
    ASSERT_TRUE(store_
                    ->ScanFeed(0, 1 << 30,
                               [&](const crdt::Record& r, uint64_t) {
                                 cache_.Put(scope, r);
                                 return true;
                               })
                    .ok());
  }
  // Li's first pull, counting the records it had to read.
  PullBatch PullAsLi(const auth::Scope& li, int* read) {
    PullFilter filter;
    filter.in_scope = [&](const crdt::Record& r) { return li.Contains(r); };
    filter.known_in_scope = [&](const crdt::RecordId& id, uint64_t seq) {
      return cache_.Contains(li, id, seq);
    };
    filter.learn = [&](const crdt::Record& r) {
      ++*read;
      cache_.Put(li, r);
    };
    auto batch = NextPullBatch(*store_, {}, 1 << 20, filter);
    EXPECT_TRUE(batch.ok()) << batch.status();
    return batch.ok() ? *std::move(batch) : PullBatch{};
  }
  static auth::Claims Claims(auth::Role role, const std::string& subject,
                             std::vector<std::string> territories = {},
                             std::vector<std::string> branches = {}) {
    auth::Claims claims;
    claims.role = role;
    claims.subject = subject;
    claims.territories = std::move(territories);
    claims.branches = std::move(branches);
    return claims;
  }
  static auth::Claims Rep(const std::string& subject) { return Claims(auth::Role::kRep, subject); }

  testing::TempDir dir_;
  schema::Schema schema_ = schema::Schema::DefaultCustomer();
  std::unique_ptr<store::RecordStore> store_;
  crdt::FieldId owner_ = 0, territory_ = 0;
  ScopeCache cache_;
};

TEST_F(ScopedPullTest, RecordsOutsideTheScopeAreNotReadOnceTheirFactsAreCached) {
  const std::vector<crdt::RecordId> mine = Create(10, "li", "north");
  Create(190, "wang", "south");
  const auth::Scope li(Rep("li"), schema_);
  WarmCache(li);
  int read = 0;
  const PullBatch batch = PullAsLi(li, &read);
  EXPECT_EQ(read, 10);
  ASSERT_EQ(batch.records, 10u);
  EXPECT_EQ(batch.sent, mine);
}

TEST_F(ScopedPullTest, ColdCacheReadsEverythingOnceAndGivesTheSameBatch) {
  Create(10, "li", "north");
  Create(40, "wang", "south");
  const auth::Scope li(Rep("li"), schema_);
  int first = 0, second = 0;
  const PullBatch cold = PullAsLi(li, &first);
  const PullBatch warm = PullAsLi(li, &second);
  EXPECT_EQ(first, 50);
  EXPECT_EQ(second, 10);
  EXPECT_EQ(cold.sent, warm.sent);
  EXPECT_EQ(cold.message.SerializeAsString(), warm.message.SerializeAsString());
}

TEST_F(ScopedPullTest, RecordReassignedAfterItsFactsWereCachedIsStillSent) {
  Create(5, "li", "north");
  const std::vector<crdt::RecordId> others = Create(5, "wang", "south");
  const auth::Scope li(Rep("li"), schema_);
  WarmCache(li);              // caches others[2] as out of li's scope ...
  SetOwner(others[2], "li");  // ... then it becomes li's, at a new seq
  int read = 0;
  const PullBatch batch = PullAsLi(li, &read);
  EXPECT_EQ(batch.records, 6u);
  EXPECT_NE(std::find(batch.sent.begin(), batch.sent.end(), others[2]), batch.sent.end());
}

TEST_F(ScopedPullTest, CachedVerdictIsTheScopeRulesForEveryRole) {
  const std::vector<crdt::RecordId> ids = Create(3, "li", "north");
  SetOwner(ids[1], "zhou");
  const std::vector<auth::Scope> scopes = {
      auth::Scope(Rep("li"), schema_), auth::Scope(Rep("zhou"), schema_),
      auth::Scope(Claims(auth::Role::kRep, "x", {"north"}), schema_),
      auth::Scope(Claims(auth::Role::kManager, "m", {}, {"hz"}), schema_),
      auth::Scope(Claims(auth::Role::kAdmin, "a"), schema_)};
  for (const crdt::RecordId& id : ids) {
    auto record = store_->Get(id);
    ASSERT_TRUE(record.ok() && record->has_value());
    cache_.Put(scopes[0], **record);
    for (const auth::Scope& scope : scopes) {
      EXPECT_EQ(cache_.Contains(scope, id, (*record)->MaxSeq()), scope.Contains(**record))
          << scope.claims().subject;
      EXPECT_FALSE(cache_.Contains(scope, id, (*record)->MaxSeq() + 1).has_value());
    }
  }
}

TEST(PullBatchBytes, ManySessionsShareTheMemoryBudget) {
  const SyncServiceOptions options{.max_pull_batch_bytes = 1 << 20,
                                   .pull_memory_budget_bytes = 64 << 20};
  EXPECT_EQ(PullBatchBytes(options, 1), size_t{1} << 20);   // one session: the full batch
  EXPECT_EQ(PullBatchBytes(options, 64), size_t{1} << 20);  // the budget still covers 1 MiB each
  EXPECT_EQ(PullBatchBytes(options, 256), size_t{256} << 10);
  EXPECT_EQ(PullBatchBytes(options, 1000), size_t{67108});         // 64 MiB / 1,000
  EXPECT_EQ(PullBatchBytes(options, 100000), kMinPullBatchBytes);  // never below the floor
  EXPECT_EQ(PullBatchBytes(options, 0), size_t{1} << 20);
}

}  // namespace
}  // namespace rapport::server
