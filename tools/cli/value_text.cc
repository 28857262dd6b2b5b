#include "tools/cli/value_text.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/crdt/scalar.h"
#include "core/string_view_compat.h"

namespace rapport::cli {
namespace {

using FieldDef = rapport::v1::FieldDef;
constexpr int64_t kMsPerDay = 86'400'000;

absl::Status Expected(const schema::FieldSpec& spec, std::string_view what, std::string_view got) {
  std::string quoted(got.substr(0, 64));
  return absl::InvalidArgumentError(
      absl::StrCat("expects ", AV(what), " for field \"", spec.path(), "\", got \"", quoted, "\""));
}

bool ParseDigits(std::string_view text, int* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string EnumList(const schema::FieldSpec& spec) {
  std::string out;
  for (const std::string& symbol : spec.def().enum_values()) {
    if (!out.empty()) out += ", ";
    out += symbol;
  }
  return out;
}

}  // namespace

absl::StatusOr<Date> ParseDate(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !ParseDigits(text.substr(0, 4), &year) || !ParseDigits(text.substr(5, 2), &month) ||
      !ParseDigits(text.substr(8, 2), &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AV(text.substr(0, 64)), "\" is not a date of the form YYYY-MM-DD"));
  }
  const Date date = Date::FromCivil(year, month, day);
  int y = 0;
  unsigned m = 0, d = 0;
  CivilOf(date, &y, &m, &d);
  if (y != year || static_cast<int>(m) != month || static_cast<int>(d) != day) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AV(text), "\" is not a calendar date (no such day)"));
  }
  return date;
}

void CivilOf(Date date, int* year, unsigned* month, unsigned* day) {
  crdt::CivilFromDate(crdt::Date{date.days}, year, month, day);
}

std::string FormatDate(Date date) {
  int y = 0;
  unsigned m = 0, d = 0;
  CivilOf(date, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

Date DateOf(Timestamp ts) {
  int64_t days = ts.millis / kMsPerDay;
  if (ts.millis % kMsPerDay < 0) --days;
  return Date{static_cast<int32_t>(days)};
}

std::string FormatTimestamp(Timestamp ts) {
  const Date date = DateOf(ts);
  const int64_t ms_of_day = ts.millis - int64_t{date.days} * kMsPerDay;
  const int64_t secs = ms_of_day / 1000;
  const int64_t ms = ms_of_day % 1000;
  char buf[48];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(secs / 3600),
                  static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  } else {
    std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d.%03dZ", static_cast<int>(secs / 3600),
                  static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                  static_cast<int>(ms));
  }
  return FormatDate(date) + buf;
}

// Accepts YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.mmm]] with an optional Z (UTC either way).
absl::StatusOr<Timestamp> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", AV(text.substr(0, 64)),
        "\" is not a UTC timestamp of the form YYYY-MM-DDTHH:MM:SS[.mmm]Z (or YYYY-MM-DD)"));
  };
  if (text.size() < 10) return bad();
  absl::StatusOr<Date> date = ParseDate(text.substr(0, 10));
  if (!date.ok()) return bad();
  std::string_view rest = text.substr(10);
  int64_t ms = int64_t{date->days} * kMsPerDay;
  if (rest.empty()) return Timestamp{ms};
  if (rest.back() == 'Z') rest.remove_suffix(1);
  if (rest.empty()) return Timestamp{ms};
  if (rest[0] != 'T' && rest[0] != ' ') return bad();
  rest.remove_prefix(1);
  int hh = 0, mm = 0, ss = 0, frac = 0;
  if (rest.size() < 5 || rest[2] != ':' || !ParseDigits(rest.substr(0, 2), &hh) ||
      !ParseDigits(rest.substr(3, 2), &mm)) {
    return bad();
  }
  rest.remove_prefix(5);
  if (!rest.empty()) {
    if (rest.size() < 3 || rest[0] != ':' || !ParseDigits(rest.substr(1, 2), &ss)) return bad();
    rest.remove_prefix(3);
    if (!rest.empty()) {
      if (rest.size() != 4 || rest[0] != '.' || !ParseDigits(rest.substr(1), &frac)) return bad();
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad();
  return Timestamp{ms + ((hh * 60 + mm) * 60 + ss) * int64_t{1000} + frac};
}

Date TodayUtc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return DateOf(Timestamp{std::chrono::duration_cast<std::chrono::milliseconds>(now).count()});
}

absl::StatusOr<Value> ParseValueText(const schema::FieldSpec& spec, std::string_view text) {
  if (text.empty()) return Value{};
  switch (spec.type()) {
    case FieldDef::STRING:
      return Value{std::string(text)};
    case FieldDef::INT64: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(AV(text), &n)) return Expected(spec, "a whole number", text);
      return Value{n};
    }
    case FieldDef::DOUBLE: {
      double d = 0;
      if (!absl::SimpleAtod(AV(text), &d) || !std::isfinite(d)) {
        return Expected(spec, "a number", text);
      }
      return Value{d};
    }
    case FieldDef::BOOL:
      if (text == "true" || text == "TRUE" || text == "1") return Value{true};
      if (text == "false" || text == "FALSE" || text == "0") return Value{false};
      return Expected(spec, "true or false", text);
    case FieldDef::DATE: {
      absl::StatusOr<Date> date = ParseDate(text);
      if (!date.ok()) return Expected(spec, "a date YYYY-MM-DD", text);
      return Value{*date};
    }
    case FieldDef::TIMESTAMP: {
      absl::StatusOr<Timestamp> ts = ParseTimestamp(text);
      if (!ts.ok()) return Expected(spec, "a timestamp YYYY-MM-DDTHH:MM:SSZ", text);
      return Value{*ts};
    }
    case FieldDef::ENUM:
      for (const std::string& symbol : spec.def().enum_values()) {
        if (symbol == text) return Value{EnumValue{symbol}};
      }
      return absl::InvalidArgumentError(absl::StrCat("field \"", spec.path(), "\": \"",
                                                     AV(text.substr(0, 64)), "\" is not one of ",
                                                     EnumList(spec)));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("field \"", spec.path(), "\" has no scalar type"));
  }
}

absl::StatusOr<Value> ParseValueJson(const schema::FieldSpec& spec, const JsonValue& json) {
  if (json.is_null()) return Value{};
  if (const std::string* s = json.as_string()) {
    if (s->empty() && spec.type() == FieldDef::STRING) return Value{std::string()};
    return ParseValueText(spec, *s);
  }
  if (const JsonValue::Number* n = json.as_number()) {
    if (spec.type() == FieldDef::TIMESTAMP) {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(n->text, &ms)) return Expected(spec, "integer milliseconds", n->text);
      return Value{Timestamp{ms}};
    }
    if (spec.type() == FieldDef::INT64 || spec.type() == FieldDef::DOUBLE) {
      return ParseValueText(spec, n->text);
    }
    return Expected(spec, "a string", n->text);
  }
  if (const bool* b = json.as_bool()) {
    if (spec.type() == FieldDef::BOOL) return Value{*b};
    return Expected(
        spec, spec.type() == FieldDef::TIMESTAMP ? "a timestamp (text or integer ms)" : "a string",
        *b ? "true" : "false");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "field \"", spec.path(), "\" expects a scalar, got a JSON ", AV(json.TypeName())));
}

std::string FormatValueText(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
          return ec == std::errc() ? std::string(buf, end) : "";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, Date>) {
          return FormatDate(v);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          return v.symbol;
        } else {
          return FormatTimestamp(v);
        }
      },
      value);
}

JsonValue FormatValueJson(const Value& value) {
  if (IsNull(value)) return JsonValue();
  if (const auto* n = std::get_if<int64_t>(&value)) return JsonValue(*n);
  if (const auto* d = std::get_if<double>(&value)) return JsonValue(*d);
  if (const auto* b = std::get_if<bool>(&value)) return JsonValue(*b);
  return JsonValue(FormatValueText(value));
}

}  // namespace rapport::cli
