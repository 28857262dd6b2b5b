// An index query of Replica::Query and its page of results. Plain value types; not thread-safe
// (copy freely).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rapport/value.h"

namespace rapport {

struct Query {
  enum class Kind {
    kEquals,  // the indexed value equals `value` (EXACT, PREFIX after folding, RANGE fields)
    kPrefix,  // a PREFIX-indexed string starts with `value` (folded the same way)
    kRange,   // RANGE-indexed value in [value, hi); a null bound is unbounded
    kHasTag,  // a MEMBERSHIP-indexed set contains `value`
  };

  static Query Equals(std::string index, Value value);
  static Query Prefix(std::string index, std::string text);
  static Query Range(std::string index, Value lo, Value hi);
  static Query HasTag(std::string index, std::string element);

  std::string type = "customer";  // the record type whose field `index` names
  std::string index;              // the indexed field's name
  Kind kind = Kind::kEquals;
  Value value;  // the compared value, or the lower bound of a range
  Value hi;     // the exclusive upper bound of a range
  size_t limit = 100;
  std::string cursor;  // QueryResult::next_cursor of the previous page, or empty
};

// Ids in index order (then id order), at most `limit`. Deleted and erased records are never
// indexed, so they never appear. Keep paging while next_cursor is not empty.
struct QueryResult {
  std::vector<std::string> ids;
  std::string next_cursor;  // empty when the scan is complete
};

}  // namespace rapport
