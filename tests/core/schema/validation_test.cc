// Value rules at write time (ValidateValue), at receipt (ValidateDelta), and required fields.
#include "core/schema/validation.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/crdt/record_codec.h"
#include "core/schema/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/schema/customer_fixture.h"

namespace rapport::schema {
namespace {

using ::testing::AllOf;
using testing::Customer;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::Num;
using testing::TestId;
using testing::Writer;

constexpr std::string_view kId = "01HQ3F5M8C2XJ4K7N9P0RSTVWY";

std::string Message(const absl::Status& s) { return std::string(s.message()); }

absl::Status Check(std::string_view path, crdt::Scalar value) {
  return Customer().ValidateValue("customer", path, value, kId);
}

// ---- Local writes: one test per rule kind. ----

TEST(SchemaValidation, TypeMismatchNamesRecordFieldAndBothTypes) {
  absl::Status s = Check("birthday", std::string("1990-01-01"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s),
            "record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"birthday\": expects a date "
            "value, got string \"1990-01-01\"");
  EXPECT_THAT(Message(Check("loyalty_stage", std::string("new"))),
              HasSubstr("field \"loyalty_stage\": expects an enum value, got string \"new\""));
  EXPECT_TRUE(Check("birthday", crdt::DateFromCivil(1990, 1, 1)).ok());
}

TEST(SchemaValidation, RequiredFieldRefusesNull) {
  absl::Status s = Check("name", std::monostate{});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s),
            "record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"name\": is required; it cannot be null");
}

TEST(SchemaValidation, NullIsAllowedWhenNotRequired) {
  EXPECT_TRUE(Check("phone", std::monostate{}).ok());
  EXPECT_TRUE(Check("lifecycle_stage", std::monostate{}).ok());
  EXPECT_TRUE(Check("interactions.summary", std::monostate{}).ok());
}

TEST(SchemaValidation, EnumValueNotInListNamesFieldAndValues) {
  absl::Status s = Check("lifecycle_stage", crdt::EnumSymbol{"prospectt"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s),
            "record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"lifecycle_stage\": "
            "\"prospectt\" is not one of non_customer, potential, target, current, "
            "lost");
  EXPECT_TRUE(Check("lifecycle_stage", crdt::EnumSymbol{"lost"}).ok());
}

TEST(SchemaValidation, PatternMismatchNamesThePattern) {
  absl::Status s = Check("phone", std::string("call me maybe"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), AllOf(HasSubstr("record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"phone\": "
                                          "\"call me maybe\" does not match the pattern \""),
                                HasSubstr("[0-9]")));
  for (const char* ok : {"+86 138-0013-8000", "(010) 1234 5678", "0171.555.0100", "110"}) {
    EXPECT_TRUE(Check("phone", std::string(ok)).ok()) << ok;
  }
  // The whole value must match, not a part of it.
  EXPECT_FALSE(Check("phone", std::string("12345 call me")).ok());
  EXPECT_FALSE(Check("email", std::string("not an email")).ok());
  EXPECT_TRUE(Check("email", std::string("li.na@example.cn")).ok());
}

TEST(SchemaValidation, LengthCountsCodePointsNotBytes) {
  absl::StatusOr<Schema> schema = Schema::Parse(
      "types { name: \"customer\" fields { name: \"name\" number: 1 kind: VALUE type: STRING "
      "min_length: 2 max_length: 4 } }");
  ASSERT_TRUE(schema.ok()) << schema.status();
  // 4 characters, 12 bytes: within a limit of 4.
  EXPECT_TRUE(schema->ValidateValue("customer", "name", std::string("欧阳娜娜"), kId).ok());
  absl::Status s = schema->ValidateValue("customer", "name", std::string("欧阳娜娜娜"), kId);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s),
            "record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"name\": \"欧阳娜娜娜\" is 5 "
            "characters long; the maximum length is 4");
  EXPECT_THAT(Message(schema->ValidateValue("customer", "name", std::string("李"), kId)),
              HasSubstr("field \"name\": \"李\" is 1 characters long; the minimum length is 2"));
}

TEST(SchemaValidation, InvalidUtf8IsRefused) {
  EXPECT_THAT(Message(Check("city", std::string("Bei\xff"
                                                "jing"))),
              HasSubstr("field \"city\": value is not valid UTF-8"));
  EXPECT_FALSE(Check("city", std::string("\xe5\x8c")).ok());  // truncated sequence
}

TEST(SchemaValidation, NumericRangeNamesTheBound) {
  absl::Status s = Check("assets_cents", int64_t{-5});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s),
            "record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: field \"assets_cents\": -5 is below the minimum 0");
  EXPECT_THAT(Message(Check("interactions.expected_score", 150.5)),
              HasSubstr("field \"interactions.expected_score\": 150.5 is above the maximum 100"));
  EXPECT_TRUE(Check("interactions.expected_score", 100.0).ok());  // bounds are inclusive
  EXPECT_TRUE(Check("assets_cents", int64_t{0}).ok());
}

TEST(SchemaValidation, Int64RangeIsComparedExactlyPast2To53) {
  absl::StatusOr<Schema> schema = Schema::Parse(
      "types { name: \"customer\" fields { name: \"n\" number: 1 kind: VALUE type: INT64 "
      "max: 9007199254740992 } }");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const int64_t two53 = int64_t{1} << 53;
  EXPECT_TRUE(schema->ValidateValue("customer", "n", two53).ok());
  // (double)(2^53 + 1) == 2^53, so a converting comparison would let this through.
  EXPECT_FALSE(schema->ValidateValue("customer", "n", two53 + 1).ok());
  EXPECT_FALSE(schema->ValidateValue("customer", "n", std::numeric_limits<int64_t>::max()).ok());
  EXPECT_TRUE(schema->ValidateValue("customer", "n", std::numeric_limits<int64_t>::min()).ok());
}

TEST(SchemaValidation, NonFiniteDoubleIsRefused) {
  EXPECT_THAT(Message(Check("interactions.perceived_score", std::nan(""))),
              HasSubstr("field \"interactions.perceived_score\": nan is not a finite number"));
  EXPECT_FALSE(Check("interactions.perceived_score", std::numeric_limits<double>::infinity()).ok());
}

TEST(SchemaValidation, UnknownTypeFieldOrNonValueFieldIsRefused) {
  EXPECT_THAT(Message(Customer().ValidateValue("order", "name", std::string("x"), kId)),
              HasSubstr("record 01HQ3F5M8C2XJ4K7N9P0RSTVWY: unknown record type \"order\""));
  EXPECT_THAT(Message(Check("nickname", std::string("x"))),
              HasSubstr("unknown field \"nickname\" in type \"customer\""));
  EXPECT_THAT(Message(Check("tags", std::string("x"))),
              HasSubstr("field \"tags\": is a set field; only value fields take a single value"));
}

TEST(SchemaValidation, MessageWithoutRecordIdStartsWithTheField) {
  EXPECT_THAT(Message(Customer().ValidateValue("customer", "value_tier", crdt::EnumSymbol{"vip"})),
              MatchesRegex("^field \"value_tier\": \"vip\" is not one of .*"));
}

TEST(SchemaValidation, LongValuesAreCutInMessages) {
  const std::string huge(100000, '7');
  absl::Status s = Check("phone", huge);
  EXPECT_FALSE(s.ok());
  EXPECT_LT(s.message().size(), 400u);
  EXPECT_THAT(Message(s), HasSubstr("... (100000 bytes)"));
}

// ---- Received deltas. ----

TEST(SchemaDeltaValidation, WellFormedDeltaPasses) {
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("name"), std::string("王小明")).ok());
    ASSERT_TRUE(e.Set(Num("lifecycle_stage"), crdt::EnumSymbol{"target"}).ok());
    ASSERT_TRUE(e.Increment(Num("loyalty_points"), 120).ok());
    ASSERT_TRUE(e.AddElement(Num("tags"), "vip").ok());
    ASSERT_TRUE(e.SetInMap(Num("contacts"), "c1", 1, std::string("Li Na")).ok());
    ASSERT_TRUE(e.AppendEntry(Num("interactions"),
                              {{crdt::Timeline::kOccurredAt, crdt::Timestamp{1'700'000'000'000}},
                               {Num("interactions.kind"), crdt::EnumSymbol{"visit"}}})
                    .ok());
  });
  EXPECT_TRUE(Customer().ValidateDelta(delta).ok()) << Customer().ValidateDelta(delta);
  EXPECT_TRUE(Customer().ValidateDelta(w.record()).ok());
}

TEST(SchemaDeltaValidation, BadValueInsideTimelineEntryIsRefused) {
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.AppendEntry(Num("interactions"),
                              {{crdt::Timeline::kOccurredAt, crdt::Timestamp{1'700'000'000'000}},
                               {Num("interactions.kind"), crdt::EnumSymbol{"visitt"}}})
                    .ok());
  });
  absl::Status s = Customer().ValidateDelta(delta);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s),
              AllOf(HasSubstr("record " + delta.id().ToString() + ": "),
                    HasSubstr("field \"interactions[entry 00000000000000a1@"),
                    HasSubstr("].kind\": \"visitt\" is not one of visit, call, email")));
}

TEST(SchemaDeltaValidation, WrongTypeForImplicitTimelineFieldIsRefused) {
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.AppendEntry(Num("interactions"),
                              {{crdt::Timeline::kOccurredAt, std::string("yesterday")}})
                    .ok());
  });
  EXPECT_THAT(Message(Customer().ValidateDelta(delta)),
              HasSubstr("].occurred_at\": expects a timestamp value, got string \"yesterday\""));
}

TEST(SchemaDeltaValidation, BadValueInMapEntryIsRefused) {
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.SetInMap(Num("contacts"), "c-7", Num("contacts.email") /* sub-field 4 */,
                           std::string("no-at-sign"))
                    .ok());
  });
  EXPECT_THAT(Message(Customer().ValidateDelta(delta)),
              HasSubstr("field \"contacts[\"c-7\"].email\": \"no-at-sign\" does not match"));
}

TEST(SchemaDeltaValidation, EverySiblingIsCheckedNotOnlyTheDisplayedOne) {
  const crdt::Record base(TestId(), "customer");
  Writer low(base, 0x01);
  Writer high(base, 0x02);
  crdt::Record bad = low.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("value_tier"), crdt::EnumSymbol{"vipp"}).ok());
  });
  crdt::Record good = high.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("value_tier"), crdt::EnumSymbol{"key"}).ok());
  });
  crdt::Record merged = good;
  merged.Join(bad, 1);
  const auto* reg = merged.fields().Find(Num("value_tier"))->As<crdt::ValueRegister>();
  ASSERT_EQ(reg->siblings().size(), 2u);
  EXPECT_EQ(reg->Displayed(), crdt::Scalar(crdt::EnumSymbol{"key"}));
  EXPECT_THAT(Message(Customer().ValidateDelta(merged)), HasSubstr("\"vipp\" is not one of"));
}

TEST(SchemaDeltaValidation, WrongKindForKnownNumberIsRefused) {
  Writer w;
  crdt::Record delta =
      w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("tags"), std::string("vip")).ok()); });
  EXPECT_THAT(Message(Customer().ValidateDelta(delta)),
              HasSubstr("field \"tags\": field number 170 is a set in this schema, but the delta "
                        "holds a value"));
}

TEST(SchemaDeltaValidation, SetElementsObeyLengthLimits) {
  Writer w;
  crdt::Record empty_tag =
      w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.AddElement(Num("tags"), "").ok()); });
  EXPECT_THAT(Message(Customer().ValidateDelta(empty_tag)),
              HasSubstr("field \"tags\": \"\" is 0 characters long; the minimum length is 1"));
  Writer w2;
  crdt::Record long_tag = w2.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.AddElement(Num("tags"), std::string(65, 'x')).ok());
  });
  EXPECT_THAT(Message(Customer().ValidateDelta(long_tag)),
              HasSubstr("is 65 characters long; the maximum length is 64"));
}

TEST(SchemaDeltaValidation, UnknownFieldsPassThroughAndSurviveJoinAndEncode) {
  constexpr crdt::FieldId kFutureField = 999;      // from a newer schema
  constexpr crdt::FieldId kFutureEntryField = 42;  // a newer interaction sub-field
  Writer newer(0xB2);
  crdt::Record delta = newer.Edit([&](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("name"), std::string("Acme")).ok());
    ASSERT_TRUE(e.Set(kFutureField, std::string("from the future")).ok());
    ASSERT_TRUE(e.Increment(kFutureField + 1, 3).ok());
    ASSERT_TRUE(e.AppendEntry(Num("interactions"),
                              {{crdt::Timeline::kOccurredAt, crdt::Timestamp{1'700'000'000'000}},
                               {Num("interactions.kind"), crdt::EnumSymbol{"call"}},
                               {kFutureEntryField, int64_t{7}}})
                    .ok());
  });
  ASSERT_TRUE(Customer().ValidateDelta(delta).ok()) << Customer().ValidateDelta(delta);
  EXPECT_TRUE(Customer().CheckWriteRights(delta, "replica").ok());

  // This replica (older schema) joins it, stores it (encode/decode) and passes it on.
  crdt::Record here(delta.id(), "customer");
  ASSERT_TRUE(here.Join(delta, 1));
  absl::StatusOr<crdt::Record> stored = crdt::DecodeRecord(crdt::EncodeRecord(here));
  ASSERT_TRUE(stored.ok()) << stored.status();
  const crdt::Field* future = stored->fields().Find(kFutureField);
  ASSERT_NE(future, nullptr);
  EXPECT_EQ(future->As<crdt::ValueRegister>()->Displayed(),
            crdt::Scalar(std::string("from the future")));
  EXPECT_EQ(stored->fields().Find(kFutureField + 1)->As<crdt::PnCounter>()->Value(), 3);
  const auto& entries = stored->fields().Find(Num("interactions"))->As<crdt::Timeline>()->entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0].second.Find(kFutureEntryField), nullptr);
  // Passed on unchanged: the next replica receives the same state.
  crdt::Record next(delta.id(), "customer");
  next.Join(*stored, 1);
  EXPECT_EQ(next, here);
  EXPECT_TRUE(Customer().ValidateDelta(next).ok());
}

TEST(SchemaDeltaValidation, UnknownRecordTypeIsRefused) {
  crdt::Record r(TestId(), "invoice");
  EXPECT_THAT(Message(Customer().ValidateDelta(r)),
              HasSubstr("unknown record type \"invoice\" (schema \"rapport-crm\" version 2 has "
                        "customer)"));
}

TEST(SchemaDeltaValidation, DeletedFlagMustBeBool) {
  crdt::Record r(TestId(), "customer");
  r.mutable_deleted_field().As<crdt::ValueRegister>()->Write(crdt::Dot{1, 1}, std::string("yes"));
  EXPECT_THAT(Message(Customer().ValidateDelta(r)),
              HasSubstr("the deleted flag expects a bool, got string"));
}

// ---- Required fields of whole records. ----

TEST(SchemaRequired, NewRecordWithoutNameNamesTheField) {
  Writer w;
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("phone"), std::string("110")).ok()); });
  absl::Status s = Customer().ValidateRequired(w.record());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s), "record " + w.record().id().ToString() +
                            ": field \"name\": is required but has no value");
}

TEST(SchemaRequired, NewRecordWithNamePasses) {
  Writer w;
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("name"), std::string("Acme")).ok()); });
  EXPECT_TRUE(Customer().ValidateRequired(w.record()).ok());
}

TEST(SchemaRequired, EntriesNeedTheirRequiredFieldsUnlessRetracted) {
  Writer w;
  w.Edit([](crdt::RecordEdit& e) { ASSERT_TRUE(e.Set(Num("name"), std::string("Acme")).ok()); });
  crdt::Dot entry;
  w.Edit([&](crdt::RecordEdit& e) {
    auto dot = e.AppendEntry(Num("interactions"),
                             {{crdt::Timeline::kOccurredAt, crdt::Timestamp{1'700'000'000'000}}});
    ASSERT_TRUE(dot.ok());
    entry = *dot;
  });
  EXPECT_THAT(Message(Customer().ValidateRequired(w.record())),
              HasSubstr("].kind\": is required but has no value"));
  w.Edit(
      [&](crdt::RecordEdit& e) { ASSERT_TRUE(e.RetractEntry(Num("interactions"), entry).ok()); });
  EXPECT_TRUE(Customer().ValidateRequired(w.record()).ok());

  w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.SetInMap(Num("contacts"), "c1", Num("contacts.role"), std::string("CFO")).ok());
  });
  EXPECT_THAT(Message(Customer().ValidateRequired(w.record())),
              HasSubstr("field \"contacts[\"c1\"].name\": is required but has no value"));
}

TEST(SchemaRequired, ErasedRecordPasses) {
  Writer w;
  w.Edit([](crdt::RecordEdit& e) { e.Erase(); });
  EXPECT_TRUE(Customer().ValidateRequired(w.record()).ok());
}

}  // namespace
}  // namespace rapport::schema
