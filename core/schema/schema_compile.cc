#include "core/schema/schema_compile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/crdt/field.h"
#include "core/schema/names.h"
#include "core/status_macros.h"
#include "re2/re2.h"

namespace rapport::schema::internal {
namespace {

using FD = rapport::v1::FieldDef;

constexpr uint8_t kAllRoles = 0b1111;

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

crdt::FieldKind ToCrdtKind(FD::Kind kind) {
  switch (kind) {
    case FD::COUNTER:
      return crdt::FieldKind::kCounter;
    case FD::SET:
      return crdt::FieldKind::kSet;
    case FD::TIMELINE:
      return crdt::FieldKind::kTimeline;
    case FD::MAP:
      return crdt::FieldKind::kMap;
    default:
      return crdt::FieldKind::kValue;
  }
}

IndexKind ToIndexKind(FD::IndexKind kind) {
  switch (kind) {
    case FD::EXACT:
      return IndexKind::kExact;
    case FD::PREFIX:
      return IndexKind::kPrefix;
    case FD::RANGE:
      return IndexKind::kRange;
    case FD::MEMBERSHIP:
      return IndexKind::kMembership;
    default:
      return IndexKind::kNone;
  }
}

bool IsStringLike(const FD& def) {
  return (def.kind() == FD::VALUE && def.type() == FD::STRING) || def.kind() == FD::SET;
}

bool IsNumeric(const FD& def) {
  return def.kind() == FD::VALUE && (def.type() == FD::INT64 || def.type() == FD::DOUBLE);
}

// Whether `a` accepts exactly the values `b` accepts (type, symbols, pattern, lengths, range),
// so a value of one can always be written to the other.
bool SameValueRules(const FD& a, const FD& b) {
  return a.type() == b.type() &&
         std::equal(a.enum_values().begin(), a.enum_values().end(), b.enum_values().begin(),
                    b.enum_values().end()) &&
         a.pattern() == b.pattern() && a.has_min_length() == b.has_min_length() &&
         a.min_length() == b.min_length() && a.has_max_length() == b.has_max_length() &&
         a.max_length() == b.max_length() && a.has_min() == b.has_min() && a.min() == b.min() &&
         a.has_max() == b.has_max() && a.max() == b.max();
}

}  // namespace

// Where a field is being compiled: its type, its container (if a sub-field), and the numbers and
// names no field of this scope may take.
struct Compiler::Scope {
  std::string type;
  const FieldSpec* parent = nullptr;
  std::set<uint32_t> reserved_numbers;
  std::set<std::string, std::less<>> reserved_names;

  std::string PathOf(const FD& def) const {
    return parent == nullptr ? def.name() : absl::StrCat(parent->path(), ".", def.name());
  }
  absl::Status Error(const FD& def, std::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", type, "\": field \"", PathOf(def), "\": ", AV(problem)));
  }
};

absl::StatusOr<std::vector<RecordType>> Compiler::Compile(const rapport::v1::Schema& schema) {
  if (schema.types().empty()) {
    return absl::InvalidArgumentError("schema declares no record types");
  }
  std::vector<RecordType> types(schema.types_size());
  std::set<std::string, std::less<>> names;
  for (int i = 0; i < schema.types_size(); ++i) {
    const auto& def = schema.types(i);
    if (!IsIdentifier(def.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "type ", Quote(def.name()), ": name must be a lower-case identifier ([a-z][a-z0-9_]*)"));
    }
    if (!names.insert(def.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("type \"", def.name(), "\": declared more than once"));
    }
    RETURN_IF_ERROR(CompileType(def, &types[i]));
  }
  return types;
}

absl::Status Compiler::CompileType(const rapport::v1::RecordTypeDef& def, RecordType* out) {
  out->name_ = def.name();
  out->doc_ = def.doc();
  Scope scope{.type = def.name()};
  scope.reserved_numbers.insert(def.reserved_numbers().begin(), def.reserved_numbers().end());
  scope.reserved_names.insert(def.reserved_names().begin(), def.reserved_names().end());
  RETURN_IF_ERROR(CompileTable(scope, def.fields(), &out->fields_));
  return CheckHistories(scope, out->fields_);
}

absl::Status Compiler::CompileTable(const Scope& scope,
                                    const google::protobuf::RepeatedPtrField<FD>& defs,
                                    FieldTable* out) {
  // Implicit fields (a timeline's occurred_at and retracted) are already in `out`.
  for (const FD& def : defs) {
    if (!IsIdentifier(def.name())) {
      return scope.Error(def, "name must be a lower-case identifier ([a-z][a-z0-9_]*)");
    }
    if (def.number() == 0) {
      return scope.Error(def, "number 0 is invalid; field numbers start at 1");
    }
    if (scope.reserved_numbers.count(def.number()) != 0) {
      return scope.Error(def, absl::StrCat("number ", def.number(),
                                           " is reserved (a removed field had it); use a new one"));
    }
    if (scope.reserved_names.count(def.name()) != 0) {
      return scope.Error(def, "name is reserved (a removed field had it); use a new one");
    }
    // Before the duplicate check, which would blame the implicit field instead.
    if (scope.parent != nullptr && scope.parent->kind() == crdt::FieldKind::kTimeline &&
        def.number() < crdt::Timeline::kFirstUserField) {
      return scope.Error(def, absl::StrCat("timeline sub-field number ", def.number(),
                                           " is below 3; 1 (occurred_at) and 2 (retracted) are "
                                           "implicit"));
    }
    for (const FieldSpec& other : out->fields_) {
      const std::string_view what = other.implicit() ? "the implicit timeline field" : "field";
      if (other.name() == def.name()) {
        return scope.Error(
            def, absl::StrCat("name is already used by ", AV(what), " number ", other.number()));
      }
      if (other.number() == def.number()) {
        return scope.Error(def, absl::StrCat("number ", def.number(), " is already used by ",
                                             AV(what), " \"", other.name(), "\""));
      }
    }
    FieldSpec spec;
    RETURN_IF_ERROR(CompileField(scope, def, &spec));
    out->fields_.push_back(std::move(spec));
  }
  IndexTable(out);
  return absl::OkStatus();
}

void Compiler::IndexTable(FieldTable* table) {
  std::sort(table->fields_.begin(), table->fields_.end(),
            [](const FieldSpec& a, const FieldSpec& b) { return a.number() < b.number(); });
  table->by_name_.clear();
  for (size_t i = 0; i < table->fields_.size(); ++i) {
    table->by_name_.emplace(table->fields_[i].name(), i);
  }
}

absl::Status Compiler::CompileField(const Scope& scope, const FD& def, FieldSpec* out) {
  RETURN_IF_ERROR(CheckKindAndType(scope, def));
  RETURN_IF_ERROR(CheckConstraints(scope, def));
  RETURN_IF_ERROR(CheckIndex(scope, def));

  out->def_ = def;
  out->def_.clear_fields();
  out->kind_ = ToCrdtKind(def.kind());
  out->index_ = ToIndexKind(def.index());
  out->path_ = scope.PathOf(def);

  uint8_t mask = def.writers().empty() ? kAllRoles : 0;
  for (int role : def.writers()) {
    if (role < FD::REP || role > FD::REPLICA) {
      return scope.Error(def, absl::StrCat("writers: ", role,
                                           " is not a role (REP, MANAGER, "
                                           "ADMIN, REPLICA)"));
    }
    mask |= uint8_t{1} << (role - FD::REP);
  }
  // A sub-field is written through its container, so both must allow the role.
  out->writer_mask_ = scope.parent == nullptr ? mask : (mask & scope.parent->writer_mask_);

  if (!def.pattern().empty()) {
    RE2::Options options;
    options.set_log_errors(false);  // the error goes into our Status instead of stderr
    auto re = std::make_shared<const RE2>(def.pattern(), options);
    if (!re->ok()) {
      return scope.Error(def, absl::StrCat("pattern ", Quote(def.pattern()),
                                           " is not a valid RE2 expression: ", re->error()));
    }
    out->pattern_ = std::move(re);
  }

  if (def.kind() == FD::TIMELINE || def.kind() == FD::MAP) {
    Scope sub{.type = scope.type, .parent = out};
    if (def.kind() == FD::TIMELINE) AddImplicitTimelineFields(*out, &out->sub_fields_);
    RETURN_IF_ERROR(CompileTable(sub, def.fields(), &out->sub_fields_));
  }
  return absl::OkStatus();
}

absl::Status Compiler::CheckKindAndType(const Scope& scope, const FD& def) {
  if (!FD::Kind_IsValid(def.kind()) || def.kind() == FD::KIND_UNSPECIFIED) {
    return scope.Error(def, "kind must be one of VALUE, COUNTER, SET, TIMELINE, MAP");
  }
  if (scope.parent != nullptr) {
    if (def.kind() != FD::VALUE) {
      return scope.Error(
          def, absl::StrCat("sub-fields of a ", AV(crdt::FieldKindName(scope.parent->kind())),
                            " must be of kind VALUE"));
    }
  }
  const bool valid_type = FD::ScalarType_IsValid(def.type());
  if (def.kind() == FD::VALUE) {
    if (!valid_type || def.type() == FD::SCALAR_TYPE_UNSPECIFIED) {
      return scope.Error(def,
                         "a VALUE field needs a type: STRING, INT64, DOUBLE, BOOL, DATE, "
                         "ENUM or TIMESTAMP");
    }
  } else if (def.type() != FD::SCALAR_TYPE_UNSPECIFIED &&
             !(def.kind() == FD::SET && def.type() == FD::STRING)) {
    return scope.Error(def, absl::StrCat("type ", TypeName(def.type()), " does not apply to a ",
                                         AV(crdt::FieldKindName(ToCrdtKind(def.kind()))),
                                         " field (only VALUE fields have a type; SET may say "
                                         "STRING)"));
  }
  if (!def.history().empty() && (scope.parent != nullptr || def.kind() != FD::VALUE)) {
    return scope.Error(def, "history applies to top-level VALUE fields only");
  }
  if (!def.fields().empty() && def.kind() != FD::TIMELINE && def.kind() != FD::MAP) {
    return scope.Error(def, absl::StrCat("only TIMELINE and MAP fields have sub-fields, this is a ",
                                         AV(crdt::FieldKindName(ToCrdtKind(def.kind())))));
  }
  return absl::OkStatus();
}

absl::Status Compiler::CheckConstraints(const Scope& scope, const FD& def) {
  if (def.required() && def.kind() != FD::VALUE) {
    return scope.Error(def, "required applies to VALUE fields only");
  }
  if (def.type() == FD::ENUM) {
    if (def.enum_values().empty()) return scope.Error(def, "an ENUM field needs enum_values");
    std::set<std::string_view> seen;
    for (const std::string& symbol : def.enum_values()) {
      if (symbol.empty()) return scope.Error(def, "enum_values has an empty symbol");
      if (!seen.insert(symbol).second) {
        return scope.Error(def, absl::StrCat("enum value ", Quote(symbol), " is listed twice"));
      }
    }
  } else if (!def.enum_values().empty()) {
    return scope.Error(
        def, absl::StrCat("enum_values apply to ENUM fields only, this is ",
                          def.kind() == FD::VALUE
                              ? TypeName(def.type())
                              : std::string(crdt::FieldKindName(ToCrdtKind(def.kind())))));
  }
  if (!IsStringLike(def)) {
    if (!def.pattern().empty()) {
      return scope.Error(def, "pattern applies to STRING values and SET elements only");
    }
    if (def.has_min_length() || def.has_max_length()) {
      return scope.Error(def,
                         "min_length / max_length apply to STRING values and SET elements "
                         "only");
    }
  }
  if (def.has_min_length() && def.has_max_length() && def.min_length() > def.max_length()) {
    return scope.Error(def, absl::StrCat("min_length ", def.min_length(), " exceeds max_length ",
                                         def.max_length()));
  }
  if ((def.has_min() || def.has_max()) && !IsNumeric(def)) {
    return scope.Error(def, "min / max apply to INT64 and DOUBLE values only");
  }
  if ((def.has_min() && !std::isfinite(def.min())) ||
      (def.has_max() && !std::isfinite(def.max()))) {
    return scope.Error(def, "min / max must be finite numbers");
  }
  if (def.has_min() && def.has_max() && def.min() > def.max()) {
    return scope.Error(def, absl::StrCat("min ", def.min(), " exceeds max ", def.max()));
  }
  return absl::OkStatus();
}

absl::Status Compiler::CheckIndex(const Scope& scope, const FD& def) {
  if (!FD::IndexKind_IsValid(def.index())) {
    return scope.Error(def, absl::StrCat("index ", def.index(), " is not an index kind"));
  }
  if (def.index() == FD::NOT_INDEXED) return absl::OkStatus();
  if (scope.parent != nullptr) {
    return scope.Error(def, "sub-fields cannot be indexed; index a top-level field instead");
  }
  const bool value = def.kind() == FD::VALUE;
  const FD::ScalarType t = def.type();
  bool fits = false;
  const char* wants = "";
  switch (def.index()) {
    case FD::EXACT:
      fits = value;
      wants = "a VALUE field";
      break;
    case FD::PREFIX:
      fits = value && t == FD::STRING;
      wants = "a STRING value";
      break;
    case FD::RANGE:
      fits =
          (value && (t == FD::INT64 || t == FD::DOUBLE || t == FD::DATE || t == FD::TIMESTAMP)) ||
          def.kind() == FD::COUNTER;
      wants = "an INT64, DOUBLE, DATE or TIMESTAMP value, or a COUNTER";
      break;
    case FD::MEMBERSHIP:
      fits = def.kind() == FD::SET;
      wants = "a SET";
      break;
    default:
      break;
  }
  if (!fits) {
    const std::string what = value ? absl::StrCat(TypeName(t), " value")
                                   : std::string(crdt::FieldKindName(ToCrdtKind(def.kind())));
    return scope.Error(def, absl::StrCat("index ", FD::IndexKind_Name(def.index()), " needs ",
                                         wants, ", this is a ", what));
  }
  return absl::OkStatus();
}

absl::Status Compiler::CheckHistories(const Scope& scope, const FieldTable& table) {
  std::map<std::string, std::string, std::less<>> recorded;  // timeline -> the field it records
  for (const FieldSpec& field : table.all()) {
    if (field.history().empty()) continue;
    auto fail = [&](std::string_view problem) {
      return scope.Error(field.def(),
                         absl::StrCat("history ", Quote(field.history()), ": ", AV(problem)));
    };
    const FieldSpec* timeline = table.Find(field.history());
    if (timeline == nullptr) return fail("the type has no field of that name");
    if (timeline->kind() != crdt::FieldKind::kTimeline) {
      return fail(
          absl::StrCat("is a ", AV(crdt::FieldKindName(timeline->kind())), ", not a timeline"));
    }
    if (auto [it, fresh] = recorded.emplace(timeline->name(), field.name()); !fresh) {
      return fail(absl::StrCat("already records field \"", it->second,
                               "\"; each field needs a history timeline of its own"));
    }
    // The library writes from / to with the field's own values, so they must accept exactly
    // those values; it writes nothing else, so nothing else may be required.
    for (const char* end : {"from", "to"}) {
      const FieldSpec* sub = timeline->sub_fields().Find(end);
      if (sub == nullptr) {
        return fail(absl::StrCat("the timeline needs a sub-field \"", end, "\" with the field's ",
                                 "type and rules (", TypeName(field.type()), ")"));
      }
      if (!SameValueRules(sub->def(), field.def())) {
        return fail(absl::StrCat("sub-field \"", end, "\" must have the field's type and rules ",
                                 "(type, enum_values, pattern, lengths, range)"));
      }
    }
    if (const FieldSpec* author = timeline->sub_fields().Find("author");
        author != nullptr && author->type() != FD::STRING) {
      return fail("sub-field \"author\" must be a STRING");
    }
    for (const FieldSpec& sub : timeline->sub_fields().all()) {
      if (!sub.implicit() && sub.required()) {
        return fail(absl::StrCat("sub-field \"", sub.name(), "\" is required, but the library ",
                                 "writes only from, to and author, each possibly empty"));
      }
    }
    if ((field.writer_mask_ & ~timeline->writer_mask_) != 0) {
      return fail("every role that may write the field must be allowed to write the timeline");
    }
  }
  return absl::OkStatus();
}

void Compiler::AddImplicitTimelineFields(const FieldSpec& timeline, FieldTable* out) {
  auto add = [&](crdt::FieldId number, const char* name, FD::ScalarType type, bool required,
                 const char* doc) {
    FieldSpec spec;
    spec.def_.set_name(name);
    spec.def_.set_number(number);
    spec.def_.set_kind(FD::VALUE);
    spec.def_.set_type(type);
    spec.def_.set_required(required);
    spec.def_.set_doc(doc);
    spec.kind_ = crdt::FieldKind::kValue;
    spec.path_ = absl::StrCat(timeline.path(), ".", name);
    spec.implicit_ = true;
    spec.writer_mask_ = timeline.writer_mask_;
    out->fields_.push_back(std::move(spec));
  };
  // Every entry is dated (the timeline is ordered by occurred_at), so it is required.
  add(crdt::Timeline::kOccurredAt, "occurred_at", FD::TIMESTAMP, true,
      "When it happened; orders the timeline.");
  add(crdt::Timeline::kRetracted, "retracted", FD::BOOL, false,
      "True once the entry is withdrawn; entries are never deleted.");
}

}  // namespace rapport::schema::internal
