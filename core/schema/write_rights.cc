// Schema::CanWrite / CheckWriteRights: which roles may write which fields (the `writers` of the
// schema). The server checks every pushed delta with CheckWriteRights; clients check before a
// write so a refused edit fails at once instead of landing in quarantine after a sync.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/schema/names.h"
#include "core/schema/schema.h"
#include "core/status_macros.h"

namespace rapport::schema {
namespace {

using internal::Quote;
using rapport::AV;

// Fields a schema does not know (written under a newer one) cannot be checked, so they are
// refused to end-user roles and passed on only for roles that relay or administer whole records.
bool MayWriteUnknown(Role role) { return role == Role::kAdmin || role == Role::kReplica; }

std::string WritersOf(const FieldSpec& field) {
  std::vector<std::string> names;
  for (Role role : {Role::kRep, Role::kManager, Role::kAdmin, Role::kReplica}) {
    if (field.CanWrite(role)) names.emplace_back(RoleName(role));
  }
  return names.empty() ? "nobody" : absl::StrJoin(names, ", ");
}

class RightsCheck {
 public:
  RightsCheck(const Schema& schema, std::string record_id, Role role)
      : schema_(schema), record_id_(std::move(record_id)), role_(role) {}

  absl::Status Fields(const FieldTable& table, const crdt::Fields& fields,
                      std::string_view container) {
    for (const auto& [id, field] : fields.entries()) {
      const FieldSpec* spec = table.Find(id);
      if (spec == nullptr) {
        if (MayWriteUnknown(role_)) continue;
        return Deny(absl::StrCat(
            "field number ", id, container.empty() ? "" : " of ", AV(container),
            ", which schema \"", schema_.name(), "\" version ", schema_.version(),
            " does not know; only admin and replica may write fields this schema does not know"));
      }
      if (!spec->CanWrite(role_)) {
        return Deny(absl::StrCat("field \"", spec->path(), "\" (writers: ", WritersOf(*spec), ")"));
      }
      RETURN_IF_ERROR(Entries(*spec, field));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Entries(const FieldSpec& spec, const crdt::Field& field) {
    if (const auto* timeline = field.As<crdt::Timeline>()) {
      for (const auto& entry : timeline->entries()) {
        RETURN_IF_ERROR(Fields(spec.sub_fields(), entry.second, spec.path()));
      }
    } else if (const auto* map = field.As<crdt::NestedMap>()) {
      for (const auto& entry : map->entries()) {
        RETURN_IF_ERROR(Fields(spec.sub_fields(), entry.second, spec.path()));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Deny(std::string_view what) const {
    return absl::PermissionDeniedError(absl::StrCat(
        "record ", record_id_, ": role \"", AV(RoleName(role_)), "\" may not write ", AV(what)));
  }

  const Schema& schema_;
  std::string record_id_;
  Role role_;
};

}  // namespace

bool Schema::CanWrite(std::string_view role, std::string_view type,
                      std::string_view field_path) const {
  const std::optional<Role> r = ParseRole(role);
  if (!r) return false;
  const FieldSpec* field = FindField(type, field_path);
  return field == nullptr ? MayWriteUnknown(*r) : field->CanWrite(*r);
}

absl::Status Schema::CheckWriteRights(const crdt::Record& delta, std::string_view role) const {
  const std::string record_id = delta.id().ToString();
  const std::optional<Role> r = ParseRole(role);
  if (!r) {
    return absl::PermissionDeniedError(
        absl::StrCat("record ", record_id, ": unknown role ", Quote(role),
                     " may write nothing (roles: rep, manager, admin, replica)"));
  }
  const RecordType* type = FindType(delta.type());
  if (type == nullptr) {
    if (MayWriteUnknown(*r)) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("record ", record_id, ": role \"", AV(RoleName(*r)),
                     "\" may not write records of type ", Quote(delta.type()), ", which schema \"",
                     name(), "\" version ", version(), " does not know"));
  }
  return RightsCheck(*this, record_id, *r).Fields(type->field_table(), delta.fields(), "");
}

}  // namespace rapport::schema
