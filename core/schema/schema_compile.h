// Internal: turns a parsed rapport.v1.Schema into compiled RecordTypes, checking the definition
// on the way (duplicate names or numbers, constraints that do not fit their field, bad patterns,
// reserved numbers, ...). Every error is InvalidArgument naming the type and field.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"

namespace rapport::schema::internal {

class Compiler {
 public:
  static absl::StatusOr<std::vector<RecordType>> Compile(const rapport::v1::Schema& schema);

 private:
  struct Scope;
  static absl::Status CompileType(const rapport::v1::RecordTypeDef& def, RecordType* out);
  static absl::Status CompileTable(
      const Scope& scope, const google::protobuf::RepeatedPtrField<rapport::v1::FieldDef>& defs,
      FieldTable* out);
  static absl::Status CompileField(const Scope& scope, const rapport::v1::FieldDef& def,
                                   FieldSpec* out);
  static absl::Status CheckKindAndType(const Scope& scope, const rapport::v1::FieldDef& def);
  static absl::Status CheckConstraints(const Scope& scope, const rapport::v1::FieldDef& def);
  static absl::Status CheckIndex(const Scope& scope, const rapport::v1::FieldDef& def);
  static void AddImplicitTimelineFields(const FieldSpec& timeline, FieldTable* out);
  // The `history` links of a type's fields, once all of them are compiled.
  static absl::Status CheckHistories(const Scope& scope, const FieldTable& table);
  static void IndexTable(FieldTable* table);
};

}  // namespace rapport::schema::internal
