#include "tools/cli/record_json.h"

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

using crdt::FieldKind;

JsonValue EntryFieldsToJson(const ValueFields& fields, const schema::FieldSpec& container,
                            JsonValue out) {
  // Schema order first, then fields this schema does not know.
  for (const schema::FieldSpec& sub : container.sub_fields().all()) {
    if (sub.implicit()) continue;
    auto it = fields.find(sub.name());
    if (it != fields.end() && !IsNull(it->second.displayed)) {
      out.Set(sub.name(), FormatValueJson(it->second.displayed));
    }
  }
  return out;
}

absl::Status FieldError(const schema::FieldSpec& spec, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", spec.path(), "\": ", AV(what)));
}

absl::StatusOr<ValueFields> EntryFieldsFromJson(const schema::FieldSpec& container,
                                                const JsonValue& json, std::string_view where,
                                                const std::set<std::string>& reserved) {
  ValueFields out;
  for (const auto& [key, value] : *json.as_object()) {
    if (reserved.count(key) > 0) continue;
    const schema::FieldSpec* sub = container.sub_fields().Find(key);
    if (sub == nullptr || sub->implicit()) {
      return FieldError(container, absl::StrCat(AV(where), ": \"", key, "\" is not a sub-field of ",
                                                container.name()));
    }
    absl::StatusOr<Value> parsed = ParseValueJson(*sub, value);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(AV(where), ": ", parsed.status().message()));
    }
    if (!IsNull(*parsed)) out[key].displayed = *std::move(parsed);
  }
  return out;
}

bool SameFields(const ValueFields& a, const ValueFields& b) {
  auto non_null = [](const ValueFields& f) {
    size_t n = 0;
    for (const auto& [k, v] : f) n += IsNull(v.displayed) ? 0 : 1;
    return n;
  };
  if (non_null(a) != non_null(b)) return false;
  for (const auto& [k, v] : a) {
    if (IsNull(v.displayed)) continue;
    auto it = b.find(k);
    if (it == b.end() || !(it->second.displayed == v.displayed)) return false;
  }
  return true;
}

}  // namespace

JsonValue FieldToJson(const schema::FieldSpec& spec, const RecordView& record) {
  const std::string& name = spec.name();
  switch (spec.kind()) {
    case FieldKind::kValue: {
      auto it = record.values.find(name);
      return it == record.values.end() ? JsonValue() : FormatValueJson(it->second.displayed);
    }
    case FieldKind::kCounter: {
      auto it = record.counters.find(name);
      return it == record.counters.end() ? JsonValue() : JsonValue(it->second);
    }
    case FieldKind::kSet: {
      auto it = record.sets.find(name);
      if (it == record.sets.end()) return JsonValue();
      JsonValue::Array items;
      for (const std::string& e : it->second) items.emplace_back(e);
      return JsonValue(std::move(items));
    }
    case FieldKind::kTimeline: {
      auto it = record.timelines.find(name);
      if (it == record.timelines.end()) return JsonValue();
      JsonValue::Array entries;
      for (const EntryView& e : it->second) {
        JsonValue entry;
        entry.Set("id", e.id);
        entry.Set("occurred_at", FormatTimestamp(e.occurred_at));
        if (e.retracted) entry.Set("retracted", true);
        entries.push_back(EntryFieldsToJson(e.fields, spec, std::move(entry)));
      }
      return JsonValue(std::move(entries));
    }
    case FieldKind::kMap: {
      auto it = record.maps.find(name);
      if (it == record.maps.end()) return JsonValue();
      JsonValue out = JsonValue(JsonValue::Object{});
      for (const auto& [key, fields] : it->second) {
        out.Set(key, EntryFieldsToJson(fields, spec, JsonValue(JsonValue::Object{})));
      }
      return out;
    }
  }
  return JsonValue();
}

JsonValue RecordToJson(const schema::RecordType& type, const RecordView& record,
                       bool with_conflicts) {
  JsonValue out;
  out.Set("id", record.id);
  if (with_conflicts && record.deleted) out.Set("deleted", true);
  JsonValue conflicts;
  for (const schema::FieldSpec& spec : type.fields()) {
    JsonValue field = FieldToJson(spec, record);
    if (!field.is_null()) out.Set(spec.name(), std::move(field));
    if (!with_conflicts || spec.kind() != FieldKind::kValue) continue;
    auto it = record.values.find(spec.name());
    if (it == record.values.end() || it->second.conflicts.empty()) continue;
    JsonValue::Array others;
    for (const Value& v : it->second.conflicts) others.push_back(FormatValueJson(v));
    conflicts.Set(spec.name(), JsonValue(std::move(others)));
  }
  if (!conflicts.is_null()) out.Set("conflicts", std::move(conflicts));
  return out;
}

absl::Status FieldFromJson(const schema::FieldSpec& spec, const JsonValue& json,
                           RecordView& record) {
  const std::string& name = spec.name();
  switch (spec.kind()) {
    case FieldKind::kValue: {
      absl::StatusOr<Value> value = ParseValueJson(spec, json);
      if (!value.ok()) return value.status();
      record.values[name] = ValueView{*std::move(value), {}};
      return absl::OkStatus();
    }
    case FieldKind::kCounter: {
      const JsonValue::Number* n = json.as_number();
      int64_t total = 0;
      const std::string* s = json.as_string();
      if (json.is_null() || (s != nullptr && s->empty())) {
        total = 0;
      } else if (!absl::SimpleAtoi(n != nullptr ? n->text : (s != nullptr ? *s : "x"), &total)) {
        return FieldError(spec, "a counter expects a whole number");
      }
      record.counters[name] = total;
      return absl::OkStatus();
    }
    case FieldKind::kSet: {
      std::vector<std::string>& elements = record.sets[name];
      elements.clear();
      if (json.is_null()) return absl::OkStatus();
      const JsonValue::Array* items = json.as_array();
      if (items == nullptr) {
        return FieldError(spec, "a set expects a JSON array of strings, e.g. [\"vip\",\"east\"]");
      }
      for (const JsonValue& item : *items) {
        const std::string* s = item.as_string();
        if (s == nullptr) return FieldError(spec, "set elements must be strings");
        elements.push_back(*s);
      }
      std::sort(elements.begin(), elements.end());
      elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
      return absl::OkStatus();
    }
    case FieldKind::kTimeline: {
      std::vector<EntryView>& entries = record.timelines[name];
      entries.clear();
      if (json.is_null()) return absl::OkStatus();
      const JsonValue::Array* items = json.as_array();
      if (items == nullptr) {
        return FieldError(spec, "a timeline expects a JSON array of entry objects");
      }
      for (size_t i = 0; i < items->size(); ++i) {
        const JsonValue& item = (*items)[i];
        const std::string where = absl::StrCat("entry ", i + 1);
        if (item.as_object() == nullptr) return FieldError(spec, where + " is not an object");
        EntryView entry;
        if (const JsonValue* id = item.Find("id"); id != nullptr && id->as_string() != nullptr) {
          entry.id = *id->as_string();
        }
        // The implicit sub-field's own parser takes both forms docs/cli.md allows: the
        // timestamp text and integer milliseconds.
        const JsonValue* at = item.Find("occurred_at");
        if (at == nullptr || at->is_null()) {
          return FieldError(spec, where + " has no \"occurred_at\" timestamp");
        }
        absl::StatusOr<Value> parsed = ParseValueJson(*spec.sub_fields().Find("occurred_at"), *at);
        if (!parsed.ok()) {
          return FieldError(spec, absl::StrCat(where, ": ", parsed.status().message()));
        }
        const Timestamp* ts = std::get_if<Timestamp>(&*parsed);
        if (ts == nullptr) return FieldError(spec, where + " has no \"occurred_at\" timestamp");
        entry.occurred_at = *ts;
        if (const JsonValue* r = item.Find("retracted"); r != nullptr && r->as_bool() != nullptr) {
          entry.retracted = *r->as_bool();
        }
        absl::StatusOr<ValueFields> fields =
            EntryFieldsFromJson(spec, item, where, {"id", "occurred_at", "retracted"});
        if (!fields.ok()) return fields.status();
        entry.fields = *std::move(fields);
        entries.push_back(std::move(entry));
      }
      return absl::OkStatus();
    }
    case FieldKind::kMap: {
      auto& entries = record.maps[name];
      entries.clear();
      if (json.is_null()) return absl::OkStatus();
      const JsonValue::Object* members = json.as_object();
      if (members == nullptr) {
        return FieldError(spec, "a map expects a JSON object of key -> {sub-field: value}");
      }
      for (const auto& [key, item] : *members) {
        const std::string where = absl::StrCat("key \"", key, "\"");
        if (item.as_object() == nullptr) return FieldError(spec, where + " is not an object");
        absl::StatusOr<ValueFields> fields = EntryFieldsFromJson(spec, item, where, {});
        if (!fields.ok()) return fields.status();
        entries[key] = *std::move(fields);
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

bool SameEntry(const EntryView& a, const EntryView& b) {
  return a.occurred_at == b.occurred_at && a.retracted == b.retracted &&
         SameFields(a.fields, b.fields);
}

bool SameContents(const RecordView& a, const RecordView& b) {
  if (!SameFields(a.values, b.values)) return false;
  auto non_zero = [](const std::map<std::string, int64_t>& c) {
    std::map<std::string, int64_t> out;
    for (const auto& [k, v] : c) {
      if (v != 0) out.emplace(k, v);
    }
    return out;
  };
  if (non_zero(a.counters) != non_zero(b.counters)) return false;
  auto non_empty = [](const auto& m) {
    std::remove_cvref_t<decltype(m)> out;
    for (const auto& [k, v] : m) {
      if (!v.empty()) out.emplace(k, v);
    }
    return out;
  };
  if (non_empty(a.sets) != non_empty(b.sets)) return false;
  const auto ta = non_empty(a.timelines), tb = non_empty(b.timelines);
  if (ta.size() != tb.size()) return false;
  for (const auto& [name, entries] : ta) {
    auto it = tb.find(name);
    if (it == tb.end() || it->second.size() != entries.size()) return false;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!SameEntry(entries[i], it->second[i])) return false;
    }
  }
  const auto ma = non_empty(a.maps), mb = non_empty(b.maps);
  if (ma.size() != mb.size()) return false;
  for (const auto& [name, entries] : ma) {
    auto it = mb.find(name);
    if (it == mb.end() || it->second.size() != entries.size()) return false;
    for (const auto& [key, fields] : entries) {
      auto e = it->second.find(key);
      if (e == it->second.end() || !SameFields(fields, e->second)) return false;
    }
  }
  return true;
}

}  // namespace rapport::cli
