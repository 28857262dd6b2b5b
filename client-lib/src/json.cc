#include "client-lib/src/json.h"

#include <cmath>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rapport::internal {

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendJsonValue(std::string& out, const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, std::string>) {
          AppendJsonString(out, v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          absl::StrAppend(&out, v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(v)) {
            out += absl::StrFormat("%.17g", v);
          } else {
            out += "null";
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, Date>) {
          AppendJsonString(out, ValueToText(value));
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          AppendJsonString(out, v.symbol);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          absl::StrAppend(&out, v.millis);
        }
      },
      value);
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, items[i]);
  }
  out.push_back(']');
  return out;
}

namespace {

void AppendKey(std::string& out, bool& first, std::string_view key) {
  if (!first) out.push_back(',');
  first = false;
  AppendJsonString(out, key);
  out.push_back(':');
}

void AppendValueFields(std::string& out, const ValueFields& fields) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, v] : fields) {
    AppendKey(out, first, name);
    out += "{\"value\":";
    AppendJsonValue(out, v.displayed);
    out += ",\"conflicts\":[";
    for (size_t i = 0; i < v.conflicts.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonValue(out, v.conflicts[i]);
    }
    out += "]}";
  }
  out.push_back('}');
}

}  // namespace

std::string RecordViewJson(const RecordView& view) {
  std::string out = "{\"id\":";
  AppendJsonString(out, view.id);
  out += ",\"type\":";
  AppendJsonString(out, view.type);
  absl::StrAppend(&out, ",\"deleted\":", view.deleted ? "true" : "false",
                  ",\"erased\":", view.erased ? "true" : "false", ",\"values\":");
  AppendValueFields(out, view.values);
  out += ",\"counters\":{";
  bool first = true;
  for (const auto& [name, total] : view.counters) {
    AppendKey(out, first, name);
    absl::StrAppend(&out, total);
  }
  out += "},\"sets\":{";
  first = true;
  for (const auto& [name, elements] : view.sets) {
    AppendKey(out, first, name);
    out += JsonStringArray(elements);
  }
  out += "},\"timelines\":{";
  first = true;
  for (const auto& [name, entries] : view.timelines) {
    AppendKey(out, first, name);
    out.push_back('[');
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += "{\"id\":";
      AppendJsonString(out, entries[i].id);
      absl::StrAppend(&out, ",\"occurred_at\":", entries[i].occurred_at.millis,
                      ",\"retracted\":", entries[i].retracted ? "true" : "false", ",\"fields\":");
      AppendValueFields(out, entries[i].fields);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += "},\"maps\":{";
  first = true;
  for (const auto& [name, entries] : view.maps) {
    AppendKey(out, first, name);
    out.push_back('{');
    bool first_key = true;
    for (const auto& [key, fields] : entries) {
      AppendKey(out, first_key, key);
      AppendValueFields(out, fields);
    }
    out.push_back('}');
  }
  out += "}}";
  return out;
}

}  // namespace rapport::internal
