// Text forms of scalar values in CSV cells, JSON Lines and command-line arguments, by the
// field's declared type: strings as they are, integers in decimal, doubles in the shortest form
// that reads back exactly, bools as true/false, dates as YYYY-MM-DD, timestamps as ISO 8601 UTC
// (2026-03-01T09:30:00Z, with .mmm when there are milliseconds), enums as their symbol. The
// empty text is null. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "rapport/value.h"
#include "tools/cli/json_value.h"

namespace rapport::cli {

// Parses `text` as a value of the VALUE field `spec`. InvalidArgument says what was expected
// and quotes the text; only the type is checked here (the schema's rules run on Apply).
absl::StatusOr<Value> ParseValueText(const schema::FieldSpec& spec, std::string_view text);
// The JSON forms: the text forms above as strings, and numbers and booleans natively; a
// timestamp may also be given as integer milliseconds.
absl::StatusOr<Value> ParseValueJson(const schema::FieldSpec& spec, const JsonValue& json);

std::string FormatValueText(const Value& value);
JsonValue FormatValueJson(const Value& value);

// Calendar helpers.
absl::StatusOr<Date> ParseDate(std::string_view text);  // YYYY-MM-DD, checked
std::string FormatDate(Date date);
absl::StatusOr<Timestamp> ParseTimestamp(std::string_view text);
std::string FormatTimestamp(Timestamp ts);
void CivilOf(Date date, int* year, unsigned* month, unsigned* day);
// The date of a timestamp, in UTC.
Date DateOf(Timestamp ts);
// Today's date in UTC from the system clock.
Date TodayUtc();

}  // namespace rapport::cli
