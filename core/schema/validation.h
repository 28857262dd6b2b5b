// The value rules of one field, shared by Schema::ValidateValue (a local write) and
// Schema::ValidateDelta (a received delta). Messages read
//   record <id>: field "<path>": <what is wrong, naming the rule>
// with "record <id>: " left out when no record id is given. Thread-safe (pure).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "core/crdt/scalar.h"
#include "core/schema/schema.h"

namespace rapport::schema {

// True if `value` is of the scalar type a field declares (null holds no type).
bool HoldsType(const crdt::Scalar& value, rapport::v1::FieldDef::ScalarType type);

// Checks `value` against the rules of the VALUE field `field`: null only if not required; the
// declared scalar type; for strings valid UTF-8, min/max length in code points, full-match
// pattern; for enums a listed symbol; for int64 and double the inclusive min/max (compared
// exactly), and doubles must be finite. `path` overrides field.path() in messages (a received
// delta names the timeline entry or map key). InvalidArgument on failure.
absl::Status ValidateScalar(const FieldSpec& field, const crdt::Scalar& value,
                            std::string_view record_id = {}, std::string_view path = {});

// Checks one element of the SET field `field`: valid UTF-8, length in code points, pattern.
absl::Status ValidateSetElement(const FieldSpec& field, std::string_view element,
                                std::string_view record_id = {}, std::string_view path = {});

}  // namespace rapport::schema
