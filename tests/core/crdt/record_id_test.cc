#include "core/crdt/record_id.h"

#include <random>

#include "gtest/gtest.h"

namespace rapport::crdt {
namespace {

TEST(RecordId, TextFormRoundTripsAndIs26CrockfordChars) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    std::array<uint8_t, 10> random;
    for (auto& b : random) b = static_cast<uint8_t>(rng());
    const RecordId id = RecordId::FromParts(rng() >> 16, random);
    const std::string text = id.ToString();
    ASSERT_EQ(text.size(), 26u);
    ASSERT_EQ(text.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos);
    absl::StatusOr<RecordId> parsed = RecordId::Parse(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(*parsed, id);
  }
}

TEST(RecordId, OrderedByCreationTimeInBothForms) {
  const RecordId early = RecordId::FromParts(1000, {0xFF, 0xFF});
  const RecordId late = RecordId::FromParts(1001, {0x00});
  EXPECT_LT(early, late);
  EXPECT_LT(early.ToString(), late.ToString());
  EXPECT_EQ(late.unix_ms(), 1001u);
}

TEST(RecordId, ParseAcceptsLowercaseAndCrockfordAliases) {
  const RecordId id = RecordId::FromParts(123456789, {1, 2, 3});
  std::string text = id.ToString();
  for (char& c : text) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(*RecordId::Parse(text), id);
  EXPECT_EQ(*RecordId::Parse("0000000000000000000000000O"),
            *RecordId::Parse("00000000000000000000000000"));
  EXPECT_EQ(*RecordId::Parse("0000000000000000000000000L"),
            *RecordId::Parse("00000000000000000000000001"));
}

TEST(RecordId, ParseRejectsBadInputWithReason) {
  EXPECT_NE(RecordId::Parse("short").status().message().find("26 characters"), std::string::npos);
  EXPECT_NE(
      RecordId::Parse("0000000000000000000000000U").status().message().find("invalid character"),
      std::string::npos);
  EXPECT_NE(RecordId::Parse("80000000000000000000000000").status().message().find("out of range"),
            std::string::npos);
  EXPECT_FALSE(RecordId::FromBytes("abc").ok());
}

}  // namespace
}  // namespace rapport::crdt
