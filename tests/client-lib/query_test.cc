#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/client-lib/client_test_util.h"

namespace rapport {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::kMonday9am;
using testing::OpenAt;
using testing::TempDir;
using ::testing::UnorderedElementsAre;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r_ = OpenAt(tmp_.Sub("store"), &now_);
    ASSERT_NE(r_, nullptr);
    // name, email, follow-up day of March 2026, tags, points
    struct Row {
      std::string name, email;
      unsigned follow_up;
      std::vector<std::string> tags;
      int64_t points;
    };
    const std::vector<Row> rows = {
        {"Lina Foods", "lina@foods.cn", 2, {"vip"}, 50},
        {"Li-Na Bakery", "orders@lina-bakery.cn", 4, {"vip", "bakery"}, 300},
        {"LIBRA Steel", "sales@libra.cn", 9, {}, 10},
        {"北京华联", "hualian@bj.cn", 5, {"vip"}, 1000},
        {"北方机械", "north@jx.cn", 20, {"machinery"}, 0},
    };
    for (const Row& row : rows) {
      std::vector<Mutation> batch = {
          Mutation::Create("customer",
                           {{"name", row.name},
                            {"email", row.email},
                            {"next_follow_up", Date::FromCivil(2026, 3, row.follow_up)}}),
          Mutation::Increment("@0", "loyalty_points", row.points)};
      for (const std::string& t : row.tags) batch.push_back(Mutation::AddElement("@0", "tags", t));
      auto s = r_->Apply(batch);
      ASSERT_TRUE(s.ok()) << s.status();
      ids_.push_back(s->created[0]);
    }
  }

  // Every id of `q`, paging `page` at a time; checks pages are at most `page` long.
  std::vector<std::string> All(Query q, size_t page) {
    q.limit = page;
    std::vector<std::string> out;
    for (int pages = 0; pages < 100; ++pages) {
      auto res = r_->Query(q);
      EXPECT_TRUE(res.ok()) << res.status();
      if (!res.ok()) break;
      EXPECT_LE(res->ids.size(), page);
      out.insert(out.end(), res->ids.begin(), res->ids.end());
      if (res->next_cursor.empty()) break;
      q.cursor = res->next_cursor;
    }
    return out;
  }

  TempDir tmp_;
  int64_t now_ = kMonday9am;
  std::unique_ptr<Replica> r_;
  std::vector<std::string> ids_;
};

TEST_F(QueryTest, ExactMatch) {
  EXPECT_THAT(All(Query::Equals("email", std::string("sales@libra.cn")), 10), ElementsAre(ids_[2]));
  EXPECT_THAT(All(Query::Equals("email", std::string("nobody@x.cn")), 10), IsEmpty());
}

TEST_F(QueryTest, PrefixFoldsCaseAndSeparatorsAndPagesInOrder) {
  // "lina" matches "Lina Foods" and "Li-Na Bakery" (folded "linabakery" < "linafoods").
  EXPECT_THAT(All(Query::Prefix("name", "LINA"), 1), ElementsAre(ids_[1], ids_[0]));
  EXPECT_THAT(All(Query::Prefix("name", "li"), 2), ElementsAre(ids_[2], ids_[1], ids_[0]));
  EXPECT_THAT(All(Query::Prefix("name", "北"), 1), ElementsAre(ids_[3], ids_[4]));  // 京 < 方
  EXPECT_THAT(All(Query::Prefix("name", "北京"), 5), ElementsAre(ids_[3]));
  EXPECT_THAT(All(Query::Prefix("name", "zz"), 5), IsEmpty());
}

TEST_F(QueryTest, RangeOnDatesAndCounters) {
  // Follow-ups due in the week of Monday 2026-03-02: [03-02, 03-09).
  EXPECT_THAT(
      All(Query::Range("next_follow_up", Date::FromCivil(2026, 3, 2), Date::FromCivil(2026, 3, 9)),
          2),
      ElementsAre(ids_[0], ids_[1], ids_[3]));
  EXPECT_THAT(All(Query::Range("next_follow_up", Date::FromCivil(2026, 3, 9), Value()), 1),
              ElementsAre(ids_[2], ids_[4]));
  EXPECT_THAT(All(Query::Range("loyalty_points", int64_t{50}, int64_t{1000}), 1),
              ElementsAre(ids_[0], ids_[1]));
  EXPECT_THAT(All(Query::Equals("next_follow_up", Date::FromCivil(2026, 3, 20)), 3),
              ElementsAre(ids_[4]));
}

TEST_F(QueryTest, TagMembership) {
  // Equal keys come in id order, and ids made in one millisecond are randomly ordered.
  EXPECT_THAT(All(Query::HasTag("tags", "vip"), 2),
              UnorderedElementsAre(ids_[0], ids_[1], ids_[3]));
  EXPECT_THAT(All(Query::HasTag("tags", "machinery"), 2), ElementsAre(ids_[4]));
  ASSERT_TRUE(r_->Apply({Mutation::RemoveElement(ids_[1], "tags", "vip")}).ok());
  EXPECT_THAT(All(Query::HasTag("tags", "vip"), 2), UnorderedElementsAre(ids_[0], ids_[3]));
}

TEST_F(QueryTest, DeletedRecordsDisappearAndComeBack) {
  ASSERT_TRUE(r_->Apply({Mutation::Delete(ids_[0])}).ok());
  EXPECT_THAT(All(Query::HasTag("tags", "vip"), 1), UnorderedElementsAre(ids_[1], ids_[3]));
  ASSERT_TRUE(r_->Apply({Mutation::Undelete(ids_[0])}).ok());
  EXPECT_THAT(All(Query::HasTag("tags", "vip"), 1),
              UnorderedElementsAre(ids_[0], ids_[1], ids_[3]));
}

TEST_F(QueryTest, PagesHoldExactlyLimitUntilTheLast) {
  auto first = r_->Query([] {
    Query q = Query::Prefix("name", "");
    q.limit = 2;
    return q;
  }());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ids.size(), 2u);
  EXPECT_FALSE(first->next_cursor.empty());
  EXPECT_EQ(All(Query::Prefix("name", ""), 2).size(), 5u);
}

TEST_F(QueryTest, BadQueriesAreRefused) {
  const auto code = [&](const Query& q) { return r_->Query(q).status().code(); };
  const auto invalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(Query::Equals("address", std::string("x"))), invalid);  // not indexed
  EXPECT_EQ(code(Query::Equals("nope", std::string("x"))), invalid);
  EXPECT_EQ(code(Query::Prefix("email", "x")), invalid);  // EXACT index
  EXPECT_EQ(code(Query::HasTag("name", "x")), invalid);
  EXPECT_EQ(code(Query::Range("next_follow_up", std::string("2026"), Value())), invalid);
  Query zero = Query::Prefix("name", "");
  zero.limit = 0;
  EXPECT_EQ(code(zero), invalid);
}

}  // namespace
}  // namespace rapport
