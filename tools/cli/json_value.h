// A JSON document tree for the CLI: parsed from JSON Lines input and cells, built for --json
// output. Numbers keep their source text, so an int64 beyond 2^53 survives exactly (a double
// would round it). Objects keep key order (output reads in schema order). Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::cli {

class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;
  struct Number {
    std::string text;  // as written in the source, or as formatted
  };

  JsonValue() = default;  // null
  JsonValue(bool b) : data_(b) {}
  JsonValue(int64_t n) : data_(Number{std::to_string(n)}) {}
  JsonValue(int n) : JsonValue(static_cast<int64_t>(n)) {}
  JsonValue(uint64_t n) : data_(Number{std::to_string(n)}) {}
  JsonValue(double d);
  JsonValue(std::string s) : data_(std::move(s)) {}
  JsonValue(const char* s) : data_(std::string(s)) {}
  JsonValue(Array a) : data_(std::move(a)) {}
  JsonValue(Object o) : data_(std::move(o)) {}
  static JsonValue FromNumberText(std::string text) { return JsonValue(Number{std::move(text)}); }

  bool is_null() const { return std::holds_alternative<std::monostate>(data_); }
  const bool* as_bool() const { return std::get_if<bool>(&data_); }
  const Number* as_number() const { return std::get_if<Number>(&data_); }
  const std::string* as_string() const { return std::get_if<std::string>(&data_); }
  const Array* as_array() const { return std::get_if<Array>(&data_); }
  const Object* as_object() const { return std::get_if<Object>(&data_); }
  Array* as_array() { return std::get_if<Array>(&data_); }
  Object* as_object() { return std::get_if<Object>(&data_); }

  // The member `key` of an object, or nullptr (also for non-objects).
  const JsonValue* Find(std::string_view key) const;
  // Appends a member to an object (turning null into an empty object first).
  void Set(std::string key, JsonValue value);
  // Appends to an array (turning null into an empty array first).
  void Push(JsonValue value);

  // "null", "boolean", "number", "string", "array", "object": for error messages.
  std::string_view TypeName() const;

  // Compact JSON text, UTF-8 passed through, control characters escaped.
  std::string Serialize() const;

 private:
  explicit JsonValue(Number n) : data_(std::move(n)) {}
  void AppendTo(std::string& out) const;
  std::variant<std::monostate, bool, Number, std::string, Array, Object> data_;
};

// Parses one JSON text (RFC 8259) with nothing but whitespace after it. InvalidArgument names
// the byte offset and what was expected. Nesting deeper than 64 is refused.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace rapport::cli
