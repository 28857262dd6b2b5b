// Index postings of customer records.
#include "core/schema/index_key.h"
#include "core/schema/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/schema/customer_fixture.h"

namespace rapport::schema {
namespace {

using store::IndexEntry;
using ::testing::Contains;
using testing::Customer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::Num;
using testing::TestId;
using testing::Writer;

std::vector<IndexEntry> PostingsOf(const std::string& index, const std::vector<IndexEntry>& all) {
  std::vector<IndexEntry> out;
  for (const IndexEntry& e : all) {
    if (e.index == index) out.push_back(e);
  }
  return out;
}

Writer SampleCustomer() {
  Writer w;
  w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("name"), std::string("Acme Trading 王氏")).ok());
    ASSERT_TRUE(e.Set(Num("phone"), std::string("+86 138-0013-8000")).ok());
    ASSERT_TRUE(e.Set(Num("city"), std::monostate{}).ok());  // null: no posting
    ASSERT_TRUE(e.Set(Num("birthday"), crdt::DateFromCivil(1980, 5, 17)).ok());
    ASSERT_TRUE(e.Set(Num("lifecycle_stage"), crdt::EnumSymbol{"current"}).ok());
    ASSERT_TRUE(e.Set(Num("owner"), std::string("rep-17")).ok());
    ASSERT_TRUE(e.Set(Num("personality"), std::string("calm")).ok());  // not indexed
    ASSERT_TRUE(e.AddElement(Num("tags"), "vip").ok());
    ASSERT_TRUE(e.AddElement(Num("tags"), "wholesale").ok());
    ASSERT_TRUE(e.AddElement(Num("segments"), "north").ok());  // not indexed
    ASSERT_TRUE(e.Increment(Num("loyalty_points"), 250).ok());
    ASSERT_TRUE(e.AppendEntry(Num("interactions"),
                              {{crdt::Timeline::kOccurredAt, crdt::Timestamp{1'700'000'000'000}},
                               {Num("interactions.kind"), crdt::EnumSymbol{"visit"}}})
                    .ok());
  });
  return w;
}

TEST(SchemaIndexer, SampleCustomerPostings) {
  Writer w = SampleCustomer();
  const std::vector<IndexEntry> postings = Customer().Indexer()(w.record());
  EXPECT_THAT(postings,
              ElementsAre(IndexEntry{"birthday",
                                     IndexKey(crdt::DateFromCivil(1980, 5, 17), IndexKind::kRange)},
                          IndexEntry{"lifecycle_stage", "current"},
                          IndexEntry{"loyalty_points", IndexKey(int64_t{250}, IndexKind::kRange)},
                          IndexEntry{"name", "acmetrading王氏"}, IndexEntry{"owner", "rep-17"},
                          IndexEntry{"phone", "+8613800138000"}, IndexEntry{"tags", "vip"},
                          IndexEntry{"tags", "wholesale"}));
}

TEST(SchemaIndexer, SetHasOnePostingPerElementAndFollowsRemoval) {
  Writer w = SampleCustomer();
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.RemoveElement(Num("tags"), "vip").ok()); });
  EXPECT_THAT(PostingsOf("tags", Customer().Indexer()(w.record())),
              ElementsAre(IndexEntry{"tags", "wholesale"}));
}

TEST(SchemaIndexer, DeletedRecordStillHasPostings) {
  Writer w = SampleCustomer();
  const auto before = Customer().Indexer()(w.record());
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Delete().ok()); });
  ASSERT_TRUE(w.record().deleted());
  EXPECT_EQ(Customer().Indexer()(w.record()), before);
}

TEST(SchemaIndexer, ErasedRecordHasNoPostings) {
  Writer w = SampleCustomer();
  w.Edit([](crdt::RecordEdit& e) { e.Erase(); });
  EXPECT_THAT(Customer().Indexer()(w.record()), IsEmpty());
}

TEST(SchemaIndexer, ConflictIndexesOnlyTheDisplayedValue) {
  const crdt::Record base(TestId(), "customer");
  Writer a(base, 0x01);
  Writer b(base, 0x02);
  crdt::Record da = a.Edit(
      [](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("owner"), std::string("rep-a")).ok()); });
  crdt::Record db = b.Edit(
      [](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("owner"), std::string("rep-b")).ok()); });
  crdt::Record merged = da;
  merged.Join(db, 1);
  ASSERT_TRUE(merged.HasConflicts());
  // Same stamp on both sides, so the greater replica id (b) is displayed.
  EXPECT_THAT(PostingsOf("owner", Customer().Indexer()(merged)),
              ElementsAre(IndexEntry{"owner", "rep-b"}));
}

TEST(SchemaIndexer, UnknownTypeHasNoPostingsAndUnknownFieldsAreIgnored) {
  Writer other(crdt::Record(TestId(), "invoice"));
  other.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(1, std::string("x")).ok()); });
  EXPECT_THAT(Customer().Indexer()(other.record()), IsEmpty());

  Writer w;
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(999, std::string("future")).ok()); });
  EXPECT_THAT(Customer().Indexer()(w.record()), IsEmpty());
}

TEST(SchemaIndexer, ExtractorOutlivesItsSchema) {
  store::IndexExtractor extract;
  {
    absl::StatusOr<Schema> s = Schema::Parse(
        "types { name: \"customer\" fields { name: \"name\" number: 1 kind: VALUE type: STRING "
        "index: EXACT } }");
    ASSERT_TRUE(s.ok());
    extract = s->Indexer();
  }
  Writer w;
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(1, std::string("Acme")).ok()); });
  EXPECT_THAT(extract(w.record()), ElementsAre(IndexEntry{"name", "Acme"}));
  EXPECT_THAT(extract(w.record()), Not(Contains(IndexEntry{"name", "acme"})));
}

}  // namespace
}  // namespace rapport::schema
