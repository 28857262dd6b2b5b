// Replica::Apply records every change of a field with a `history` timeline (lifecycle_stage ->
// lifecycle_history) in the same batch: when, from, to, who; once per batch; not when the value
// stays; not when the batch writes that history itself; and concurrent changes on two replicas
// both keep their entry.
#include <algorithm>
#include <string>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/client-lib/client_test_util.h"

namespace rapport {
namespace {

using testing::kMonday9am;
using testing::TempDir;

std::unique_ptr<Replica> Open(const std::string& dir, int64_t* now, const std::string& author) {
  OpenOptions options;
  options.wall_clock_ms = [now] { return *now; };
  options.author = author;
  auto replica = Replica::Open(dir, std::move(options));
  EXPECT_TRUE(replica.ok()) << replica.status();
  return replica.ok() ? *std::move(replica) : nullptr;
}

std::vector<EntryView> History(const Replica& r, const std::string& id) {
  auto view = r.Get(id);
  EXPECT_TRUE(view.ok() && view->has_value());
  if (!view.ok() || !view->has_value()) return {};
  auto it = (*view)->timelines.find("lifecycle_history");
  return it == (*view)->timelines.end() ? std::vector<EntryView>{} : it->second;
}

// "from>to@author" of an entry; "-" for an absent value.
std::string Describe(const EntryView& e) {
  auto text = [&](const std::string& sub) -> std::string {
    auto it = e.fields.find(sub);
    if (it == e.fields.end()) return "-";
    if (const auto* symbol = std::get_if<EnumValue>(&it->second.displayed)) return symbol->symbol;
    if (const auto* s = std::get_if<std::string>(&it->second.displayed)) return *s;
    return "?";
  };
  return text("from") + ">" + text("to") + "@" + text("author");
}

Mutation SetStage(const std::string& id, const std::string& stage) {
  return Mutation::Set(id, "lifecycle_stage", stage.empty() ? Value{} : Value{EnumValue{stage}});
}

TEST(ReplicaHistory, CreatingAndChangingTheStageRecordsWhenFromToAndWho) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = Open(tmp.Sub("store"), &now, "li");
  auto created = r->Apply({Mutation::Create(
      "customer", {{"name", std::string("Wang")}, {"lifecycle_stage", EnumValue{"potential"}}})});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->created[0];
  EXPECT_TRUE(created->entries.empty());  // the library's own entries are not listed

  now += 60'000;
  ASSERT_TRUE(r->Apply({SetStage(id, "current")}).ok());
  now += 60'000;
  ASSERT_TRUE(r->Apply({SetStage(id, "")}).ok());  // cleared

  const std::vector<EntryView> history = History(*r, id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(Describe(history[0]), "->potential@li");
  EXPECT_EQ(history[0].occurred_at.millis, kMonday9am);
  EXPECT_EQ(Describe(history[1]), "potential>current@li");
  EXPECT_EQ(history[1].occurred_at.millis, kMonday9am + 60'000);
  EXPECT_EQ(Describe(history[2]), "current>-@li");
}

TEST(ReplicaHistory, OneEntryPerBatchAndNoneWhenTheDisplayedValueStays) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = Open(tmp.Sub("store"), &now, "");
  auto created = r->Apply({Mutation::Create("customer", {{"name", std::string("Li")}}),
                           SetStage("@0", "target"), SetStage("@0", "current")});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->created[0];
  ASSERT_TRUE(r->Apply({SetStage(id, "current")}).ok());  // the same value: no change
  ASSERT_TRUE(r->Apply({Mutation::Set(id, "city", std::string("杭州"))}).ok());
  // Away and back in one batch: the batch changed nothing.
  ASSERT_TRUE(r->Apply({SetStage(id, "lost"), SetStage(id, "current")}).ok());

  const std::vector<EntryView> history = History(*r, id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(Describe(history[0]), "->current@-");  // no author configured
}

TEST(ReplicaHistory, ABatchThatWritesTheHistoryItselfGetsNoEntry) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = Open(tmp.Sub("store"), &now, "import");
  // As an import restoring an exported record does: the stage and its recorded history.
  auto created = r->Apply(
      {Mutation::Create("customer",
                        {{"name", std::string("Zhou")}, {"lifecycle_stage", EnumValue{"lost"}}}),
       Mutation::AppendEntry("@0", "lifecycle_history", Timestamp{kMonday9am - 86'400'000},
                             {{"from", EnumValue{"current"}}, {"to", EnumValue{"lost"}}})});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::vector<EntryView> history = History(*r, created->created[0]);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(Describe(history[0]), "current>lost@-");
}

TEST(ReplicaHistory, TheChangeAndItsEntryCommitTogetherOrNotAtAll) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto r = Open(tmp.Sub("store"), &now, std::string(201, 'x'));  // too long for `author`
  auto refused = r->Apply({Mutation::Create(
      "customer", {{"name", std::string("Wu")}, {"lifecycle_stage", EnumValue{"current"}}})});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("lifecycle_history.author"), absl::string_view::npos)
      << refused.status();
  EXPECT_EQ(r->Info()->records, 0u);
}

TEST(ReplicaHistory, ConcurrentChangesOnTwoReplicasBothKeepTheirEntry) {
  TempDir tmp;
  int64_t now = kMonday9am;
  auto a = Open(tmp.Sub("a"), &now, "li");
  auto b = Open(tmp.Sub("b"), &now, "wang");
  auto created = a->Apply({Mutation::Create(
      "customer", {{"name", std::string("Chen")}, {"lifecycle_stage", EnumValue{"current"}}})});
  ASSERT_TRUE(created.ok());
  const std::string id = created->created[0];
  auto exchange = [](Replica& from, Replica& to) {
    auto changes = ReplicaInternal::ChangesSince(from, 0);
    ASSERT_TRUE(changes.ok());
    ASSERT_TRUE(ReplicaInternal::ApplyRemoteDeltas(to, changes->deltas).ok());
  };
  exchange(*a, *b);
  EXPECT_EQ(History(*b, id).size(), 1u);  // received deltas record nothing more

  now += 1000;
  ASSERT_TRUE(a->Apply({SetStage(id, "lost")}).ok());
  ASSERT_TRUE(b->Apply({SetStage(id, "target")}).ok());
  exchange(*a, *b);
  exchange(*b, *a);

  std::vector<std::string> seen_a, seen_b;
  for (const EntryView& e : History(*a, id)) seen_a.push_back(Describe(e));
  for (const EntryView& e : History(*b, id)) seen_b.push_back(Describe(e));
  std::sort(seen_a.begin(), seen_a.end());
  EXPECT_EQ(seen_a,
            (std::vector<std::string>{"->current@li", "current>lost@li", "current>target@wang"}));
  std::sort(seen_b.begin(), seen_b.end());
  EXPECT_EQ(seen_a, seen_b);

  // Resolving the conflict to the value not displayed is one more change on that replica.
  auto view = a->Get(id).value();
  const Value shown = view->values.at("lifecycle_stage").displayed;
  const Value other = view->values.at("lifecycle_stage").conflicts.at(0);
  ASSERT_TRUE(a->ResolveConflict(id, "lifecycle_stage", other).ok());
  const std::vector<EntryView> after = History(*a, id);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after.back().fields.at("from").displayed, shown);
  EXPECT_EQ(after.back().fields.at("to").displayed, other);
}

}  // namespace
}  // namespace rapport
