// Index keys sort like the values they encode.
#include "core/schema/index_key.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::schema {
namespace {

// Sorting the keys must give the same order as sorting the values. The ranks of equal values are
// compared rather than the values themselves, so ties (-0.0 == 0.0) are handled.
template <typename T>
void ExpectKeysSortLikeValues(std::vector<T> values, IndexKind kind = IndexKind::kRange) {
  std::vector<std::pair<std::string, T>> keyed;
  for (const T& v : values) keyed.emplace_back(IndexKey(crdt::Scalar(v), kind), v);
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::sort(values.begin(), values.end());
  ASSERT_EQ(keyed.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(!(keyed[i].second < values[i]) && !(values[i] < keyed[i].second)) << "at " << i;
    if (i > 0) {
      // Equal keys exactly for equal values.
      const bool equal_values = !(keyed[i - 1].second < keyed[i].second);
      ASSERT_EQ(keyed[i - 1].first == keyed[i].first, equal_values) << "at " << i;
    }
  }
}

TEST(SchemaIndexKey, Int64KeysSortLikeValues) {
  std::mt19937_64 rng(20240601);
  std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::min() + 1,
                                 -256,
                                 -255,
                                 -1,
                                 0,
                                 1,
                                 255,
                                 256,
                                 std::numeric_limits<int64_t>::max() - 1,
                                 std::numeric_limits<int64_t>::max()};
  for (int i = 0; i < 2000; ++i) {
    const auto r = static_cast<int64_t>(rng());
    values.push_back(r);
    values.push_back(r >> (rng() % 63));  // small magnitudes too
  }
  ExpectKeysSortLikeValues(values);
  EXPECT_EQ(IndexKey(crdt::Scalar(int64_t{0}), IndexKind::kExact).size(), 8u);
}

TEST(SchemaIndexKey, DoubleKeysSortLikeValuesIncludingNegativeZero) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> wide(-1e300, 1e300);
  std::uniform_real_distribution<double> narrow(-10, 10);
  std::vector<double> values = {-std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::lowest(),
                                -1.0,
                                -std::numeric_limits<double>::denorm_min(),
                                -0.0,
                                0.0,
                                std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                1.0,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::infinity()};
  for (int i = 0; i < 2000; ++i) {
    values.push_back(wide(rng));
    values.push_back(narrow(rng));
  }
  ExpectKeysSortLikeValues(values);
}

TEST(SchemaIndexKey, NegativeZeroHasTheKeyOfZeroAndNanSortsLast) {
  EXPECT_EQ(IndexKey(crdt::Scalar(-0.0), IndexKind::kExact),
            IndexKey(crdt::Scalar(0.0), IndexKind::kExact));
  const std::string nan = IndexKey(crdt::Scalar(std::nan("")), IndexKind::kRange);
  EXPECT_EQ(nan, IndexKey(crdt::Scalar(-std::nan("")), IndexKind::kRange));
  EXPECT_GT(nan,
            IndexKey(crdt::Scalar(std::numeric_limits<double>::infinity()), IndexKind::kRange));
}

TEST(SchemaIndexKey, DatesAndTimestampsSortLikeValues) {
  std::mt19937 rng(99);
  std::vector<int32_t> days = {std::numeric_limits<int32_t>::min(), -719468, -1, 0, 1, 19000,
                               std::numeric_limits<int32_t>::max()};
  std::vector<int64_t> millis = {std::numeric_limits<int64_t>::min(), -1, 0, 1, 1'700'000'000'000,
                                 std::numeric_limits<int64_t>::max()};
  std::uniform_int_distribution<int32_t> day(-800000, 3000000);
  std::uniform_int_distribution<int64_t> ms(-100'000'000'000'000, 100'000'000'000'000);
  for (int i = 0; i < 2000; ++i) {
    days.push_back(day(rng));
    millis.push_back(ms(rng));
  }
  struct D {
    int32_t d;
    bool operator<(const D& o) const { return d < o.d; }
    operator crdt::Scalar() const { return crdt::Date{d}; }
  };
  struct T {
    int64_t t;
    bool operator<(const T& o) const { return t < o.t; }
    operator crdt::Scalar() const { return crdt::Timestamp{t}; }
  };
  std::vector<D> dates;
  for (int32_t d : days) dates.push_back({d});
  std::vector<T> stamps;
  for (int64_t m : millis) stamps.push_back({m});
  ExpectKeysSortLikeValues(dates);
  ExpectKeysSortLikeValues(stamps);
  EXPECT_EQ(IndexKey(crdt::Date{0}, IndexKind::kRange).size(), 4u);
}

TEST(SchemaIndexKey, StringsAreTheirBytesAndBoolsOneByte) {
  EXPECT_EQ(IndexKey(std::string("Li Na"), IndexKind::kExact), "Li Na");
  EXPECT_EQ(IndexKey(crdt::EnumSymbol{"current"}, IndexKind::kExact), "current");
  EXPECT_LT(IndexKey(false, IndexKind::kExact), IndexKey(true, IndexKind::kExact));
  EXPECT_EQ(IndexKey(std::monostate{}, IndexKind::kExact), "");
}

TEST(SchemaIndexKey, PrefixFoldsAsciiCaseAndSeparatorsAndKeepsChinese) {
  EXPECT_EQ(FoldForPrefix("Li-Na Wang"), "linawang");
  EXPECT_EQ(FoldForPrefix("+86 (138) 0013-8000"), "+8613800138000");
  EXPECT_EQ(FoldForPrefix("王小明 Acme"), "王小明acme");
  EXPECT_EQ(FoldForPrefix("ＡＣＭＥ　１２３"), "acme123");  // full-width letters and space
  EXPECT_EQ(FoldForPrefix("Bei\xff"
                          "JING"),
            "bei\xff"
            "jing");  // malformed bytes kept
  EXPECT_EQ(IndexKey(std::string("ACME Ltd."), IndexKind::kPrefix), "acmeltd");
  // The search text folds the same way, so a typed prefix matches.
  const std::string key = IndexKey(std::string("Li-Na Wang"), IndexKind::kPrefix);
  EXPECT_EQ(key.rfind(FoldForPrefix("li n"), 0), 0u);
}

TEST(SchemaIndexKey, PrefixSuccessorBoundsAPrefixScan) {
  EXPECT_EQ(PrefixSuccessor("abc"), "abd");
  EXPECT_EQ(PrefixSuccessor(std::string("ab\xff\xff", 4)), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixSuccessor(""), "");
  const std::string prefix = "wang";
  const std::string end = PrefixSuccessor(prefix);
  for (const std::string inside : {"wang", "wangli", "wang\xff\xff"}) {
    EXPECT_TRUE(inside >= prefix && inside < end) << inside;
  }
  for (const std::string outside : {"wan", "wanh", "wbng", "x"}) {
    EXPECT_FALSE(outside >= prefix && outside < end) << outside;
  }
}

}  // namespace
}  // namespace rapport::schema
