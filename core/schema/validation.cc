// Schema::ValidateValue / ValidateDelta / ValidateRequired and the per-field value rules.
#include "core/schema/validation.h"

#include <cmath>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/schema/names.h"
#include "core/schema/utf8.h"
#include "core/status_macros.h"
#include "re2/re2.h"

namespace rapport::schema {

bool HoldsType(const crdt::Scalar& value, rapport::v1::FieldDef::ScalarType type) {
  using FD = rapport::v1::FieldDef;
  switch (type) {
    case FD::STRING:
      return std::holds_alternative<std::string>(value);
    case FD::INT64:
      return std::holds_alternative<int64_t>(value);
    case FD::DOUBLE:
      return std::holds_alternative<double>(value);
    case FD::BOOL:
      return std::holds_alternative<bool>(value);
    case FD::DATE:
      return std::holds_alternative<crdt::Date>(value);
    case FD::ENUM:
      return std::holds_alternative<crdt::EnumSymbol>(value);
    case FD::TIMESTAMP:
      return std::holds_alternative<crdt::Timestamp>(value);
    default:
      return false;
  }
}
namespace {

using internal::Describe;
using internal::Quote;
using rapport::AV;
using FD = rapport::v1::FieldDef;

std::string RecordPrefix(std::string_view record_id) {
  return record_id.empty() ? std::string() : absl::StrCat("record ", AV(record_id), ": ");
}

// Where a value sits, for messages.
struct Where {
  std::string_view record_id;
  std::string_view path;

  absl::Status Fail(std::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(RecordPrefix(record_id), "field \"", AV(path), "\": ", AV(problem)));
  }
};

// Compares an int64 with a finite double exactly (a plain conversion of either side rounds for
// magnitudes past 2^53). Returns <0, 0 or >0.
int CompareToBound(int64_t v, double bound) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (bound >= kTwo63) return -1;
  if (bound < -kTwo63) return 1;
  const double whole = std::trunc(bound);  // in [-2^63, 2^63): exactly representable as int64
  const auto w = static_cast<int64_t>(whole);
  if (v != w) return v < w ? -1 : 1;
  return bound > whole ? -1 : (bound < whole ? 1 : 0);
}

absl::Status CheckText(const FieldSpec& field, std::string_view text, const Where& where) {
  const FD& def = field.def();
  if (!IsValidUtf8(text)) return where.Fail("value is not valid UTF-8");
  if (def.has_min_length() || def.has_max_length()) {
    const size_t n = CountCodePoints(text);
    if (def.has_max_length() && n > def.max_length()) {
      return where.Fail(absl::StrCat(Quote(text), " is ", n,
                                     " characters long; the maximum length is ", def.max_length()));
    }
    if (def.has_min_length() && n < def.min_length()) {
      return where.Fail(absl::StrCat(Quote(text), " is ", n,
                                     " characters long; the minimum length is ", def.min_length()));
    }
  }
  if (field.pattern() != nullptr &&
      !RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *field.pattern())) {
    return where.Fail(
        absl::StrCat(Quote(text), " does not match the pattern ", Quote(def.pattern())));
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(const FieldSpec& field, const std::string& symbol, const Where& where) {
  for (const std::string& allowed : field.def().enum_values()) {
    if (allowed == symbol) return absl::OkStatus();
  }
  return where.Fail(absl::StrCat(Quote(symbol), " is not one of ",
                                 absl::StrJoin(field.def().enum_values(), ", ")));
}

template <typename Compare>
absl::Status CheckRange(const FieldSpec& field, const crdt::Scalar& value, Compare compare,
                        const Where& where) {
  const FD& def = field.def();
  if (def.has_min() && compare(def.min()) < 0) {
    return where.Fail(absl::StrCat(Describe(value), " is below the minimum ", def.min()));
  }
  if (def.has_max() && compare(def.max()) > 0) {
    return where.Fail(absl::StrCat(Describe(value), " is above the maximum ", def.max()));
  }
  return absl::OkStatus();
}

absl::Status CheckScalar(const FieldSpec& field, const crdt::Scalar& value, const Where& where) {
  if (crdt::IsNull(value)) {
    if (field.required()) return where.Fail("is required; it cannot be null");
    return absl::OkStatus();
  }
  if (!HoldsType(value, field.type())) {
    const std::string type = internal::TypeName(field.type());
    const char* article = type[0] == 'e' || type[0] == 'i' ? "an " : "a ";
    return where.Fail(absl::StrCat("expects ", article, type, " value, got ",
                                   AV(internal::ScalarTypeName(value)), " ", Describe(value)));
  }
  if (const auto* s = std::get_if<std::string>(&value)) return CheckText(field, *s, where);
  if (const auto* e = std::get_if<crdt::EnumSymbol>(&value)) {
    return CheckEnum(field, e->symbol, where);
  }
  if (const auto* i = std::get_if<int64_t>(&value)) {
    return CheckRange(
        field, value, [&](double bound) { return CompareToBound(*i, bound); }, where);
  }
  if (const auto* d = std::get_if<double>(&value)) {
    // NaN breaks ordering (indexes, displays, comparisons) and infinities are no CRM quantity.
    if (!std::isfinite(*d)) return where.Fail(absl::StrCat(*d, " is not a finite number"));
    return CheckRange(
        field, value, [&](double bound) { return *d < bound ? -1 : (*d > bound ? 1 : 0); }, where);
  }
  return absl::OkStatus();  // bool, date, timestamp: the type is the whole rule
}

std::string EntryPath(const FieldSpec& timeline, const crdt::Dot& key) {
  return absl::StrFormat("%s[entry %016x@%d]", timeline.path(), key.replica, key.hlc);
}

std::string EntryPath(const FieldSpec& map, const std::string& key) {
  return absl::StrCat(map.path(), "[", Quote(key), "]");
}

absl::Status CheckField(const FieldSpec& spec, const crdt::Field& field, std::string_view record_id,
                        std::string_view path);

// Fields of one timeline or map entry. Entry fields this schema does not know pass through.
absl::Status CheckEntry(const FieldSpec& container, const crdt::Fields& entry,
                        std::string_view record_id, const std::string& entry_path) {
  for (const auto& [id, field] : entry.entries()) {
    const FieldSpec* sub = container.sub_fields().Find(id);
    if (sub == nullptr) continue;
    RETURN_IF_ERROR(CheckField(*sub, field, record_id, absl::StrCat(entry_path, ".", sub->name())));
  }
  return absl::OkStatus();
}

absl::Status CheckField(const FieldSpec& spec, const crdt::Field& field, std::string_view record_id,
                        std::string_view path) {
  const Where where{record_id, path};
  if (field.kind() != spec.kind()) {
    return where.Fail(absl::StrCat(
        "field number ", spec.number(), " is a ", AV(crdt::FieldKindName(spec.kind())),
        " in this schema, but the delta holds a ", AV(crdt::FieldKindName(field.kind()))));
  }
  switch (spec.kind()) {
    case crdt::FieldKind::kValue:
      // Every sibling, not just the displayed one: a conflict shows them all and any may win.
      for (const crdt::Sibling& sibling : field.As<crdt::ValueRegister>()->siblings()) {
        RETURN_IF_ERROR(CheckScalar(spec, sibling.value, where));
      }
      break;
    case crdt::FieldKind::kCounter:
      break;  // any count is a count
    case crdt::FieldKind::kSet:
      for (const auto& element : field.As<crdt::OrSet>()->elements()) {
        RETURN_IF_ERROR(CheckText(spec, element.value, where));
      }
      break;
    case crdt::FieldKind::kTimeline:
      for (const auto& [key, entry] : field.As<crdt::Timeline>()->entries()) {
        RETURN_IF_ERROR(CheckEntry(spec, entry, record_id, EntryPath(spec, key)));
      }
      break;
    case crdt::FieldKind::kMap:
      for (const auto& [key, entry] : field.As<crdt::NestedMap>()->entries()) {
        RETURN_IF_ERROR(CheckEntry(spec, entry, record_id, EntryPath(spec, key)));
      }
      break;
  }
  return absl::OkStatus();
}

bool HasValue(const crdt::Fields& fields, crdt::FieldId id) {
  const crdt::Field* f = fields.Find(id);
  const auto* reg = f == nullptr ? nullptr : f->As<crdt::ValueRegister>();
  return reg != nullptr && !crdt::IsNull(reg->Displayed());
}

absl::Status CheckRequiredIn(const FieldTable& table, const crdt::Fields& fields,
                             std::string_view record_id, std::string_view path_prefix) {
  for (const FieldSpec& spec : table.all()) {
    if (!spec.required() || HasValue(fields, spec.number())) continue;
    const std::string path =
        path_prefix.empty() ? spec.name() : absl::StrCat(AV(path_prefix), ".", spec.name());
    return Where{record_id, path}.Fail("is required but has no value");
  }
  return absl::OkStatus();
}

absl::StatusOr<const RecordType*> TypeOf(const Schema& schema, std::string_view type,
                                         std::string_view record_id) {
  const RecordType* t = schema.FindType(type);
  if (t == nullptr) {
    std::vector<std::string> known;
    for (const RecordType& rt : schema.types()) known.push_back(rt.name());
    return absl::InvalidArgumentError(absl::StrCat(
        RecordPrefix(record_id), "unknown record type ", Quote(type), " (schema \"", schema.name(),
        "\" version ", schema.version(), " has ", absl::StrJoin(known, ", "), ")"));
  }
  return t;
}

}  // namespace

absl::Status ValidateScalar(const FieldSpec& field, const crdt::Scalar& value,
                            std::string_view record_id, std::string_view path) {
  return CheckScalar(field, value, Where{record_id, path.empty() ? field.path() : path});
}

absl::Status ValidateSetElement(const FieldSpec& field, std::string_view element,
                                std::string_view record_id, std::string_view path) {
  return CheckText(field, element, Where{record_id, path.empty() ? field.path() : path});
}

absl::Status Schema::ValidateValue(std::string_view type, std::string_view field_path,
                                   const crdt::Scalar& value, std::string_view record_id) const {
  ASSIGN_OR_RETURN(const RecordType* t, TypeOf(*this, type, record_id));
  const FieldSpec* field = t->FindPath(field_path);
  if (field == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(RecordPrefix(record_id), "unknown field ",
                                                   Quote(field_path), " in type \"", t->name(),
                                                   "\""));
  }
  if (field->kind() != crdt::FieldKind::kValue) {
    return Where{record_id, field->path()}.Fail(
        absl::StrCat("is a ", AV(crdt::FieldKindName(field->kind())),
                     " field; only value fields take a single value"));
  }
  return ValidateScalar(*field, value, record_id);
}

absl::Status Schema::ValidateDelta(const crdt::Record& delta) const {
  const std::string record_id = delta.id().ToString();
  ASSIGN_OR_RETURN(const RecordType* type, TypeOf(*this, delta.type(), record_id));
  const auto* deleted = delta.deleted_field().As<crdt::ValueRegister>();
  if (deleted == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", record_id, ": the deleted flag must be a bool value register"));
  }
  for (const crdt::Sibling& sibling : deleted->siblings()) {
    if (!crdt::IsNull(sibling.value) && !std::holds_alternative<bool>(sibling.value)) {
      return absl::InvalidArgumentError(absl::StrCat("record ", record_id,
                                                     ": the deleted flag expects a bool, got ",
                                                     AV(internal::ScalarTypeName(sibling.value))));
    }
  }
  for (const auto& [id, field] : delta.fields().entries()) {
    const FieldSpec* spec = type->FindField(id);
    // A field from a newer schema: keep it and pass it on (the CRDT joins it like any other).
    if (spec == nullptr) continue;
    RETURN_IF_ERROR(CheckField(*spec, field, record_id, spec->path()));
  }
  return absl::OkStatus();
}

absl::Status Schema::ValidateRequired(const crdt::Record& record) const {
  if (record.erased()) return absl::OkStatus();  // the law removed the values; nothing to require
  const std::string record_id = record.id().ToString();
  ASSIGN_OR_RETURN(const RecordType* type, TypeOf(*this, record.type(), record_id));
  RETURN_IF_ERROR(CheckRequiredIn(type->field_table(), record.fields(), record_id, ""));
  for (const FieldSpec& spec : type->fields()) {
    const crdt::Field* field = record.fields().Find(spec.number());
    if (field == nullptr) continue;
    if (const auto* timeline = field->As<crdt::Timeline>()) {
      for (const auto& [key, entry] : timeline->entries()) {
        if (crdt::Timeline::IsRetracted(entry)) continue;  // withdrawn: no longer shown
        RETURN_IF_ERROR(CheckRequiredIn(spec.sub_fields(), entry, record_id, EntryPath(spec, key)));
      }
    } else if (const auto* map = field->As<crdt::NestedMap>()) {
      for (const auto& [key, entry] : map->entries()) {
        RETURN_IF_ERROR(CheckRequiredIn(spec.sub_fields(), entry, record_id, EntryPath(spec, key)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace rapport::schema
