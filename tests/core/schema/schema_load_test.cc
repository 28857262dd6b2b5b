// Loading schemas: the default customer schema, syntax and definition errors, lookups, hash.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/schema/default_schema_text.h"
#include "core/schema/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::schema {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using FD = rapport::v1::FieldDef;

const std::string kCustomerFile = std::string(RAPPORT_SOURCE_DIR) + "/schemas/customer.textproto";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The message of loading a one-type schema whose type body is `body`.
std::string ErrorOf(const std::string& body) {
  absl::StatusOr<Schema> s =
      Schema::Parse("name: \"test\" version: 1 types { name: \"customer\" " + body + " }");
  EXPECT_FALSE(s.ok()) << body;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

TEST(SchemaLoad, DefaultCustomerParsesAndIsValid) {
  const Schema& s = Schema::DefaultCustomer();
  EXPECT_EQ(s.name(), "rapport-crm");
  EXPECT_EQ(s.version(), 2u);
  ASSERT_EQ(s.types().size(), 1u);
  const RecordType* customer = s.FindType("customer");
  ASSERT_NE(customer, nullptr);
  EXPECT_GE(customer->fields().size(), 60u);

  const FieldSpec* name = customer->FindField("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->number(), 1u);
  EXPECT_TRUE(name->required());
  EXPECT_EQ(name->index(), IndexKind::kPrefix);
  EXPECT_EQ(customer->FindField("tags")->kind(), crdt::FieldKind::kSet);
  EXPECT_EQ(customer->FindField("tags")->index(), IndexKind::kMembership);
  EXPECT_EQ(customer->FindField("loyalty_points")->kind(), crdt::FieldKind::kCounter);
  EXPECT_EQ(customer->FindField("birthday")->type(), FD::DATE);
  EXPECT_EQ(customer->FindField("contacts")->kind(), crdt::FieldKind::kMap);
  EXPECT_EQ(customer->FindField("interactions")->kind(), crdt::FieldKind::kTimeline);
}

TEST(SchemaLoad, DefaultCustomerCarriesTheDomainClassifications) {
  const Schema& s = Schema::DefaultCustomer();
  auto values = [&](std::string_view path) {
    const FieldSpec* f = s.FindField("customer", path);
    EXPECT_NE(f, nullptr) << path;
    return std::vector<std::string>(f->def().enum_values().begin(), f->def().enum_values().end());
  };
  EXPECT_THAT(values("lifecycle_stage"),
              ElementsAre("non_customer", "potential", "target", "current", "lost"));
  EXPECT_THAT(values("loyalty_stage"), ElementsAre("potential", "new", "repeat", "loyal"));
  EXPECT_THAT(values("value_tier"), ElementsAre("key", "important", "ordinary", "small"));
  EXPECT_THAT(values("relationship_level"),
              ElementsAre("basic", "reactive", "accountable", "proactive", "partnership"));
  EXPECT_THAT(values("relationship_phase"),
              ElementsAre("exploration", "formation", "stability", "decline"));
  EXPECT_THAT(values("buying_style"),
              ElementsAre("lighthouse", "follower", "rational", "profit_seeking"));
  EXPECT_THAT(values("interactions.satisfaction_level"),
              ElementsAre("very_satisfied", "satisfied", "fairly_satisfied", "neutral",
                          "somewhat_dissatisfied", "dissatisfied", "very_dissatisfied"));
}

TEST(SchemaLoad, EveryDefaultFieldHasADoc) {
  for (const FieldSpec& f : Schema::DefaultCustomer().FindType("customer")->fields()) {
    EXPECT_FALSE(f.def().doc().empty()) << f.path();
    for (const FieldSpec& sub : f.sub_fields().all()) EXPECT_FALSE(sub.def().doc().empty());
  }
}

TEST(SchemaLoad, EmbeddedTextIsTheFileOnDisk) {
  EXPECT_EQ(internal::kDefaultCustomerSchemaText, ReadFile(kCustomerFile));
}

TEST(SchemaLoad, LoadFileGivesTheDefaultSchema) {
  absl::StatusOr<Schema> s = Schema::LoadFile(kCustomerFile);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->Hash(), Schema::DefaultCustomer().Hash());
}

TEST(SchemaLoad, LoadFileOfMissingFileIsNotFoundNamingThePath) {
  absl::StatusOr<Schema> s = Schema::LoadFile("/nonexistent/schema.textproto");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("/nonexistent/schema.textproto"));
}

TEST(SchemaLoad, SyntaxErrorCarriesLineAndColumn) {
  absl::StatusOr<Schema> s = Schema::Parse("name: \"x\"\ntypes {\n  nam: \"customer\"\n}\n");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(),
              AllOf(HasSubstr("<schema text>:3:"), HasSubstr("no field named \"nam\"")));
}

TEST(SchemaLoad, LoadFileErrorsStartWithThePath) {
  const std::string path = ::testing::TempDir() + "/schema_load_test_bad.textproto";
  {
    std::ofstream out(path);
    out << "types {\n  name: \"customer\"\n  fields { name: \"a\" number: 1 kind: VALUE "
           "type: STRNG }\n}\n";
  }
  absl::StatusOr<Schema> syntax = Schema::LoadFile(path);
  EXPECT_THAT(syntax.status().message(), AllOf(HasSubstr(path + ":3:"), HasSubstr("STRNG")));
  {
    std::ofstream out(path);
    out << "types { name: \"customer\" fields { name: \"a\" kind: VALUE type: STRING } }\n";
  }
  absl::StatusOr<Schema> definition = Schema::LoadFile(path);
  EXPECT_THAT(definition.status().message(),
              AllOf(HasSubstr(path + ": "), HasSubstr("field \"a\": number 0")));
  std::remove(path.c_str());
}

TEST(SchemaLoad, HashIgnoresDocsCommentsAndFormatting) {
  absl::StatusOr<Schema> a = Schema::Parse(
      "types { name: \"customer\" fields { name: \"a\" number: 1 kind: VALUE type: STRING } }");
  absl::StatusOr<Schema> b = Schema::Parse(
      "# a comment\ntypes {\n  name: \"customer\"\n  doc: \"Customers.\"\n"
      "  fields {\n    name: \"a\"\n    number: 1\n    kind: VALUE\n    type: STRING\n"
      "    doc: \"A.\"\n  }\n}\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Hash(), b->Hash());
  EXPECT_EQ(a->Hash().size(), 16u);
  EXPECT_EQ(a->Hash().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(SchemaLoad, HashChangesWhenTheMeaningChanges) {
  const std::string base = "types { name: \"customer\" fields { name: \"a\" number: 1 kind: VALUE ";
  absl::StatusOr<Schema> a = Schema::Parse(base + "type: STRING } }");
  absl::StatusOr<Schema> b = Schema::Parse(base + "type: STRING max_length: 5 } }");
  absl::StatusOr<Schema> c = Schema::Parse(base + "type: STRING index: EXACT } }");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NE(a->Hash(), b->Hash());
  EXPECT_NE(a->Hash(), c->Hash());
  EXPECT_NE(b->Hash(), c->Hash());
}

TEST(SchemaLookup, FieldsByNameNumberAndPath) {
  const RecordType* t = Schema::DefaultCustomer().FindType("customer");
  const FieldSpec* by_name = t->FindField("lifecycle_stage");
  ASSERT_NE(by_name, nullptr);
  EXPECT_EQ(t->FindField(by_name->number()), by_name);
  EXPECT_EQ(t->FindField(crdt::FieldId{49}), nullptr);
  EXPECT_EQ(t->FindField("no_such_field"), nullptr);
  EXPECT_EQ(Schema::DefaultCustomer().FindType("order"), nullptr);

  const FieldSpec* phone = t->FindPath("contacts.phone");
  ASSERT_NE(phone, nullptr);
  EXPECT_EQ(phone->path(), "contacts.phone");
  EXPECT_EQ(t->FindField("contacts")->sub_fields().Find(phone->number()), phone);
  EXPECT_EQ(t->FindPath("contacts.nope"), nullptr);
  EXPECT_EQ(t->FindPath("name.sub"), nullptr);
  EXPECT_EQ(Schema::DefaultCustomer().FindField("customer", "interactions.kind")->number(), 3u);
}

TEST(SchemaLookup, TimelineHasImplicitOccurredAtAndRetracted) {
  const FieldSpec* interactions = Schema::DefaultCustomer().FindField("customer", "interactions");
  const FieldSpec* occurred = interactions->sub_fields().Find(crdt::Timeline::kOccurredAt);
  const FieldSpec* retracted = interactions->sub_fields().Find(crdt::Timeline::kRetracted);
  ASSERT_NE(occurred, nullptr);
  ASSERT_NE(retracted, nullptr);
  EXPECT_EQ(occurred->name(), "occurred_at");
  EXPECT_EQ(occurred->type(), FD::TIMESTAMP);
  EXPECT_TRUE(occurred->implicit());
  EXPECT_EQ(retracted->name(), "retracted");
  EXPECT_EQ(retracted->type(), FD::BOOL);
  EXPECT_EQ(interactions->sub_fields().all().front().number(), 1u);
}

// ---- One test per class of schema-file error. ----

TEST(SchemaFileErrors, DuplicateFieldNameNamesTypeAndField) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: STRING }"
                      "fields { name: \"a\" number: 2 kind: VALUE type: STRING }"),
              AllOf(HasSubstr("type \"customer\": field \"a\""),
                    HasSubstr("name is already used by field number 1")));
}

TEST(SchemaFileErrors, DuplicateFieldNumberNamesBothFields) {
  EXPECT_THAT(
      ErrorOf("fields { name: \"a\" number: 7 kind: VALUE type: STRING }"
              "fields { name: \"b\" number: 7 kind: COUNTER }"),
      AllOf(HasSubstr("field \"b\""), HasSubstr("number 7 is already used by field \"a\"")));
}

TEST(SchemaFileErrors, NumberZeroIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" kind: VALUE type: STRING }"),
              HasSubstr("field \"a\": number 0 is invalid"));
}

TEST(SchemaFileErrors, ReservedNumberOrNameIsRefused) {
  EXPECT_THAT(ErrorOf("reserved_numbers: 4 fields { name: \"a\" number: 4 kind: COUNTER }"),
              HasSubstr("field \"a\": number 4 is reserved"));
  EXPECT_THAT(ErrorOf("reserved_names: \"old\" fields { name: \"old\" number: 5 kind: COUNTER }"),
              HasSubstr("field \"old\": name is reserved"));
}

TEST(SchemaFileErrors, BadFieldNameIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"Bad-Name\" number: 1 kind: COUNTER }"),
              HasSubstr("must be a lower-case identifier"));
}

TEST(SchemaFileErrors, MissingKindOrTypeIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 type: STRING }"),
              HasSubstr("field \"a\": kind must be one of"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE }"),
              HasSubstr("field \"a\": a VALUE field needs a type"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: COUNTER type: INT64 }"),
              HasSubstr("type int64 does not apply to a counter field"));
}

TEST(SchemaFileErrors, SubFieldsOnNonContainerAreRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: STRING "
                      "  fields { name: \"b\" number: 3 kind: VALUE type: STRING } }"),
              AllOf(HasSubstr("field \"a\""),
                    HasSubstr("only TIMELINE and MAP fields have sub-fields, this is a value")));
}

TEST(SchemaFileErrors, SubFieldOfNonValueKindIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"m\" number: 1 kind: MAP "
                      "  fields { name: \"c\" number: 1 kind: COUNTER } }"),
              AllOf(HasSubstr("field \"m.c\""), HasSubstr("must be of kind VALUE")));
}

TEST(SchemaFileErrors, EnumValuesOnNonEnumAreRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: STRING "
                      "enum_values: [\"x\"] }"),
              HasSubstr("field \"a\": enum_values apply to ENUM fields only, this is string"));
}

TEST(SchemaFileErrors, EnumWithoutOrWithRepeatedValuesIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: ENUM }"),
              HasSubstr("field \"a\": an ENUM field needs enum_values"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: ENUM "
                      "enum_values: [\"x\", \"x\"] }"),
              HasSubstr("enum value \"x\" is listed twice"));
}

TEST(SchemaFileErrors, IndexKindNotFittingTheFieldIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"n\" number: 1 kind: VALUE type: INT64 index: PREFIX }"),
              AllOf(HasSubstr("field \"n\""),
                    HasSubstr("index PREFIX needs a STRING value, this is a int64 value")));
  EXPECT_THAT(ErrorOf("fields { name: \"s\" number: 1 kind: VALUE type: STRING "
                      "index: MEMBERSHIP }"),
              HasSubstr("index MEMBERSHIP needs a SET"));
  EXPECT_THAT(ErrorOf("fields { name: \"t\" number: 1 kind: SET index: RANGE }"),
              HasSubstr("index RANGE needs an INT64, DOUBLE, DATE or TIMESTAMP value, or a "
                        "COUNTER, this is a set"));
}

TEST(SchemaFileErrors, IndexedSubFieldIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"m\" number: 1 kind: MAP "
                      "  fields { name: \"p\" number: 1 kind: VALUE type: STRING index: EXACT } }"),
              AllOf(HasSubstr("field \"m.p\""), HasSubstr("sub-fields cannot be indexed")));
}

TEST(SchemaFileErrors, TimelineSubFieldNumberBelowThreeIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"events\" number: 1 kind: TIMELINE "
                      "  fields { name: \"what\" number: 2 kind: VALUE type: STRING } }"),
              AllOf(HasSubstr("field \"events.what\""),
                    HasSubstr("timeline sub-field number 2 is below 3")));
}

TEST(SchemaFileErrors, TimelineSubFieldCannotTakeAnImplicitName) {
  EXPECT_THAT(ErrorOf("fields { name: \"events\" number: 1 kind: TIMELINE "
                      "  fields { name: \"occurred_at\" number: 3 kind: VALUE type: DATE } }"),
              HasSubstr("name is already used by the implicit timeline field number 1"));
}

TEST(SchemaFileErrors, BadPatternNamesTheFieldAndTheRe2Error) {
  EXPECT_THAT(ErrorOf("fields { name: \"code\" number: 1 kind: VALUE type: STRING "
                      "pattern: \"[a-z\" }"),
              AllOf(HasSubstr("field \"code\": pattern \"[a-z\" is not a valid RE2 expression"),
                    HasSubstr("missing ]")));
}

TEST(SchemaFileErrors, ConstraintsOnTheWrongTypeAreRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: DATE max_length: 3 }"),
              HasSubstr("min_length / max_length apply to STRING values and SET elements only"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: STRING min: 3 }"),
              HasSubstr("min / max apply to INT64 and DOUBLE values only"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: COUNTER required: true }"),
              HasSubstr("required applies to VALUE fields only"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: BOOL pattern: \"x\" }"),
              HasSubstr("pattern applies to STRING values and SET elements only"));
}

TEST(SchemaFileErrors, InvertedLimitsAreRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: STRING "
                      "min_length: 5 max_length: 2 }"),
              HasSubstr("min_length 5 exceeds max_length 2"));
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: VALUE type: INT64 min: 5 max: 2 }"),
              HasSubstr("min 5 exceeds max 2"));
}

TEST(SchemaFileErrors, UnspecifiedWriterRoleIsRefused) {
  EXPECT_THAT(ErrorOf("fields { name: \"a\" number: 1 kind: COUNTER writers: [ROLE_UNSPECIFIED] }"),
              HasSubstr("field \"a\": writers: 0 is not a role"));
}

TEST(SchemaFileErrors, DuplicateOrMissingTypesAreRefused) {
  EXPECT_THAT(Schema::Parse("types { name: \"a\" } types { name: \"a\" }").status().message(),
              HasSubstr("type \"a\": declared more than once"));
  EXPECT_THAT(Schema::Parse("name: \"empty\"").status().message(),
              HasSubstr("schema declares no record types"));
}

}  // namespace
}  // namespace rapport::schema
