// The real `rapport` binary end to end: exit codes, --json output parsed, the import / export
// round trip, reports on a fixture, edits, and a conflict made by two replicas and resolved.
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/temp_dir.h"
#include "tests/tools/cli/run_rapport.h"
#include "tools/cli/json_value.h"

namespace rapport::cli {
namespace {

using rapport::testing::TempDir;

JsonValue Json(const RunResult& r) {
  auto parsed = ParseJson(r.out);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << r.out;
  return parsed.ok() ? *parsed : JsonValue();
}

std::string NumberText(const JsonValue& v) {
  if (v.as_number() != nullptr) return v.as_number()->text;
  std::string out = "<";
  out.append(v.TypeName());
  out.push_back('>');
  return out;
}

std::string Text(const JsonValue* v) {
  return v != nullptr && v->as_string() != nullptr ? *v->as_string() : "<missing>";
}

TEST(RapportBinary, EveryCommandHasHelpAndBadUsageExitsTwo) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"import", "--help"},
                                        {"export", "--help"},
                                        {"get", "--help"},
                                        {"find", "--help"},
                                        {"edit", "--help"},
                                        {"conflicts", "list", "--help"},
                                        {"conflicts", "show", "--help"},
                                        {"conflicts", "resolve", "--help"},
                                        {"stats", "--help"},
                                        {"inspect", "--help"},
                                        {"report", "tiers", "--help"},
                                        {"report", "funnel", "--help"},
                                        {"report", "satisfaction", "--help"},
                                        {"report", "due", "--help"},
                                        {"report", "loyalty", "--help"}}) {
    const RunResult r = RunRapport(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("--"), std::string::npos) << args[0];
  }
  EXPECT_EQ(RunRapport({"import"}).exit_code, 2);
  EXPECT_EQ(RunRapport({"no-such-command"}).exit_code, 2);
  TempDir dir;
  EXPECT_EQ(RunRapport({"stats", "--store", dir.Sub("missing")}).exit_code, 4);
}

TEST(RapportBinary, ImportReportsBadRowsAsJsonAndExitsThree) {
  TempDir dir;
  testing::WriteFile(dir.Sub("bad.csv"),
                     "\xEF\xBB\xBF"
                     "external_key,name,lifecycle_stage,loyalty_points\n"
                     "K1,王芳,current,10\n"
                     "K2,Bad,prospectt,1\n"
                     "K1,Dup,current,1\n"
                     "K3,\"open,current,1\n"
                     "K4,Li,current,x\n"
                     "K5,,current,1\n"
                     "K6,OK,lost,2\n");
  const RunResult r = RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("bad.csv"), "--json"});
  EXPECT_EQ(r.exit_code, 3);
  const JsonValue summary = Json(r);
  EXPECT_EQ(NumberText(*summary.Find("imported")), "2");
  EXPECT_EQ(NumberText(*summary.Find("refused")), "5");
  std::vector<std::string> lines;
  for (const JsonValue& e : *summary.Find("errors")->as_array()) {
    std::string line = NumberText(*e.Find("line"));
    line.push_back(':');
    line += Text(e.Find("column"));
    lines.push_back(line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"3:lifecycle_stage", "4:external_key", "5:name",
                                             "6:loyalty_points", "7:name"}));
  const JsonValue stats = Json(RunRapport({"stats", "--store", dir.Sub("s"), "--json"}));
  EXPECT_EQ(NumberText(*stats.Find("records")), "2");
}

// The records of a JSON Lines export without record and entry ids, sorted.
std::vector<std::string> Contents(const std::string& jsonl) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < jsonl.size()) {
    const size_t nl = jsonl.find('\n', pos);
    auto parsed = ParseJson(jsonl.substr(pos, nl - pos));
    pos = nl == std::string::npos ? jsonl.size() : nl + 1;
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) continue;
    JsonValue::Object fields;
    for (auto& [key, value] : *parsed->as_object()) {
      if (key == "id") continue;
      if (key == "interactions" || key == "lifecycle_history") {
        for (JsonValue& entry : *value.as_array()) {
          auto& members = *entry.as_object();
          members.erase(std::remove_if(members.begin(), members.end(),
                                       [](const auto& m) { return m.first == "id"; }),
                        members.end());
        }
      }
      fields.emplace_back(key, value);
    }
    out.push_back(JsonValue(std::move(fields)).Serialize());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RapportBinary, ImportExportImportRoundTrip) {
  TempDir dir;
  const RunResult first =
      RunRapport({"import", "--store", dir.Sub("a"), RAPPORT_SAMPLE_CSV, "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_EQ(NumberText(*Json(first).Find("imported")), "200");

  ASSERT_EQ(
      RunRapport({"export", "--store", dir.Sub("a"), "--format", "csv", "-o", dir.Sub("a.csv")})
          .exit_code,
      0);
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("b"), dir.Sub("a.csv")}).exit_code, 0);
  const RunResult a = RunRapport({"export", "--store", dir.Sub("a"), "--format", "jsonl"});
  const RunResult b = RunRapport({"export", "--store", dir.Sub("b"), "--format", "jsonl"});
  ASSERT_EQ(a.exit_code, 0);
  const std::vector<std::string> contents = Contents(a.out);
  EXPECT_EQ(contents.size(), 200u);
  EXPECT_EQ(contents, Contents(b.out));

  // Again through JSON Lines into a third store.
  testing::WriteFile(dir.Sub("b.jsonl"), b.out);
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("c"), dir.Sub("b.jsonl")}).exit_code, 0);
  EXPECT_EQ(contents,
            Contents(RunRapport({"export", "--store", dir.Sub("c"), "--format", "jsonl"}).out));

  // A query export holds only the matching records.
  const RunResult lost = RunRapport(
      {"export", "--store", dir.Sub("a"), "--format", "jsonl", "--query", "lifecycle_stage=lost"});
  for (const std::string& line : Contents(lost.out)) {
    EXPECT_NE(line.find("\"lifecycle_stage\":\"lost\""), std::string::npos);
  }
}

TEST(RapportBinary, ReportsAsJsonOnAFixture) {
  TempDir dir;
  testing::WriteFile(
      dir.Sub("f.csv"),
      "external_key,name,lifetime_value_cents,loyalty_stage,loyalty_points,purchase_count,"
      "birthday,branch,lifecycle_stage,interactions\n"
      "A,a,100,new,5,1,1990-03-01,sh,current,\n"
      "B,b,50,loyal,100,10,,sh,current,\n"
      "C,c,500,loyal,50,4,,bj,lost,\"[{\"\"occurred_at\"\":\"\"2026-01-05T10:00:00Z\"\","
      "\"\"kind\"\":\"\"survey\"\",\"\"expected_score\"\":80,\"\"perceived_score\"\":88,"
      "\"\"satisfaction_level\"\":\"\"satisfied\"\"}]\"\n"
      "D,d,0,,,,,,potential,\n"
      "E,e,300,,,,,,,\n"
      "F,f,50,,,,,,,\n");
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("f.csv")}).exit_code, 0);
  const std::vector<std::string> store = {"--store", dir.Sub("s"), "--json", "--today",
                                          "2026-02-26"};
  auto report = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "report");
    args.insert(args.end(), store.begin(), store.end());
    const RunResult r = RunRapport(args);
    EXPECT_EQ(r.exit_code, 0) << args[1];
    return Json(r);
  };

  // Tiers: as in ReportTiers.ParetoCutsAtEightyAndNinetyFivePercent.
  const JsonValue tiers = report({"tiers"});
  EXPECT_EQ(NumberText(*tiers.Find("total_value_cents")), "1000");
  const auto& rows = *tiers.Find("tiers")->as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(NumberText(*rows[0].Find("customers")), "2");
  EXPECT_EQ(NumberText(*rows[0].Find("value_cents")), "800");
  EXPECT_EQ(NumberText(*rows[0].Find("value_share")), "0.8");
  EXPECT_EQ(NumberText(*rows[1].Find("value_share")), "0.15");
  EXPECT_EQ(NumberText(*rows[2].Find("value_share")), "0.05");
  const JsonValue tiers90 = report({"tiers", "--cuts", "50"});
  EXPECT_EQ(tiers90.Find("tiers")->as_array()->size(), 2u);

  // Loyalty: loyal = B + C: 150 points, 14 purchases; new = A.
  const JsonValue loyalty = report({"loyalty"});
  const auto& stages = *loyalty.Find("stages")->as_array();
  ASSERT_EQ(stages.size(), 5u);
  EXPECT_EQ(Text(stages[3].Find("stage")), "loyal");
  EXPECT_EQ(NumberText(*stages[3].Find("points")), "150");
  EXPECT_EQ(NumberText(*stages[3].Find("purchases")), "14");
  EXPECT_EQ(NumberText(*stages[4].Find("customers")), "3");  // (none): D, E, F

  // Satisfaction: one survey at bj, c = 88 / 80 = 1.1.
  const JsonValue satisfaction = report({"satisfaction"});
  const auto& groups = *satisfaction.Find("groups")->as_array();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(Text(groups[0].Find("group")), "bj");
  EXPECT_EQ(NumberText(*groups[0].Find("index")), "1.1");
  EXPECT_EQ(Text(groups[0].Find("verdict")), "delighted");

  // Due: A's birthday on 03-01 is in 3 days.
  const JsonValue due = report({"due"});
  const auto& birthdays = *due.Find("birthdays")->as_array();
  ASSERT_EQ(birthdays.size(), 1u);
  EXPECT_EQ(Text(birthdays[0].Find("name")), "a");
  EXPECT_EQ(NumberText(*birthdays[0].Find("in_days")), "3");

  // Funnel: stages counted; the import's stage history is dated today, not in February.
  const JsonValue funnel = report({"funnel"});
  EXPECT_EQ(NumberText(*funnel.Find("stages")->Find("current")), "2");
  EXPECT_EQ(NumberText(*funnel.Find("stages")->Find("(none)")), "2");
  EXPECT_EQ(NumberText(*funnel.Find("records_with_history")), "4");  // A, B, C, D have a stage
  EXPECT_EQ(funnel.Find("transitions")->as_array()->size(), 0u);
}

TEST(RapportBinary, FunnelCountsTheStageChangesImportAndEditRecorded) {
  TempDir dir;
  testing::WriteFile(
      dir.Sub("f.csv"),
      "external_key,name,lifecycle_stage\nA,a,current\nB,b,potential\nC,c,potential\n"
      "D,d,\n");
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("f.csv")}).exit_code, 0);
  for (const char* key : {"B", "C"}) {
    ASSERT_EQ(RunRapport({"edit", "--store", dir.Sub("s"), "--key", key, "--set",
                          "lifecycle_stage=current", "--author", "li"})
                  .exit_code,
              0);
  }
  // A re-import moving A to lost records that change too.
  testing::WriteFile(dir.Sub("g.csv"), "external_key,name,lifecycle_stage\nA,a,lost\n");
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("g.csv")}).exit_code, 0);

  // Every change was made just now: a period around today holds them all.
  const JsonValue funnel = Json(RunRapport({"report", "funnel", "--store", dir.Sub("s"), "--from",
                                            "2000-01-01", "--to", "2999-12-31", "--json"}));
  EXPECT_EQ(Text(funnel.Find("history_field")), "lifecycle_history");
  std::vector<std::string> transitions;
  for (const JsonValue& t : *funnel.Find("transitions")->as_array()) {
    transitions.push_back(Text(t.Find("from")) + ">" + Text(t.Find("to")) + " " +
                          NumberText(*t.Find("changes")));
  }
  EXPECT_EQ(transitions, (std::vector<std::string>{"(none)>potential 2", "(none)>current 1",
                                                   "potential>current 2", "current>lost 1"}));
  const JsonValue b = Json(RunRapport({"get", "--store", dir.Sub("s"), "--key", "B", "--json"}));
  const auto& history = *b.Find("lifecycle_history")->as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(Text(history[1].Find("author")), "li");
  EXPECT_EQ(Text(history[1].Find("from")), "potential");
}

TEST(RapportBinary, BadReportOptionValuesExitOneNamingTheOption) {
  TempDir dir;
  testing::WriteFile(dir.Sub("one.csv"), "external_key,name\nK1,a\n");
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("one.csv")}).exit_code, 0);
  auto refused = [&](std::vector<std::string> args, const std::string& option) {
    args.insert(args.begin(), "report");
    args.insert(args.end(), {"--store", dir.Sub("s")});
    const std::string err = dir.Sub("err.txt");
    const RunResult r = RunRapport(args, err);
    EXPECT_EQ(r.exit_code, 1) << args[1] << " " << option;
    std::ifstream in(err);
    const std::string message((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(message.find(option), std::string::npos) << message;
  };
  refused({"due", "--days", "0"}, "--days 0");
  for (const char* cuts : {"", "80,,95", "95,80", "80,80", "0", "100", "80,abc", "80,"}) {
    refused({"tiers", "--cuts", cuts}, "--cuts \"" + std::string(cuts) + "\"");
  }
  EXPECT_EQ(
      RunRapport({"report", "tiers", "--store", dir.Sub("s"), "--cuts", " 70 , 90 "}).exit_code, 0);
}

TEST(RapportBinary, EditGetFindStatsInspect) {
  TempDir dir;
  testing::WriteFile(dir.Sub("one.csv"), "external_key,name,city\nK1,Wang Fang 王芳,杭州\n");
  ASSERT_EQ(RunRapport({"import", "--store", dir.Sub("s"), dir.Sub("one.csv")}).exit_code, 0);
  const RunResult edit = RunRapport({"edit",
                                     "--store",
                                     dir.Sub("s"),
                                     "--key",
                                     "K1",
                                     "--set",
                                     "city=北京",
                                     "--tag",
                                     "vip",
                                     "--points",
                                     "50",
                                     "--log",
                                     "visit",
                                     "--summary",
                                     "samples",
                                     "--at",
                                     "2026-03-02T09:30:00Z",
                                     "--contact",
                                     "boss.name=Zhou Li",
                                     "--json"});
  ASSERT_EQ(edit.exit_code, 0) << edit.out;
  const JsonValue record =
      Json(RunRapport({"get", "--store", dir.Sub("s"), "--key", "K1", "--json"}));
  EXPECT_EQ(Text(record.Find("city")), "北京");
  EXPECT_EQ(NumberText(*record.Find("loyalty_points")), "50");
  EXPECT_EQ(Text(&record.Find("tags")->as_array()->at(0)), "vip");
  const JsonValue& visit = record.Find("interactions")->as_array()->at(0);
  EXPECT_EQ(Text(visit.Find("occurred_at")), "2026-03-02T09:30:00Z");
  EXPECT_EQ(Text(visit.Find("summary")), "samples");
  EXPECT_EQ(Text(record.Find("contacts")->Find("boss")->Find("name")), "Zhou Li");

  const JsonValue found =
      Json(RunRapport({"find", "--store", dir.Sub("s"), "name^=wang f", "--json"}));
  ASSERT_EQ(found.as_array()->size(), 1u);
  EXPECT_EQ(Text(found.as_array()->at(0).Find("id")), Text(record.Find("id")));
  EXPECT_EQ(
      Json(RunRapport({"find", "--store", dir.Sub("s"), "tags=vip", "--json"})).as_array()->size(),
      1u);
  EXPECT_EQ(RunRapport({"find", "--store", dir.Sub("s"), "personality=x"}).exit_code, 1);
  EXPECT_EQ(
      RunRapport({"edit", "--store", dir.Sub("s"), "--key", "K1", "--set", "lifecycle_stage=x"})
          .exit_code,
      1);
  EXPECT_EQ(RunRapport({"get", "--store", dir.Sub("s"), "--key", "nope"}).exit_code, 4);

  const JsonValue inspect = Json(RunRapport({"inspect", "--store", dir.Sub("s"), "--json"}));
  EXPECT_EQ(Text(inspect.Find("replica_id")).size(), 16u);
  EXPECT_EQ(NumberText(*inspect.Find("format_version")), "2");
  EXPECT_EQ(Text(inspect.Find("schema_hash")).size(), 16u);
  EXPECT_EQ(NumberText(*inspect.Find("last_seq")), "2");
}

TEST(RapportBinary, ConflictFromTwoReplicasIsListedShownAndResolved) {
  TempDir dir;
  std::string id;
  {
    auto a = Replica::Open(dir.Sub("a")).value();
    auto b = Replica::Open(dir.Sub("b")).value();
    auto created = a->Apply({Mutation::Create(
        "customer", {{"name", std::string("Wang")}, {"phone", std::string("138 0000 0001")}})});
    ASSERT_TRUE(created.ok());
    id = created->created[0];
    ASSERT_TRUE(
        ReplicaInternal::ApplyRemoteDeltas(*b, ReplicaInternal::ChangesSince(*a, 0)->deltas).ok());
    ASSERT_TRUE(a->Apply({Mutation::Set(id, "phone", std::string("138 1111 1111"))}).ok());
    ASSERT_TRUE(b->Apply({Mutation::Set(id, "phone", std::string("139 2222 2222"))}).ok());
    ASSERT_TRUE(
        ReplicaInternal::ApplyRemoteDeltas(*a, ReplicaInternal::ChangesSince(*b, 0)->deltas).ok());
  }
  const JsonValue list = Json(RunRapport({"conflicts", "list", "--store", dir.Sub("a"), "--json"}));
  ASSERT_EQ(list.as_array()->size(), 1u);
  EXPECT_EQ(Text(list.as_array()->at(0).Find("id")), id);
  const JsonValue show =
      Json(RunRapport({"conflicts", "show", "--store", dir.Sub("a"), id, "--json"}));
  const auto& conflict = show.Find("conflicts")->as_array()->at(0);
  EXPECT_EQ(Text(conflict.Find("field")), "phone");
  const auto& siblings = *conflict.Find("siblings")->as_array();
  ASSERT_EQ(siblings.size(), 2u);
  const std::string chosen = Text(&siblings[1]);
  EXPECT_EQ(RunRapport({"conflicts", "resolve", "--store", dir.Sub("a"), id, "--field", "phone",
                        "--choose", "1"})
                .exit_code,
            0);
  EXPECT_EQ(
      Json(RunRapport({"conflicts", "list", "--store", dir.Sub("a"), "--json"})).as_array()->size(),
      0u);
  EXPECT_EQ(Text(Json(RunRapport({"get", "--store", dir.Sub("a"), id, "--json"})).Find("phone")),
            chosen);
}

}  // namespace
}  // namespace rapport::cli
