#include "rapport/replica.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client-lib/client_test_util.h"

namespace rapport {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kMonday9am;
using testing::OpenAt;
using testing::TempDir;

std::string CreateCustomer(Replica& r, const std::string& name) {
  auto s = r.Apply({Mutation::Create("customer", {{"name", name}})});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? s->created.at(0) : "";
}

TEST(ReplicaTest, ReopenKeepsReplicaIdAndData) {
  TempDir tmp;
  int64_t now = kMonday9am;
  std::string id, replica_id;
  {
    auto r = OpenAt(tmp.Sub("store"), &now);
    replica_id = r->replica_id();
    EXPECT_EQ(replica_id.size(), 16u);
    id = CreateCustomer(*r, "Zhang Wei Trading");
  }
  auto r = OpenAt(tmp.Sub("store"), &now);
  EXPECT_EQ(r->replica_id(), replica_id);
  auto view = r->Get(id);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->type, "customer");
  EXPECT_EQ((*view)->values.at("name").displayed, Value("Zhang Wei Trading"));
}

TEST(ReplicaTest, UnknownIdIsNulloptAndBadIdIsInvalid) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  auto missing = r->Get("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(r->Get("nope").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReplicaTest, BadSchemaIsRefused) {
  TempDir tmp;
  OpenOptions options;
  options.schema_text = "types { name: ";
  EXPECT_EQ(Replica::Open(tmp.Sub("store"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReplicaTest, BatchIsAtomicAndErrorNamesFieldAndRule) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  const std::string id = CreateCustomer(*r, "Lina Foods");
  auto bad = r->Apply({
      Mutation::Set(id, "city", std::string("Hangzhou")),
      Mutation::Create("customer", {{"name", std::string("New Co")}}),
      Mutation::Set(id, "email", std::string("not-an-email")),
  });
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("mutation 2"));
  EXPECT_THAT(bad.status().message(), HasSubstr("email"));
  EXPECT_THAT(bad.status().message(), HasSubstr("pattern"));
  EXPECT_THAT(bad.status().message(), HasSubstr(id));
  auto view = r->Get(id);
  ASSERT_TRUE(view.ok() && view->has_value());
  EXPECT_EQ((*view)->values.count("city"), 0u);  // nothing of the batch was stored
  auto all = r->Query(Query::Prefix("name", ""));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->ids.size(), 1u);  // the Create was rolled back too
}

TEST(ReplicaTest, CreateWithoutRequiredFieldFails) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  auto s = r->Apply({Mutation::Create("customer", {{"city", std::string("Xi'an")}})});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("name"));
  EXPECT_EQ(r->Apply({Mutation::Create("supplier")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Wrong kinds and unknown fields.
  const std::string id = CreateCustomer(*r, "Acme");
  EXPECT_THAT(r->Apply({Mutation::Increment(id, "name", 1)}).status().message(),
              HasSubstr("not a counter"));
  EXPECT_THAT(r->Apply({Mutation::Set(id, "colour", std::string("red"))}).status().message(),
              HasSubstr("no field \"colour\""));
  EXPECT_EQ(r->Apply({Mutation::Set(id, "birthday", int64_t{3})}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Apply({Mutation::Set("@0", "city", std::string("x"))}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReplicaTest, EveryMutationKindShowsInView) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  auto s = r->Apply({
      Mutation::Create("customer", {{"name", std::string("Chen Hardware")},
                                    {"lifecycle_stage", EnumValue{"potential"}}}),
      Mutation::Set("@0", "birthday", Date::FromCivil(1980, 5, 17)),
      Mutation::Set("@0", "assets_cents", int64_t{500000}),
      Mutation::Increment("@0", "loyalty_points", 120),
      Mutation::Increment("@0", "loyalty_points", -20),
      Mutation::AddElement("@0", "tags", "vip"),
      Mutation::AddElement("@0", "tags", "hardware"),
      Mutation::RemoveElement("@0", "tags", "hardware"),
      Mutation::AppendEntry("@0", "interactions", Timestamp{kMonday9am},
                            {{"kind", EnumValue{"visit"}}, {"summary", std::string("intro")}}),
      Mutation::AmendEntry("@0", "interactions.summary", "@0", std::string("intro, samples")),
      Mutation::AppendEntry("@0", "interactions", Timestamp{kMonday9am - 1000},
                            {{"kind", EnumValue{"call"}}}),
      Mutation::RetractEntry("@0", "interactions", "@1"),
      Mutation::SetInMap("@0", "contacts.name", "c1", std::string("Chen Jie")),
      Mutation::SetInMap("@0", "contacts.phone", "c1", std::string("+86 138-0013-8000")),
  });
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->created.size(), 1u);
  ASSERT_EQ(s->entries.size(), 2u);
  EXPECT_THAT(s->changed, ElementsAre(s->created[0]));
  auto got = r->Get(s->created[0]);
  ASSERT_TRUE(got.ok() && got->has_value());
  const RecordView& v = **got;
  EXPECT_EQ(v.values.at("lifecycle_stage").displayed, Value(EnumValue{"potential"}));
  EXPECT_EQ(ValueToText(v.values.at("birthday").displayed), "1980-05-17");
  EXPECT_EQ(v.values.at("assets_cents").displayed, Value(int64_t{500000}));
  EXPECT_EQ(v.counters.at("loyalty_points"), 100);
  EXPECT_THAT(v.sets.at("tags"), ElementsAre("vip"));
  const auto& entries = v.timelines.at("interactions");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, s->entries[1]);  // ordered by occurred_at
  EXPECT_TRUE(entries[0].retracted);
  EXPECT_EQ(entries[1].id, s->entries[0]);
  EXPECT_FALSE(entries[1].retracted);
  EXPECT_EQ(entries[1].occurred_at.millis, kMonday9am);
  EXPECT_EQ(entries[1].fields.at("summary").displayed, Value("intro, samples"));
  EXPECT_EQ(entries[1].fields.at("kind").displayed, Value(EnumValue{"visit"}));
  EXPECT_EQ(v.maps.at("contacts").at("c1").at("phone").displayed, Value("+86 138-0013-8000"));
  EXPECT_FALSE(v.has_conflicts());

  // Amend by entry id text from another batch; delete and undelete.
  ASSERT_TRUE(r->Apply({Mutation::AmendEntry(v.id, "interactions.channel", entries[1].id,
                                             std::string("in person")),
                        Mutation::Delete(v.id)})
                  .ok());
  got = r->Get(v.id);
  EXPECT_TRUE((*got)->deleted);
  EXPECT_EQ((*got)->timelines.at("interactions")[1].fields.at("channel").displayed,
            Value("in person"));
  ASSERT_TRUE(r->Apply({Mutation::Undelete(v.id)}).ok());
  EXPECT_FALSE((*r->Get(v.id))->deleted);
}

TEST(ReplicaTest, ObserverGetsChangedIds) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  std::vector<std::vector<std::string>> calls;
  int handle = r->Observe([&](const std::vector<std::string>& ids) { calls.push_back(ids); });
  auto s = r->Apply({Mutation::Create("customer", {{"name", std::string("A")}}),
                     Mutation::Create("customer", {{"name", std::string("B")}})});
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], s->created);
  EXPECT_FALSE(r->Apply({Mutation::Set(s->created[0], "email", std::string("x"))}).ok());
  EXPECT_EQ(calls.size(), 1u);  // failed batches are not observed
  r->Unobserve(handle);
  ASSERT_TRUE(r->Apply({Mutation::Set(s->created[0], "city", std::string("Wuhan"))}).ok());
  EXPECT_EQ(calls.size(), 1u);
}

// Sends everything `from` changed after *since to `to`, as a sync client would.
void Sync(Replica& from, Replica& to, uint64_t* since) {
  auto changes = ReplicaInternal::ChangesSince(from, *since);
  ASSERT_TRUE(changes.ok()) << changes.status();
  *since = changes->last_seq;
  ASSERT_TRUE(ReplicaInternal::ApplyRemoteDeltas(to, changes->deltas).ok());
}

TEST(ReplicaTest, ConcurrentWritesShowConflictsUntilResolved) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp.Sub("a"), &now);
  auto b = OpenAt(tmp.Sub("b"), &now);
  uint64_t a_sent = 0, b_sent = 0;
  const std::string id = CreateCustomer(*a, "Wang Logistics");
  Sync(*a, *b, &a_sent);
  now += 1000;
  ASSERT_TRUE(a->Apply({Mutation::Set(id, "city", std::string("Nanjing"))}).ok());
  ASSERT_TRUE(b->Apply({Mutation::Set(id, "city", std::string("Suzhou"))}).ok());
  Sync(*a, *b, &a_sent);
  Sync(*b, *a, &b_sent);

  auto va = a->Get(id);
  auto vb = b->Get(id);
  ASSERT_TRUE(va.ok() && vb.ok());
  const ValueView& ca = (*va)->values.at("city");
  const ValueView& cb = (*vb)->values.at("city");
  EXPECT_EQ(ca.displayed, cb.displayed);  // same displayed value on both
  ASSERT_EQ(ca.conflicts.size(), 1u);
  EXPECT_NE(ca.conflicts[0], ca.displayed);
  EXPECT_TRUE((*va)->has_conflicts());
  EXPECT_THAT(*a->ListConflicts(10), ElementsAre(id));
  EXPECT_THAT(*b->ListConflicts(10), ElementsAre(id));
  EXPECT_THAT(*a->ListConflicts(0), IsEmpty());

  now += 1000;
  ASSERT_TRUE(a->ResolveConflict(id, "city", std::string("Suzhou")).ok());
  Sync(*a, *b, &a_sent);
  for (Replica* r : {a.get(), b.get()}) {
    auto v = r->Get(id);
    EXPECT_EQ((*v)->values.at("city").displayed, Value("Suzhou"));
    EXPECT_THAT((*v)->values.at("city").conflicts, IsEmpty());
    EXPECT_THAT(*r->ListConflicts(10), IsEmpty());
  }
}

TEST(ReplicaTest, UnknownFieldNumbersAppearByNumber) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp.Sub("a"), &now);
  const std::string id = CreateCustomer(*a, "Future Co");
  // A delta from a newer schema with field 999, built from the record's own state.
  auto changes = ReplicaInternal::ChangesSince(*a, 0);
  ASSERT_TRUE(changes.ok());
  crdt::Record delta = changes->deltas.at(0);
  crdt::Field* f = delta.mutable_fields().FindOrCreate(999, crdt::FieldKind::kValue);
  f->As<crdt::ValueRegister>()->Write(crdt::Dot{42, crdt::MakeHlc(kMonday9am, 0)},
                                      std::string("hello"));
  auto b = OpenAt(tmp.Sub("b"), &now);
  ASSERT_TRUE(ReplicaInternal::ApplyRemoteDeltas(*b, {delta}).ok());
  auto v = b->Get(id);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ((*v)->values.at("#999").displayed, Value("hello"));
}

TEST(ReplicaTest, ConcurrentWritersAndReadersOnOneReplica) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = OpenAt(tmp.Sub("store"), &now);
  const std::string id = CreateCustomer(*r, "Busy Co");
  std::atomic<int> observed{0};
  r->Observe([&](const std::vector<std::string>& ids) { observed += ids.size(); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(r->Apply({Mutation::Increment(id, "loyalty_points", 1)}).ok());
        EXPECT_TRUE(r->Get(id).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*r->Get(id))->counters.at("loyalty_points"), 100);
  EXPECT_EQ(observed.load(), 100);
}

}  // namespace
}  // namespace rapport
