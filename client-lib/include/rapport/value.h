// Scalar values of the public client API: what a value field, a timeline entry field or a map
// entry field holds, and what queries compare. Plain value types; not thread-safe (copy freely).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace rapport {

// Calendar date as days since 1970-01-01 (proleptic Gregorian).
struct Date {
  int32_t days = 0;
  // The day number of year-month-day; no range check (2024-02-30 is 2024-03-01).
  static Date FromCivil(int year, unsigned month, unsigned day);
  friend bool operator==(const Date&, const Date&) = default;
  friend auto operator<=>(const Date&, const Date&) = default;
};

// Instant as milliseconds since the Unix epoch, UTC.
struct Timestamp {
  int64_t millis = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// One of an ENUM field's declared symbols ("potential", "visit", ...).
struct EnumValue {
  std::string symbol;
  friend bool operator==(const EnumValue&, const EnumValue&) = default;
};

// std::monostate is null (a cleared field). A string literal converts to std::string.
using Value =
    std::variant<std::monostate, std::string, int64_t, double, bool, Date, EnumValue, Timestamp>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// Human-readable text: dates as YYYY-MM-DD, timestamps as ISO 8601 UTC, null as "".
std::string ValueToText(const Value& value);

}  // namespace rapport
