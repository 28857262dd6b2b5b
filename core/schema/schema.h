// The record schema: record types, their fields (by stable number), each field's CRDT kind,
// scalar type, constraints, index and write rights. Loaded from protobuf text format
// (proto/rapport/v1/schema.proto; the default is schemas/customer.textproto, embedded), checked
// once at load, then used to validate writes where they are made and deltas where they are
// received, to check field write rights and to compute index postings. Format and rules:
// docs/schema.md.
//
// A Schema is immutable after load. Multiple threads can call const methods on one Schema, or on
// copies of it, without external synchronization; copies are cheap and share the compiled state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/crdt/scalar.h"
#include "core/schema/index_key.h"
#include "core/store/index_entry.h"
#include "rapport/v1/schema.pb.h"

namespace re2 {
class RE2;
}

namespace rapport::schema {

namespace internal {
class Compiler;
}

// Roles of the token claims. Parsed from their lower-case names: "rep", "manager", "admin",
// "replica".
enum class Role : uint8_t { kRep = 0, kManager = 1, kAdmin = 2, kReplica = 3 };
std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

class FieldSpec;

// Fields of one scope (a record type, a timeline entry or a map entry), by name and by number.
class FieldTable {
 public:
  const FieldSpec* Find(std::string_view name) const;
  const FieldSpec* Find(crdt::FieldId number) const;
  // Ascending by number.
  const std::vector<FieldSpec>& all() const { return fields_; }

 private:
  friend class internal::Compiler;
  std::vector<FieldSpec> fields_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

// One compiled field definition: a top-level field of a record type or a sub-field of a
// TIMELINE / MAP field.
class FieldSpec {
 public:
  // The definition as written, without its sub-fields (see sub_fields()).
  const rapport::v1::FieldDef& def() const { return def_; }
  const std::string& name() const { return def_.name(); }
  crdt::FieldId number() const { return def_.number(); }
  crdt::FieldKind kind() const { return kind_; }
  rapport::v1::FieldDef::ScalarType type() const { return def_.type(); }
  IndexKind index() const { return index_; }
  bool required() const { return def_.required(); }
  // Dotted path from the record: "name", "interactions.kind".
  const std::string& path() const { return path_; }
  // True for the timeline fields every entry has: occurred_at (1) and retracted (2).
  bool implicit() const { return implicit_; }
  // The TIMELINE recording every change of this VALUE field, or "" (docs/schema.md, "History
  // of a value"). Checked at load: it exists, has `from` / `to` of this field's type, etc.
  const std::string& history() const { return def_.history(); }
  // The compiled `pattern`, or nullptr if the field has none.
  const re2::RE2* pattern() const { return pattern_.get(); }

  // Whether `role` may write this field. A sub-field is writable only by roles that may write
  // both it and its container.
  bool CanWrite(Role role) const { return (writer_mask_ >> static_cast<int>(role)) & 1; }

  // Sub-fields of a TIMELINE (including the implicit ones) or MAP; empty for other kinds.
  const FieldTable& sub_fields() const { return sub_fields_; }

 private:
  friend class internal::Compiler;
  rapport::v1::FieldDef def_;
  crdt::FieldKind kind_ = crdt::FieldKind::kValue;
  IndexKind index_ = IndexKind::kNone;
  std::string path_;
  bool implicit_ = false;
  uint8_t writer_mask_ = 0;
  std::shared_ptr<const re2::RE2> pattern_;  // RE2 is thread-safe for matching
  FieldTable sub_fields_;
};

class RecordType {
 public:
  const std::string& name() const { return name_; }
  const std::string& doc() const { return doc_; }
  const FieldSpec* FindField(std::string_view name) const { return fields_.Find(name); }
  const FieldSpec* FindField(crdt::FieldId number) const { return fields_.Find(number); }
  // Resolves a dotted path ("name", "contacts.phone", "interactions.occurred_at").
  const FieldSpec* FindPath(std::string_view path) const;
  // Ascending by number.
  const std::vector<FieldSpec>& fields() const { return fields_.all(); }
  const FieldTable& field_table() const { return fields_; }

 private:
  friend class internal::Compiler;
  std::string name_;
  std::string doc_;
  FieldTable fields_;
};

class Schema {
 public:
  // Parses and checks a schema in protobuf text format. Syntax errors are InvalidArgument with
  // line:column; definition errors (duplicate names or numbers, a constraint that does not fit
  // the field, a bad pattern, ...) name the type and field.
  static absl::StatusOr<Schema> Parse(std::string_view text);
  // As Parse, reading the file at `path`; errors start with the path. NotFound if unreadable.
  static absl::StatusOr<Schema> LoadFile(const std::string& path);
  // Checks an already parsed definition.
  static absl::StatusOr<Schema> FromProto(rapport::v1::Schema proto);
  // The customer profile card of schemas/customer.textproto, embedded at build time.
  static const Schema& DefaultCustomer();

  const rapport::v1::Schema& proto() const;
  const std::string& name() const;
  uint32_t version() const;
  const RecordType* FindType(std::string_view name) const;
  const std::vector<RecordType>& types() const;
  // Resolves `type` and a dotted field path; nullptr if either is unknown.
  const FieldSpec* FindField(std::string_view type, std::string_view path) const;

  // 16 lower-case hex digits: FNV-1a 64 of the deterministic binary serialization of the
  // definition with every doc string cleared. Equal for schemas that validate, store and index
  // alike, whatever their formatting, comments or docs; replicas compare it at Hello.
  std::string Hash() const;

  // ---- Validation (validation.cc). Errors are InvalidArgument naming the record (if
  // `record_id` is given or known), the field and the rule. ----

  // A local write of `value` to the VALUE field or sub-field at `field_path` of `type`: the
  // scalar type matches, enum symbol listed, pattern, length in code points, numeric range,
  // finite doubles, valid UTF-8; null is allowed unless the field is required.
  absl::Status ValidateValue(std::string_view type, std::string_view field_path,
                             const crdt::Scalar& value, std::string_view record_id = {}) const;
  // A received delta (or whole state): of a known type; every known field number of the right
  // kind; every sibling of every register (top-level, timeline entry, map entry) and every set
  // element satisfying its field's rules. Fields and entry fields whose numbers this schema does
  // not know (a newer schema) are allowed and left untouched.
  absl::Status ValidateDelta(const crdt::Record& delta) const;
  // Required fields have a non-null displayed value, at the top level, in every timeline entry
  // not retracted and in every map entry. Meant for whole states (after creating a record or
  // appending an entry), not for deltas. An erased record passes.
  absl::Status ValidateRequired(const crdt::Record& record) const;

  // ---- Write rights (write_rights.cc). ----

  // Whether `role` may write the field at `field_path` of `type`. Unknown roles may write
  // nothing; fields this schema does not know only admin and replica may write.
  bool CanWrite(std::string_view role, std::string_view type, std::string_view field_path) const;
  // PermissionDenied naming the record, role and first field of `delta` the role may not write.
  absl::Status CheckWriteRights(const crdt::Record& delta, std::string_view role) const;

  // ---- Indexes (indexer.cc). ----

  // Postings of a record of a known type (none for unknown types): one per indexed VALUE field
  // with a non-null displayed value, one per indexed COUNTER (its value), one per element of an
  // indexed SET; index name = field name, key = IndexKey(value, field's index kind). Only the
  // displayed value of a conflicted register is indexed: the index answers "what does the record
  // show". Deleted records get postings here too; the store drops them. Sorted, no
  // duplicates. The extractor holds a copy of this Schema and may outlive it.
  store::IndexExtractor Indexer() const;

 private:
  struct Impl;
  explicit Schema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace rapport::schema
