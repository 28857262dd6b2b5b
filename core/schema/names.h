// Internal: the words error messages use for kinds, scalar types, index kinds and values, so every
// message of the schema speaks the vocabulary of the schema file.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "core/crdt/field.h"
#include "core/crdt/scalar.h"
#include "core/schema/index_key.h"
#include "core/string_view_compat.h"
#include "rapport/v1/schema.pb.h"

namespace rapport::schema::internal {

// "string", "int64", ..., as in the schema file but lower case.
std::string TypeName(rapport::v1::FieldDef::ScalarType type);
// The scalar type a value holds: "string", "int64", ..., "null".
std::string_view ScalarTypeName(const crdt::Scalar& value);
std::string_view IndexKindName(IndexKind kind);
// Whether `value` holds the scalar type `type` (null matches every type).
// A value for a message: strings and symbols quoted and C-escaped (UTF-8 kept readable) and cut
// to 64 code points, so a hostile 1 MB value cannot make a 1 MB message.
std::string Describe(const crdt::Scalar& value);
std::string Quote(std::string_view text);

}  // namespace rapport::schema::internal
