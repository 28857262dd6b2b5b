// Import in process: each class of bad row is reported at its line and column and stores
// nothing; valid rows around them are committed; re-import updates by external_key; and
// import -> export -> import gives identical records, in CSV and JSON Lines.
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/temp_dir.h"
#include "tools/cli/export_writer.h"
#include "tools/cli/import_runner.h"
#include "tools/cli/query_expression.h"
#include "tools/cli/record_json.h"
#include "tools/cli/record_source.h"

namespace rapport::cli {
namespace {

using rapport::testing::TempDir;

const schema::RecordType& Customer() {
  return *schema::Schema::DefaultCustomer().FindType("customer");
}

ImportSummary Import(Replica& replica, const std::string& path, size_t batch_size = 1000,
                     InputFormat format = InputFormat::kCsv) {
  ImportOptions options;
  options.path = path;
  options.format = format;
  options.batch_size = batch_size;
  ProgressMeter quiet(std::cerr, ProgressMeter::Mode::kQuiet);
  auto summary = RunImport(replica, Customer(), options, quiet);
  EXPECT_TRUE(summary.ok()) << summary.status();
  return summary.ok() ? *summary : ImportSummary{};
}

std::vector<RecordView> All(const Replica& replica) {
  auto records = LoadRecords(replica, "customer", std::nullopt);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<RecordView>{};
}

std::optional<RecordView> ByKey(const Replica& replica, const std::string& key) {
  auto ids = AllMatches(replica, Query::Equals("external_key", key));
  EXPECT_TRUE(ids.ok());
  if (!ids.ok() || ids->empty()) return std::nullopt;
  EXPECT_EQ(ids->size(), 1u) << key;
  return *replica.Get(ids->front()).value();
}

std::string Name(const RecordView& r) {
  return std::get<std::string>(r.values.at("name").displayed);
}

// Lines:  1 header; 2, 3, 10-11, 12 valid; 4 enum; 5 counter type; 6 required; 7 date type;
// 8 duplicate key; 9 unterminated quote.
constexpr char kBadRows[] =
    "external_key,name,lifecycle_stage,loyalty_points,birthday,tags\n"
    "K1,Wang Fang 王芳,current,10,1990-01-02,vip;east\n"
    "K2,\"Li, Na\",potential,5,,\n"
    "K3,Zhang Wei,prospectt,0,,\n"
    "K4,Chen Jie,current,abc,,\n"
    "K5,,current,1,,\n"
    "K6,\"Zhou \"\"Boss\"\" Li\",current,3,1985-13-01,\n"
    "K1,Wang Again,current,1,,\n"
    "K7,\"Unterminated,current,1,,\n"
    "K8,\"Multi\n"
    "line\",target,2,,\n"
    "K9,Liu Yang,lost,7,,\n";

class BadRowsTest : public ::testing::TestWithParam<size_t> {};

TEST_P(BadRowsTest, EachBadRowIsReportedAtItsLineAndNoneIsStored) {
  TempDir dir;
  testing::WriteFile(dir.Sub("bad.csv"), kBadRows);
  auto replica = Replica::Open(dir.Sub("store")).value();
  const ImportSummary s = Import(*replica, dir.Sub("bad.csv"), /*batch_size=*/GetParam());

  EXPECT_EQ(s.rows, 10u);
  EXPECT_EQ(s.imported, 4u);
  EXPECT_EQ(s.refused, 6u);
  std::map<int, RowIssue> by_line;
  for (const RowIssue& issue : s.issues) {
    EXPECT_EQ(by_line.count(issue.line), 0u) << "two issues on line " << issue.line;
    by_line[issue.line] = issue;
  }
  ASSERT_EQ(by_line.size(), 6u);
  EXPECT_EQ(by_line[4].column, "lifecycle_stage");
  EXPECT_NE(by_line[4].reason.find("\"prospectt\" is not one of"), std::string::npos);
  EXPECT_EQ(by_line[5].column, "loyalty_points");
  EXPECT_NE(by_line[5].reason.find("whole number"), std::string::npos);
  EXPECT_EQ(by_line[6].column, "name");
  EXPECT_NE(by_line[6].reason.find("required"), std::string::npos);
  EXPECT_EQ(by_line[7].column, "birthday");
  EXPECT_NE(by_line[7].reason.find("date"), std::string::npos);
  EXPECT_EQ(by_line[8].column, "external_key");
  EXPECT_NE(by_line[8].reason.find("line 2"), std::string::npos);
  EXPECT_EQ(by_line[9].column, "name");
  EXPECT_NE(by_line[9].reason.find("quote"), std::string::npos);

  EXPECT_EQ(All(*replica).size(), 4u);
  for (const char* refused : {"K3", "K4", "K5", "K6", "K7"}) {
    EXPECT_FALSE(ByKey(*replica, refused).has_value()) << refused;
  }
  EXPECT_EQ(Name(*ByKey(*replica, "K1")), "Wang Fang 王芳");  // the duplicate did not update it
  EXPECT_EQ(Name(*ByKey(*replica, "K2")), "Li, Na");
  EXPECT_EQ(Name(*ByKey(*replica, "K8")), "Multi\nline");
  const RecordView k1 = *ByKey(*replica, "K1");
  EXPECT_EQ(k1.counters.at("loyalty_points"), 10);
  EXPECT_EQ(k1.sets.at("tags"), (std::vector<std::string>{"east", "vip"}));
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, BadRowsTest, ::testing::Values(1000, 2, 1));

TEST(Import, RowsTheStoreRefusesAreRefusedAloneWithTheirLine) {
  TempDir dir;
  // A phone breaking the schema's pattern, an e-mail without @, a satisfaction score out of
  // range inside an interaction: checked by the schema's own rules.
  testing::WriteFile(
      dir.Sub("rules.csv"),
      "external_key,name,phone,email,interactions\n"
      "A1,Ok,+86 138 0000 0000,a@b.cn,\n"
      "A2,Bad phone,call me,,\n"
      "A3,Bad mail,,nobody,\n"
      "A4,Bad score,,,\"[{\"\"occurred_at\"\":\"\"2026-01-02T10:00:00Z\"\",\"\"kind\"\":"
      "\"\"survey\"\",\"\"perceived_score\"\":120}]\"\n"
      "A5,No kind,,,\"[{\"\"occurred_at\"\":\"\"2026-01-02T10:00:00Z\"\"}]\"\n"
      "A6,Ok too,,,\n");
  auto replica = Replica::Open(dir.Sub("store")).value();
  const ImportSummary s = Import(*replica, dir.Sub("rules.csv"));
  EXPECT_EQ(s.imported, 2u);
  EXPECT_EQ(s.refused, 4u);
  ASSERT_EQ(s.issues.size(), 4u);
  EXPECT_EQ(s.issues[0].line, 3);
  EXPECT_EQ(s.issues[0].column, "phone");
  EXPECT_EQ(s.issues[1].line, 4);
  EXPECT_EQ(s.issues[1].column, "email");
  EXPECT_EQ(s.issues[2].line, 5);
  EXPECT_EQ(s.issues[2].column, "interactions");
  EXPECT_NE(s.issues[2].reason.find("maximum"), std::string::npos) << s.issues[2].reason;
  EXPECT_EQ(s.issues[3].line, 6);
  EXPECT_NE(s.issues[3].reason.find("required"), std::string::npos) << s.issues[3].reason;
  EXPECT_EQ(All(*replica).size(), 2u);
}

TEST(Import, ReimportUpdatesByExternalKeyInsteadOfDuplicating) {
  TempDir dir;
  testing::WriteFile(dir.Sub("v1.csv"),
                     "external_key,name,city,tags,loyalty_points\n"
                     "K1,Wang,杭州,a;b,10\n"
                     "K2,Li,上海,,0\n");
  testing::WriteFile(dir.Sub("v2.csv"),
                     "external_key,name,city,tags,loyalty_points\n"
                     "K1,Wang,北京,b;c,25\n"
                     "K2,Li,上海,,0\n"
                     "K3,Zhao,,,\n");
  auto replica = Replica::Open(dir.Sub("store")).value();
  Import(*replica, dir.Sub("v1.csv"));
  const ImportSummary s = Import(*replica, dir.Sub("v2.csv"));
  EXPECT_EQ(s.imported, 1u);
  EXPECT_EQ(s.updated, 1u);
  EXPECT_EQ(s.unchanged, 1u);
  EXPECT_EQ(All(*replica).size(), 3u);
  const RecordView k1 = *ByKey(*replica, "K1");
  EXPECT_EQ(std::get<std::string>(k1.values.at("city").displayed), "北京");
  EXPECT_EQ(k1.sets.at("tags"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(k1.counters.at("loyalty_points"), 25);
}

TEST(Import, IdColumnMalformedIsRefusedUnknownCreatesAndIsCounted) {
  TempDir dir;
  auto replica = Replica::Open(dir.Sub("store")).value();
  auto created = replica->Apply({Mutation::Create("customer", {{"name", std::string("Old")}})});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string known = created->created[0];
  // A well-formed id no store of this test has: the time part of `known`, another random part.
  std::string unknown = known;
  unknown.back() = unknown.back() == '0' ? '1' : '0';
  testing::WriteFile(dir.Sub("ids.csv"), "id,name\n" + known + ",Renamed\nnot-an-id,Typo\n" +
                                             unknown + ",From another store\n");
  const ImportSummary s = Import(*replica, dir.Sub("ids.csv"));
  EXPECT_EQ(s.updated, 1u);
  EXPECT_EQ(s.imported, 1u);
  EXPECT_EQ(s.unknown_ids, 1u);
  EXPECT_EQ(s.refused, 1u);
  ASSERT_EQ(s.issues.size(), 1u);
  EXPECT_EQ(s.issues[0].line, 3);
  EXPECT_EQ(s.issues[0].column, "id");
  EXPECT_NE(s.issues[0].reason.find("not-an-id"), std::string::npos) << s.issues[0].reason;
  EXPECT_EQ(Name(*replica->Get(known).value()), "Renamed");
  EXPECT_FALSE(replica->Get(unknown).value().has_value());  // ids cannot be chosen
  EXPECT_EQ(All(*replica).size(), 2u);

  // JSON Lines: an id that is not a string is refused too.
  testing::WriteFile(dir.Sub("ids.jsonl"), "{\"id\":42,\"name\":\"Number\"}\n");
  const ImportSummary j = Import(*replica, dir.Sub("ids.jsonl"), 1000, InputFormat::kJsonLines);
  EXPECT_EQ(j.refused, 1u);
  ASSERT_EQ(j.issues.size(), 1u);
  EXPECT_EQ(j.issues[0].column, "id");
}

TEST(ProgressMeter, PlainLinesEveryNRowsWhenNotATerminal) {
  std::ostringstream out;
  ProgressMeter meter(out, ProgressMeter::Mode::kLines, 2);
  for (size_t rows = 1; rows <= 5; ++rows) meter.Update(rows, rows / 5.0);
  meter.Finish(5);
  EXPECT_EQ(out.str(),
            "import: 2 rows read (40.0%)\n"
            "import: 4 rows read (80.0%)\n");
}

TEST(ReplicaForCli, ForEachRecordSeesDeletedRecordsAndInfoDescribesTheStore) {
  TempDir dir;
  auto replica = Replica::Open(dir.Sub("store")).value();
  auto created = replica->Apply({Mutation::Create("customer", {{"name", std::string("A")}}),
                                 Mutation::Create("customer", {{"name", std::string("B")}}),
                                 Mutation::Delete("@1")});
  ASSERT_TRUE(created.ok()) << created.status();
  size_t seen = 0, deleted = 0;
  ASSERT_TRUE(replica
                  ->ForEachRecord([&](const RecordView& r) {
                    ++seen;
                    deleted += r.deleted ? 1 : 0;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(seen, 2u);
  EXPECT_EQ(deleted, 1u);
  EXPECT_EQ(All(*replica).size(), 1u);  // LoadRecords leaves deleted records out
  auto info = replica->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->records, 2u);
  EXPECT_EQ(info->replica_id, replica->replica_id());
  EXPECT_EQ(info->schema_hash, schema::Schema::DefaultCustomer().Hash());
  EXPECT_EQ(info->format_version, 2u);
  EXPECT_EQ(info->last_seq, 2u);
  EXPECT_TRUE(info->peers.empty());
}

TEST(Import, MappingFileRenamesAndIgnoresColumns) {
  TempDir dir;
  testing::WriteFile(dir.Sub("map.csv"),
                     "column,field\n客户编号,external_key\n客户名称,name\n备注,-\n");
  testing::WriteFile(dir.Sub("cn.csv"), "客户编号,客户名称,备注,city\nC1,王小明,随便写,杭州\n");
  auto replica = Replica::Open(dir.Sub("store")).value();
  ImportOptions options;
  options.path = dir.Sub("cn.csv");
  options.mapping_path = dir.Sub("map.csv");
  ProgressMeter quiet(std::cerr, ProgressMeter::Mode::kQuiet);
  auto summary = RunImport(*replica, Customer(), options, quiet);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->imported, 1u);
  EXPECT_EQ(Name(*ByKey(*replica, "C1")), "王小明");

  // Without the mapping the unknown header stops the import before any row.
  options.mapping_path.clear();
  auto refused = RunImport(*replica, Customer(), options, quiet);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("客户编号"), absl::string_view::npos);
}

TEST(Import, JsonLinesRowsAreCheckedLineByLine) {
  TempDir dir;
  testing::WriteFile(
      dir.Sub("rows.jsonl"),
      "{\"external_key\":\"J1\",\"name\":\"Li\",\"tags\":[\"a\"],\"loyalty_points\":5}\n"
      "\n"
      "{\"external_key\":\"J2\",\"name\":\"Broken\"\n"
      "{\"external_key\":\"J3\",\"name\":\"X\",\"fax\":\"1\"}\n"
      "{\"external_key\":\"J4\",\"name\":\"Y\",\"birthday\":19900101}\n"
      "{\"external_key\":\"J5\",\"name\":\"Zhou\",\"birthday\":\"1990-01-01\"}\n");
  auto replica = Replica::Open(dir.Sub("store")).value();
  const ImportSummary s = Import(*replica, dir.Sub("rows.jsonl"), 1000, InputFormat::kJsonLines);
  EXPECT_EQ(s.imported, 2u);
  EXPECT_EQ(s.refused, 3u);
  ASSERT_EQ(s.issues.size(), 3u);
  EXPECT_EQ(s.issues[0].line, 3);
  EXPECT_EQ(s.issues[1].line, 4);
  EXPECT_EQ(s.issues[1].column, "fax");
  EXPECT_EQ(s.issues[2].line, 5);
  EXPECT_EQ(s.issues[2].column, "birthday");
  EXPECT_EQ(ByKey(*replica, "J1")->counters.at("loyalty_points"), 5);
}

TEST(Import, JsonLinesTimelineEntriesTakeIntegerMillisecondTimestamps) {
  TempDir dir;
  // 1767225600000 ms is 2026-01-01T00:00:00Z; docs/cli.md allows either form in JSON Lines.
  testing::WriteFile(dir.Sub("ms.jsonl"),
                     "{\"external_key\":\"R2\",\"name\":\"r\",\"interactions\":"
                     "[{\"occurred_at\":1767225600000,\"kind\":\"visit\"}]}\n"
                     "{\"external_key\":\"R3\",\"name\":\"s\",\"interactions\":"
                     "[{\"occurred_at\":true,\"kind\":\"visit\"}]}\n");
  auto replica = Replica::Open(dir.Sub("store")).value();
  const ImportSummary s = Import(*replica, dir.Sub("ms.jsonl"), 1000, InputFormat::kJsonLines);
  EXPECT_EQ(s.imported, 1u);
  ASSERT_EQ(s.issues.size(), 1u);
  EXPECT_EQ(s.issues[0].line, 2);
  EXPECT_NE(s.issues[0].reason.find("occurred_at"), std::string::npos) << s.issues[0].reason;
  const std::optional<RecordView> r2 = ByKey(*replica, "R2");
  ASSERT_TRUE(r2.has_value());
  ASSERT_EQ(r2->timelines.at("interactions").size(), 1u);
  EXPECT_EQ(r2->timelines.at("interactions")[0].occurred_at.millis, 1767225600000);
}

// Every record of `a` has a record in `b` with the same external key and the same contents.
void ExpectSameArchive(const std::vector<RecordView>& a, const std::vector<RecordView>& b) {
  ASSERT_EQ(a.size(), b.size());
  std::map<std::string, const RecordView*> by_key;
  for (const RecordView& r : b) {
    by_key[std::get<std::string>(r.values.at("external_key").displayed)] = &r;
  }
  for (const RecordView& r : a) {
    const std::string key = std::get<std::string>(r.values.at("external_key").displayed);
    ASSERT_TRUE(by_key.count(key)) << key;
    EXPECT_TRUE(SameContents(r, *by_key[key])) << key;
  }
}

// `text`, an export, with every record id and timeline entry id blanked: all that may differ
// after a trip through another store, which gives new ids.
std::string WithoutIds(const std::string& text, InputFormat format) {
  std::string out = std::regex_replace(text, std::regex("\"id\":\"[^\"]*\""), "\"id\":\"\"");
  if (format == InputFormat::kCsv) {
    out = std::regex_replace(out, std::regex("\"\"id\"\":\"\"[^\"]*\"\""), "\"\"id\"\":\"\"\"\"");
    // The id column comes first; a record starts after a line break outside quotes, and no
    // quoted cell of the sample has a line starting with 26 base32 characters and a comma.
    out = std::regex_replace(out, std::regex("(^|\n)[0-9A-Z]{26},"), "$1,");
  }
  return out;
}

std::string Export(const std::vector<RecordView>& records, InputFormat format) {
  std::string text;
  if (format == InputFormat::kCsv) {
    AppendCsv(Customer(), records, text);
  } else {
    AppendJsonLines(Customer(), records, text);
  }
  return text;
}

TEST(Import, ImportExportImportGivesIdenticalRecords) {
  TempDir dir;
  auto first = Replica::Open(dir.Sub("first")).value();
  const ImportSummary s = Import(*first, RAPPORT_SAMPLE_CSV);
  EXPECT_EQ(s.refused, 0u);
  EXPECT_EQ(s.imported, 200u);
  const std::vector<RecordView> original = All(*first);

  for (InputFormat format : {InputFormat::kCsv, InputFormat::kJsonLines}) {
    SCOPED_TRACE(format == InputFormat::kCsv ? "csv" : "jsonl");
    const std::string exported = Export(original, format);
    const std::string file = dir.Sub(format == InputFormat::kCsv ? "out.csv" : "out.jsonl");
    testing::WriteFile(file, exported);
    auto second = Replica::Open(dir.Sub(format == InputFormat::kCsv ? "csv" : "jsonl")).value();
    const ImportSummary again = Import(*second, file, 1000, format);
    EXPECT_EQ(again.imported, 200u);
    EXPECT_EQ(again.refused, 0u);
    const std::vector<RecordView> copy = All(*second);
    ExpectSameArchive(original, copy);

    // Exported again, the file is the same but for record and entry ids.
    const std::string reexported = Export(copy, format);
    EXPECT_NE(exported, reexported);  // the ids differ, so the blanking below is needed
    EXPECT_EQ(WithoutIds(exported, format), WithoutIds(reexported, format));

    // And importing the export into the first store changes nothing.
    const ImportSummary onto_first = Import(*first, file, 1000, format);
    EXPECT_EQ(onto_first.unchanged, 200u) << "updated " << onto_first.updated;
  }
}

}  // namespace
}  // namespace rapport::cli
