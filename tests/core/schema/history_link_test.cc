// The `history` option of a VALUE field: the default schema links lifecycle_stage to
// lifecycle_history, and a link the client library could not write is refused at load with a
// message naming the type, the field and why.
#include <string>

#include "core/schema/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::schema {
namespace {

using ::testing::HasSubstr;

constexpr char kStage[] =
    R"(fields { name: "stage" number: 1 kind: VALUE type: ENUM enum_values: ["a", "b"] )";
constexpr char kEnds[] =
    R"(fields { name: "from" number: 3 kind: VALUE type: ENUM enum_values: ["a", "b"] }
       fields { name: "to" number: 4 kind: VALUE type: ENUM enum_values: ["a", "b"] })";

absl::StatusOr<Schema> Load(const std::string& body) {
  return Schema::Parse("name: \"t\" version: 1 types { name: \"deal\" " + body + " }");
}

// The message of loading a type whose `stage` records into `changes`, declared as `timeline`.
std::string ErrorOf(const std::string& stage_options, const std::string& timeline) {
  absl::StatusOr<Schema> s =
      Load(std::string(kStage) + stage_options + " history: \"changes\" } " + timeline);
  EXPECT_FALSE(s.ok()) << timeline;
  return s.ok() ? "" : std::string(s.status().message());
}

std::string Timeline(const std::string& sub_fields, const std::string& options = "") {
  return R"(fields { name: "changes" number: 2 kind: TIMELINE )" + options + " " + sub_fields +
         " }";
}

TEST(SchemaHistoryLink, DefaultCustomerRecordsLifecycleStageInLifecycleHistory) {
  const RecordType& customer = *Schema::DefaultCustomer().FindType("customer");
  EXPECT_EQ(customer.FindField("lifecycle_stage")->history(), "lifecycle_history");
  const FieldSpec* history = customer.FindField("lifecycle_history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->kind(), crdt::FieldKind::kTimeline);
  for (const char* sub : {"from", "to", "author"}) {
    EXPECT_NE(history->sub_fields().Find(sub), nullptr) << sub;
  }
  EXPECT_EQ(customer.FindField("loyalty_stage")->history(), "");
}

TEST(SchemaHistoryLink, AWellFormedLinkLoads) {
  const std::string with_author =
      std::string(kEnds) + R"( fields { name: "author" number: 5 kind: VALUE type: STRING })";
  absl::StatusOr<Schema> s =
      Load(std::string(kStage) + " history: \"changes\" } " + Timeline(with_author));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->FindField("deal", "stage")->history(), "changes");
}

TEST(SchemaHistoryLink, MissingOrWrongKindOfTimelineIsRefused) {
  EXPECT_THAT(ErrorOf("", ""), HasSubstr("type \"deal\": field \"stage\": history \"changes\": "
                                         "the type has no field of that name"));
  EXPECT_THAT(ErrorOf("", R"(fields { name: "changes" number: 2 kind: COUNTER })"),
              HasSubstr("is a counter, not a timeline"));
}

TEST(SchemaHistoryLink, FromAndToMustTakeTheFieldsValues) {
  EXPECT_THAT(ErrorOf("", Timeline(
                              R"(fields { name: "to" number: 4 kind: VALUE type: ENUM
                                          enum_values: ["a", "b"] })")),
              HasSubstr("needs a sub-field \"from\""));
  EXPECT_THAT(ErrorOf("", Timeline(R"(fields { name: "from" number: 3 kind: VALUE type: STRING }
                                      fields { name: "to" number: 4 kind: VALUE type: ENUM
                                               enum_values: ["a", "b"] })")),
              HasSubstr("sub-field \"from\" must have the field's type and rules"));
  // One symbol short: the library could not write the stage "b" into `to`.
  EXPECT_THAT(ErrorOf("", Timeline(R"(fields { name: "from" number: 3 kind: VALUE type: ENUM
                                               enum_values: ["a", "b"] }
                                      fields { name: "to" number: 4 kind: VALUE type: ENUM
                                               enum_values: ["a"] })")),
              HasSubstr("sub-field \"to\" must have the field's type and rules"));
}

TEST(SchemaHistoryLink, SubFieldsTheLibraryCannotFillAreRefused) {
  EXPECT_THAT(
      ErrorOf("", Timeline(std::string(kEnds) +
                           R"( fields { name: "author" number: 5 kind: VALUE type: INT64 })")),
      HasSubstr("sub-field \"author\" must be a STRING"));
  EXPECT_THAT(ErrorOf("", Timeline(std::string(kEnds) +
                                   R"( fields { name: "why" number: 5 kind: VALUE type: STRING
                                                required: true })")),
              HasSubstr("sub-field \"why\" is required"));
}

TEST(SchemaHistoryLink, RolesThatWriteTheFieldMustWriteTheTimeline) {
  EXPECT_THAT(ErrorOf("", Timeline(kEnds, "writers: [ADMIN]")),
              HasSubstr("every role that may write the field must be allowed to write the "
                        "timeline"));
  // Narrower field rights than the timeline's are fine.
  absl::StatusOr<Schema> s =
      Load(std::string(kStage) + " writers: [ADMIN] history: \"changes\" } " + Timeline(kEnds));
  EXPECT_TRUE(s.ok()) << s.status();
}

TEST(SchemaHistoryLink, OneTimelinePerFieldAndOnlyOnTopLevelValues) {
  absl::StatusOr<Schema> shared =
      Load(std::string(kStage) + " history: \"changes\" } " +
           R"(fields { name: "stage2" number: 5 kind: VALUE type: ENUM enum_values: ["a", "b"]
                       history: "changes" } )" +
           Timeline(kEnds));
  ASSERT_FALSE(shared.ok());
  EXPECT_THAT(std::string(shared.status().message()), HasSubstr("already records field \"stage\""));

  absl::StatusOr<Schema> on_counter = Load(
      R"(fields { name: "points" number: 1 kind: COUNTER history: "changes" } )" + Timeline(kEnds));
  ASSERT_FALSE(on_counter.ok());
  EXPECT_THAT(std::string(on_counter.status().message()),
              HasSubstr("history applies to top-level VALUE fields only"));
}

}  // namespace
}  // namespace rapport::schema
