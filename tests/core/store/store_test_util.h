// Helpers shared by the record store tests: temporary directories, status assertions, a fixed
// test clock and a small index extractor.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/status_macros.h"
#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"

namespace rapport::store::testing {

// Field numbers of the test schema.
inline constexpr crdt::FieldId kName = 1;    // value, string; indexed as "name"
inline constexpr crdt::FieldId kTags = 2;    // set; each element indexed as "tags"
inline constexpr crdt::FieldId kPoints = 3;  // counter
inline constexpr crdt::FieldId kCity = 4;    // value, string; not indexed

using rapport::testing::TempDir;

// The whole content of a file ("" if absent).
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);

// The displayed value of register `field`, or null.
crdt::Scalar ValueOf(const crdt::Record& record, crdt::FieldId field);

// "name" postings from kName, "tags" postings from each element of kTags.
IndexExtractor TestIndexes();

// Options with TestIndexes and a wall clock reading `*now_ms`.
StoreOptions TestOptions(const uint64_t* now_ms);

inline ::testing::AssertionResult IsOk(const absl::Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s;
}
template <typename T>
::testing::AssertionResult IsOk(const absl::StatusOr<T>& s) {
  return IsOk(s.status());
}

}  // namespace rapport::store::testing

#define ASSERT_OK(expr) ASSERT_TRUE(::rapport::store::testing::IsOk(expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::rapport::store::testing::IsOk(expr))
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  RAPPORT_TEST_ASSIGN_IMPL(RAPPORT_CONCAT(rapport_test_statusor_, __LINE__), lhs, expr)
#define RAPPORT_TEST_ASSIGN_IMPL(tmp, lhs, expr)              \
  auto tmp = (expr);                                          \
  ASSERT_TRUE(::rapport::store::testing::IsOk(tmp.status())); \
  lhs = std::move(tmp).value()
