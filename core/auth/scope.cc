#include "core/auth/scope.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::auth {
namespace {

bool IsOneOf(const std::string& value, const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// Every sibling of value register `field` is a string accepted by `accept` (and there is one).
template <typename Accept>
bool AllSiblings(const crdt::Field& field, Accept accept) {
  const auto* reg = field.As<crdt::ValueRegister>();
  if (reg == nullptr || reg->siblings().empty()) return false;
  for (const crdt::Sibling& sibling : reg->siblings()) {
    const auto* text = std::get_if<std::string>(&sibling.value);
    if (text == nullptr || !accept(*text)) return false;
  }
  return true;
}

bool IsAbsent(const crdt::Record& record) {
  const auto* deleted = record.deleted_field().As<crdt::ValueRegister>();
  return record.fields().empty() && !record.erased() &&
         (deleted == nullptr || deleted->siblings().empty());
}

std::string Quoted(const std::vector<std::string>& items) {
  return absl::StrCat("[",
                      absl::StrJoin(items, ", ",
                                    [](std::string* out, const std::string& s) {
                                      absl::StrAppend(out, "\"", s, "\"");
                                    }),
                      "]");
}

}  // namespace

Scope::Scope(Claims claims, const schema::Schema& schema)
    : claims_(std::move(claims)), schema_(schema) {
  for (const schema::RecordType& type : schema_.types()) {
    ScopeFields f;
    f.type = type.name();
    if (const auto* spec = type.FindField("owner")) f.owner = spec->number();
    if (const auto* spec = type.FindField("territory")) f.territory = spec->number();
    if (const auto* spec = type.FindField("branch")) f.branch = spec->number();
    scope_fields_.push_back(std::move(f));
  }
}

const Scope::ScopeFields* Scope::FieldsOf(std::string_view type) const {
  for (const ScopeFields& f : scope_fields_) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

ScopeFacts Scope::FactsOf(const crdt::Record& record) const {
  ScopeFacts facts;
  facts.type = record.type();
  facts.erased = record.erased();
  const ScopeFields* f = FieldsOf(record.type());
  if (f == nullptr) return facts;
  // Every string sibling of value field `number`; whether the record has the field at all.
  auto collect = [&](std::optional<crdt::FieldId> number,
                     absl::InlinedVector<std::string_view, 1>& out) {
    const crdt::Field* field = number ? record.fields().Find(*number) : nullptr;
    if (field == nullptr) return false;
    if (const auto* reg = field->As<crdt::ValueRegister>()) {
      for (const crdt::Sibling& sibling : reg->siblings()) {
        if (const auto* text = std::get_if<std::string>(&sibling.value)) out.push_back(*text);
      }
    }
    return true;
  };
  facts.has_owner = collect(f->owner, facts.owners);
  facts.has_territory = collect(f->territory, facts.territories);
  facts.has_branch = collect(f->branch, facts.branches);
  return facts;
}

bool Scope::Contains(const ScopeFacts& facts) const {
  if (claims_.role == Role::kAdmin) return true;
  // See "Erased records" in scope.h: without scope fields the tombstone goes everywhere.
  if (facts.erased && !facts.has_owner && !facts.has_territory && !facts.has_branch) return true;
  if (FieldsOf(facts.type) == nullptr) return false;
  auto any_of = [](const absl::InlinedVector<std::string_view, 1>& values, auto match) {
    return std::any_of(values.begin(), values.end(), match);
  };
  auto one_of = [](const std::vector<std::string>& allowed) {
    return [&allowed](std::string_view v) {
      return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
    };
  };
  switch (claims_.role) {
    case Role::kRep:
      return any_of(facts.owners, [&](std::string_view v) { return v == claims_.subject; }) ||
             any_of(facts.territories, one_of(claims_.territories));
    case Role::kManager:
    case Role::kReplica:
      return any_of(facts.branches, one_of(claims_.branches));
    case Role::kAdmin:
      return true;
  }
  return false;
}

bool Scope::OwnsValue(const ScopeFields& fields, crdt::FieldId number,
                      const std::string& value) const {
  if (fields.owner == number) return value == claims_.subject;
  if (fields.territory == number) return IsOneOf(value, claims_.territories);
  if (fields.branch == number) return IsOneOf(value, claims_.branches);
  return false;
}

std::string Scope::RuleText() const {
  switch (claims_.role) {
    case Role::kRep:
      return absl::StrCat("owner is \"", claims_.subject, "\" or territory in ",
                          Quoted(claims_.territories));
    case Role::kManager:
    case Role::kReplica:
      return absl::StrCat("branch in ", Quoted(claims_.branches));
    case Role::kAdmin:
      return "every record";
  }
  return "";
}

absl::Status Scope::CheckPush(const crdt::Record& before, const crdt::Record& delta,
                              const crdt::Record& after) const {
  const std::string id = delta.id().ToString();
  const std::string who = absl::StrCat(AV(RoleName(claims_.role)), " \"", claims_.subject, "\"");
  const bool creating = IsAbsent(before);

  // The message never shows an out-of-scope record's values: the pusher may not know them.
  if (!creating && !Contains(before)) {
    return absl::PermissionDeniedError(
        absl::StrCat("record ", id, ": outside the scope of ", who, " (scope: ", RuleText(), ")"));
  }
  // Record::Join keeps the smaller type name, and a field number means something else in each
  // type: a delta of another type could write the stored type's `owner` as a field anyone may
  // write, or turn the record into a type where its territory reads as an owner. A record's type
  // is fixed at creation; only admin may push across types (no client does).
  if (!creating && delta.type() != before.type() && claims_.role != Role::kAdmin) {
    return absl::PermissionDeniedError(
        absl::StrCat("record ", id, " is a \"", before.type(), "\"; ", who,
                     " may not change its type from \"", before.type(), "\" to \"", delta.type(),
                     "\" (field numbers mean different things in each type)"));
  }
  if (delta.erased() && claims_.role != Role::kAdmin && claims_.role != Role::kReplica) {
    return absl::PermissionDeniedError(absl::StrCat(
        "record ", id, ": ", who, " may not erase records; erasure is an admin operation"));
  }

  // Write rights, with the creation exception for the pusher's own scope values, judged by the
  // type the stored record will have: that is what the delta's field numbers will mean.
  const ScopeFields* f = FieldsOf(after.type());
  crdt::Record checked(delta.id(), after.type());
  for (const auto& [number, field] : delta.fields().entries()) {
    const bool own_scope_value =
        creating && f != nullptr &&
        (f->owner == number || f->territory == number || f->branch == number) &&
        AllSiblings(field, [&, n = number](const std::string& v) { return OwnsValue(*f, n, v); });
    if (own_scope_value) continue;
    checked.mutable_fields().AppendDecoded(number, field);
  }
  RETURN_IF_ERROR(schema_.CheckWriteRights(checked, RoleName(claims_.role)));

  if (!Contains(after)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "record ", id, ": ", creating ? "a new record" : "this change",
        " would be outside the scope of ", who, " (scope: ", RuleText(),
        "); set owner, territory or branch so that it stays in scope, or ask a manager to "
        "reassign it"));
  }
  return absl::OkStatus();
}

}  // namespace rapport::auth
