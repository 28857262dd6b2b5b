// The identity a verified bearer token carries: who the caller is (subject), what they may do
// (role) and which records they are responsible for (territories, branches). Scope (scope.h)
// turns claims into the rule that filters pulls and checks pushes. Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema/schema.h"

namespace rapport::auth {

// The role of a token. This is the schema's own role type, not a copy: the schema's write rights
// (`writers: [MANAGER, ADMIN, REPLICA]`, Schema::CheckWriteRights) and the token's claims must
// name roles the same way, and one enum cannot drift from itself.
//   kRep      field salesperson: records they own or whose territory is theirs
//   kManager  branch manager: records of their branches
//   kAdmin    head-office administrator: every record, admin RPCs, erasure
//   kReplica  a branch server syncing with head office: records of its branches
using Role = schema::Role;

// "rep", "manager", "admin", "replica" <-> Role; the names of the `role` claim, of
// Schema::CheckWriteRights and of docs/security.md. Parsing is exact (lower case).
using schema::ParseRole;
using schema::RoleName;

struct Claims {
  std::string subject;                   // `sub`: the user or replica, e.g. "li.na"
  Role role = Role::kRep;                // `role`
  std::vector<std::string> territories;  // `territories`: sales territories (rep scope)
  std::vector<std::string> branches;     // `branches`: branch offices (manager, replica scope)
  int64_t expires_at = 0;                // `exp`: unix seconds
  std::string issuer;                    // `iss`
  std::string audience;                  // `aud`

  friend bool operator==(const Claims&, const Claims&) = default;
};

}  // namespace rapport::auth
