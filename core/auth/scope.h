// THE scope rule: which records a token's holder may receive and change. Every pull filter and
// every push check goes through this class, so the rule lives here only (docs/security.md
// "Scope").
//
//   rep              records whose `owner` is the token's subject, or whose `territory` is one of
//                    the token's territories
//   manager, replica records whose `branch` is one of the token's branches
//   admin            every record
//
// Field names are resolved through the schema (owner, territory, branch of the record's type);
// a record of a type the schema does not know, or whose type lacks the field, is out of scope
// for every role but admin (fail closed).
//
// Conflicted registers: a record is in scope if ANY sibling of the scope field matches. Concurrent
// reassignments by two managers leave siblings; each was written by someone allowed to assign,
// so each party keeps seeing (and can edit, and can see the conflict on) the record until a later
// write resolves it; only then does the losing party's next pull purge it. Deciding by the
// displayed sibling alone would hide the record from one party based on clock order, and their
// unpushed edits would land in quarantine for a conflict they cannot see.
//
// Erased records: Record::Erase drops every field, owner, territory and branch included, so the
// rule cannot be evaluated on an erased record. An erased record that carries no scope field is
// in scope for every role: its tombstone holds only id, type and the erasure marker (no personal
// data), and an erasure that does not reach a device would leave the personal data there, which
// is the worse failure. If erasure ever keeps the scope fields, the normal rule applies to them.
//
// Deleted records (the reversible `deleted` flag) keep their fields and follow the rule as is.
//
// Thread safety: immutable after construction; const methods may be called from any number of
// threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "core/auth/claims.h"
#include "core/crdt/record.h"
#include "core/schema/schema.h"

namespace rapport::auth {

// What the scope rule reads of a record: its type, whether it is erased, and which scope fields
// it has with their string siblings. Views into the record (or into a cache's storage) it was
// made from, so building one allocates nothing beyond its small inline vectors.
struct ScopeFacts {
  std::string_view type;
  bool erased = false;
  bool has_owner = false, has_territory = false, has_branch = false;
  absl::InlinedVector<std::string_view, 1> owners, territories, branches;
};

class Scope {
 public:
  // Keeps a copy of `claims` and of `schema` (Schema copies are cheap and share their state).
  Scope(Claims claims, const schema::Schema& schema);

  const Claims& claims() const { return claims_; }

  // Whether the record may be sent to (and kept by) the token's holder; see the rule above.
  bool Contains(const crdt::Record& record) const { return Contains(FactsOf(record)); }
  // The same, from the facts of a record (a server caches them per record, so that filtering a
  // pull does not decode records the caller may not see).
  bool Contains(const ScopeFacts& facts) const;
  // The facts of `record` the rule reads; they depend on the schema only, not on the claims.
  ScopeFacts FactsOf(const crdt::Record& record) const;

  // Checks one pushed delta. `before` is the server's state of the record before the push (a
  // default-constructed Record, or one with no fields, no delete flag and no erasure, if it does
  // not exist yet), `after` the state the join of `delta` would produce. Refuses, with
  // PermissionDenied naming the record, the field and the rule:
  //   * a record that exists and is out of scope (without revealing its values);
  //   * a delta whose type is not the stored record's, unless the role is admin: the join keeps
  //     the smaller type name and field numbers mean different things in each type. Write rights
  //     are judged by `after`'s type, the one the delta's field numbers will have;
  //   * an erasure by a role other than admin or replica;
  //   * a field the role may not write (Schema::CheckWriteRights). One exception: when creating a
  //     record, a role may set a scope field it could not otherwise write to a value of its own
  //     (owner = its subject, territory in its territories, branch in its branches), so a rep can
  //     add a customer it is responsible for and a manager one of its branch;
  //   * an `after` out of scope: a push may not move a record out of its pusher's reach.
  absl::Status CheckPush(const crdt::Record& before, const crdt::Record& delta,
                         const crdt::Record& after) const;

 private:
  // Numbers of the scope fields of one record type; nullopt where the type lacks the field.
  struct ScopeFields {
    std::string type;
    std::optional<crdt::FieldId> owner, territory, branch;
  };
  const ScopeFields* FieldsOf(std::string_view type) const;
  // True if the token's claims own a value written to scope field `number` (see CheckPush).
  bool OwnsValue(const ScopeFields& fields, crdt::FieldId number, const std::string& value) const;
  // The scope rule as text, for messages: `owner is "li" or territory in ["north"]`.
  std::string RuleText() const;

  Claims claims_;
  schema::Schema schema_;
  std::vector<ScopeFields> scope_fields_;  // one per record type of the schema
};

}  // namespace rapport::auth
