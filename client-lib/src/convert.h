// Conversions between the public value types and the core model, shared by the client library's
// sources. Internal; pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/crdt/dot.h"
#include "core/crdt/scalar.h"
#include "rapport/value.h"

namespace rapport::internal {

crdt::Scalar ToScalar(const Value& value);
Value FromScalar(const crdt::Scalar& scalar);

// A timeline entry id: "<replica hex16>.<hlc hex16>", the dot that created the entry.
std::string EntryIdText(const crdt::Dot& dot);
absl::StatusOr<crdt::Dot> ParseEntryId(std::string_view text);

std::string ReplicaIdText(crdt::ReplicaId id);

}  // namespace rapport::internal
