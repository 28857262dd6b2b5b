// The scalar values a `value` field or a timeline entry holds. Plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace rapport::crdt {

// Calendar date as days since 1970-01-01 (birthdays, founding dates, follow-ups).
struct Date {
  int32_t days = 0;
  friend bool operator==(const Date&, const Date&) = default;
};

// Instant as milliseconds since the Unix epoch, UTC (when a visit or call happened).
struct Timestamp {
  int64_t millis = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// One of a field's declared symbols (lifecycle stage "potential", value tier "key", ...).
struct EnumSymbol {
  std::string symbol;
  friend bool operator==(const EnumSymbol&, const EnumSymbol&) = default;
};

// std::monostate is null: a cleared field.
using Scalar =
    std::variant<std::monostate, std::string, int64_t, double, bool, Date, EnumSymbol, Timestamp>;

inline bool IsNull(const Scalar& s) { return std::holds_alternative<std::monostate>(s); }

// Human-readable text: dates as YYYY-MM-DD, timestamps as ISO 8601 UTC, null as "".
std::string ScalarToText(const Scalar& value);

// Converts between civil dates and day numbers (proleptic Gregorian calendar).
Date DateFromCivil(int year, unsigned month, unsigned day);
void CivilFromDate(Date date, int* year, unsigned* month, unsigned* day);

}  // namespace rapport::crdt
