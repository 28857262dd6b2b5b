// The CLI's JSON reader and writer.
#include "tools/cli/json_value.h"

#include "gtest/gtest.h"

namespace rapport::cli {
namespace {

TEST(JsonValue, ParsesAndSerializesKeepingOrderAndExactIntegers) {
  const std::string text =
      R"({"b":1,"a":[true,false,null,"x\"y\\z\n",-1.5e3],"big":9223372036854775807,"u":"\u738b\ud83d\ude00"})";
  auto parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Find("big")->as_number()->text, "9223372036854775807");
  EXPECT_EQ(*parsed->Find("u")->as_string(), "王😀");
  EXPECT_EQ(parsed->as_object()->front().first, "b");
  auto again = ParseJson(parsed->Serialize());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Serialize(), parsed->Serialize());
}

TEST(JsonValue, RefusesMalformedTextWithItsOffset) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"open", "01x", "[1] 2", "{\"a\":tru}"}) {
    auto parsed = ParseJson(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("byte"), absl::string_view::npos);
    }
  }
  std::string deep(100, '[');
  EXPECT_FALSE(ParseJson(deep).ok());
}

TEST(JsonValue, DoublesUseTheShortestExactText) {
  EXPECT_EQ(JsonValue(0.1).Serialize(), "0.1");
  EXPECT_EQ(JsonValue(78.0).Serialize(), "78");
  EXPECT_EQ(JsonValue(int64_t{-5}).Serialize(), "-5");
}

}  // namespace
}  // namespace rapport::cli
