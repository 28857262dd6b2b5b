// One test per merge rule of DOMAIN.md's customer: points, tags, visits, deletion, erasure,
// contacts. Each runs on independent replicas and checks they end byte-identical.
#include "gtest/gtest.h"
#include "tests/core/crdt/replica_fixture.h"

namespace rapport::crdt {
namespace {

using testing::Reg;
using testing::TestReplica;
using testing::Text;

constexpr FieldId kName = 1;
constexpr FieldId kPhone = 3;
constexpr FieldId kPoints = 10;
constexpr FieldId kTags = 11;
constexpr FieldId kVisits = 12;
constexpr FieldId kContacts = 13;
constexpr FieldId kSummary = Timeline::kFirstUserField;

void ExchangeAll(TestReplica& a, TestReplica& b, const std::vector<Record>& from_a,
                 const std::vector<Record>& from_b) {
  for (const Record& d : from_b) a.Receive(d);
  for (const Record& d : from_a) b.Receive(d);
  ASSERT_EQ(a.Canonical(), b.Canonical());
}

int64_t Points(const Record& r) { return r.fields().Find(kPoints)->As<PnCounter>()->Value(); }

TEST(PnCounter, PointsEarnedAtTwoBranchesAddUp) {
  TestReplica a(1), b(2);
  Record da = a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Increment(kPoints, 50).ok()); });
  Record db = b.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Increment(kPoints, 30).ok()); });
  ExchangeAll(a, b, {da}, {db});
  EXPECT_EQ(Points(a.record()), 80);
}

TEST(PnCounter, RedeliveredDeltaIsCountedOnce) {
  TestReplica a(1), b(2);
  Record d1 = a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Increment(kPoints, 50).ok()); });
  Record d2 = a.Edit(1001, [](RecordEdit& e) { ASSERT_TRUE(e.Increment(kPoints, -20).ok()); });
  b.Receive(d2);
  b.Receive(d1);
  b.Receive(d2);
  b.Receive(d1);
  EXPECT_EQ(Points(b.record()), 30);
  EXPECT_EQ(a.Canonical(), b.Canonical());
}

TEST(OrSet, ConcurrentReAddWinsOverRemove) {
  TestReplica a(1), b(2);
  b.Receive(a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.AddElement(kTags, "vip").ok()); }));
  Record remove =
      a.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.RemoveElement(kTags, "vip").ok()); });
  Record readd = b.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.AddElement(kTags, "vip").ok()); });
  ExchangeAll(a, b, {remove}, {readd});
  EXPECT_TRUE(a.record().fields().Find(kTags)->As<OrSet>()->Contains("vip"));
}

TEST(OrSet, RemoveOfSeenAdditionRemovesEverywhereEvenWhenDeliveredFirst) {
  TestReplica a(1), b(2), c(3);
  Record add = a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.AddElement(kTags, "lead").ok()); });
  Record remove =
      a.Edit(1001, [](RecordEdit& e) { ASSERT_TRUE(e.RemoveElement(kTags, "lead").ok()); });
  c.Receive(remove);  // the removal arrives before the addition it removes
  c.Receive(add);
  b.Receive(add);
  b.Receive(remove);
  EXPECT_FALSE(c.record().fields().Find(kTags)->As<OrSet>()->Contains("lead"));
  EXPECT_EQ(b.Canonical(), c.Canonical());
}

TEST(Record, DeleteConcurrentWithEditKeepsEditVisibleOnUndelete) {
  TestReplica a(1), b(2);
  b.Receive(a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kName, "Li Wei").ok()); }));
  Record del = a.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.Delete().ok()); });
  Record edit = b.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "138-0000").ok()); });
  ExchangeAll(a, b, {del}, {edit});
  EXPECT_TRUE(a.record().deleted());
  EXPECT_EQ(Text(Reg(a.record(), kPhone).Displayed()), "138-0000");

  b.Receive(a.Edit(3000, [](RecordEdit& e) { ASSERT_TRUE(e.Undelete().ok()); }));
  EXPECT_FALSE(b.record().deleted());
  EXPECT_EQ(Text(Reg(b.record(), kPhone).Displayed()), "138-0000");
}

TEST(Record, ErasureConcurrentWithEditErasesEverywhere) {
  TestReplica a(1), b(2);
  b.Receive(a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kName, "Zhang San").ok()); }));
  Record erase = a.Edit(2000, [](RecordEdit& e) { e.Erase(); });
  Record edit = b.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "139-1111").ok()); });
  ExchangeAll(a, b, {erase}, {edit});
  for (const TestReplica* r : {&a, &b}) {
    EXPECT_TRUE(r->record().erased());
    EXPECT_TRUE(r->record().fields().empty());
  }
  // Later writes are refused locally and ignored when they arrive from elsewhere.
  b.Edit(3000, [](RecordEdit& e) {
    EXPECT_EQ(e.Set(kName, "again").code(), absl::StatusCode::kFailedPrecondition);
  });
  a.Receive(edit);
  EXPECT_TRUE(a.record().fields().empty());
  EXPECT_EQ(a.Canonical(), b.Canonical());
}

TEST(Timeline, EntriesAppendedOnTwoReplicasBothPresentInSameOrder) {
  TestReplica a(1), b(2);
  auto visit = [](int64_t at, const char* summary) {
    return [=](RecordEdit& e) {
      ASSERT_TRUE(e.AppendEntry(kVisits, {{Timeline::kOccurredAt, Timestamp{at}},
                                          {kSummary, std::string(summary)}})
                      .ok());
    };
  };
  Record da = a.Edit(1000, visit(500, "visit by a"));
  Record db = b.Edit(1000, visit(400, "call by b"));
  Record da2 = a.Edit(1001, visit(400, "second by a"));  // same occurred-at as b's: dot decides
  ExchangeAll(a, b, {da, da2}, {db});

  auto summaries = [](const Record& r) {
    std::vector<std::string> out;
    for (const auto* e : r.fields().Find(kVisits)->As<Timeline>()->Ordered()) {
      out.push_back(Text(e->second.Find(kSummary)->As<ValueRegister>()->Displayed()));
    }
    return out;
  };
  EXPECT_EQ(summaries(a.record()), summaries(b.record()));
  EXPECT_EQ(summaries(a.record()),
            (std::vector<std::string>{"call by b", "second by a", "visit by a"}));
}

TEST(Timeline, AmendAndRetractConcurrentlyBothKept) {
  TestReplica a(1), b(2);
  Dot key;
  Record add = a.Edit(1000, [&](RecordEdit& e) {
    key = *e.AppendEntry(kVisits, {{kSummary, std::string("draft")}});
  });
  b.Receive(add);
  Record amend = a.Edit(2000, [&](RecordEdit& e) {
    ASSERT_TRUE(e.AmendEntry(kVisits, key, kSummary, std::string("final")).ok());
  });
  Record retract =
      b.Edit(2000, [&](RecordEdit& e) { ASSERT_TRUE(e.RetractEntry(kVisits, key).ok()); });
  ExchangeAll(a, b, {amend}, {retract});
  const Fields* entry = a.record().fields().Find(kVisits)->As<Timeline>()->Find(key);
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(Timeline::IsRetracted(*entry));
  EXPECT_EQ(Text(entry->Find(kSummary)->As<ValueRegister>()->Displayed()), "final");
}

TEST(Timeline, AmendingUnknownEntryIsNotFound) {
  TestReplica a(1);
  a.Edit(1000, [](RecordEdit& e) {
    EXPECT_EQ(e.AmendEntry(kVisits, Dot{9, 9}, kSummary, std::string("x")).code(),
              absl::StatusCode::kNotFound);
  });
}

TEST(NestedMap, ContactEditsOnTwoReplicasMergePerField) {
  constexpr FieldId kContactName = 1, kContactPhone = 2;
  TestReplica a(1), b(2);
  Record da = a.Edit(1000, [](RecordEdit& e) {
    ASSERT_TRUE(e.SetInMap(kContacts, "c1", kContactName, std::string("Ms Chen")).ok());
  });
  Record db = b.Edit(1000, [](RecordEdit& e) {
    ASSERT_TRUE(e.SetInMap(kContacts, "c1", kContactPhone, std::string("021-555")).ok());
  });
  ExchangeAll(a, b, {da}, {db});
  const Fields* c1 = a.record().fields().Find(kContacts)->As<NestedMap>()->Find(std::string("c1"));
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(Text(c1->Find(kContactName)->As<ValueRegister>()->Displayed()), "Ms Chen");
  EXPECT_EQ(Text(c1->Find(kContactPhone)->As<ValueRegister>()->Displayed()), "021-555");
}

TEST(RecordEdit, WrongKindIsRefusedWithFieldInMessage) {
  TestReplica a(1);
  a.Edit(1000, [](RecordEdit& e) {
    ASSERT_TRUE(e.Increment(kPoints, 1).ok());
    absl::Status s = e.Set(kPoints, std::string("x"));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("field 10"), absl::string_view::npos) << s;
    EXPECT_NE(s.message().find("counter"), absl::string_view::npos) << s;
  });
}

TEST(Record, DeltaSinceCarriesOnlyChangedFields) {
  TestReplica a(1);
  a.Edit(1000, [](RecordEdit& e) {
    ASSERT_TRUE(e.Set(kName, "n").ok());
    ASSERT_TRUE(e.Set(kPhone, "p").ok());
  });
  const uint64_t checkpoint = a.seq();
  Record d = a.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "q").ok()); });
  Record since = a.record().DeltaSince(checkpoint);
  EXPECT_EQ(since.fields().size(), 1u);
  EXPECT_NE(since.fields().Find(kPhone), nullptr);
  EXPECT_EQ(EncodeRecord(since), EncodeRecord(d));
}

TEST(Record, TrimToDeltaSinceLeavesExactlyWhatDeltaSinceCopies) {
  TestReplica a(1), b(2);
  Dot visit;
  a.Edit(1000, [&](RecordEdit& e) {
    ASSERT_TRUE(e.Set(kName, "n").ok());
    ASSERT_TRUE(e.AddElement(kTags, "vip").ok());
    visit = *e.AppendEntry(kVisits, {{Timeline::kOccurredAt, Timestamp{900}}});
  });
  a.Edit(2000, [&](RecordEdit& e) {
    ASSERT_TRUE(e.AmendEntry(kVisits, visit, Timeline::kFirstUserField, "amended").ok());
    ASSERT_TRUE(e.SetInMap(kContacts, "c1", 1, "Ms Chen").ok());
  });
  b.Receive(a.record());
  b.Edit(3000, [](RecordEdit& e) {
    ASSERT_TRUE(e.Set(kPhone, "p").ok());
    ASSERT_TRUE(e.Delete().ok());
  });
  b.Edit(4000, [](RecordEdit& e) { ASSERT_TRUE(e.SetInMap(kContacts, "c2", 1, "Mr Li").ok()); });
  Record erased = b.record();
  erased.Erase(b.seq() + 1);
  for (const Record* r : std::initializer_list<const Record*>{&a.record(), &b.record(), &erased}) {
    for (uint64_t seq = 0; seq <= r->MaxSeq() + 1; ++seq) {
      Record trimmed = *r;
      trimmed.TrimToDeltaSince(seq);
      const Record copied = r->DeltaSince(seq);
      EXPECT_EQ(trimmed, copied) << seq;
      EXPECT_EQ(EncodeRecord(trimmed, {.with_seqs = true}),
                EncodeRecord(copied, {.with_seqs = true}))
          << seq;
    }
  }
}

}  // namespace
}  // namespace rapport::crdt
