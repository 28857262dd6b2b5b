// The packed form of one scalar inside a record encoding (docs/data-model.md, "Scalars"): a kind
// number, then a payload that needs no tag of its own. Timestamps are stored relative to the
// millisecond of the write that holds them, because an interaction is usually logged close to when
// it happened: a few bytes instead of six. Internal to the record codec.
#pragma once

#include <cstdint>

#include "core/crdt/scalar.h"
#include "core/crdt/wire_format.h"

namespace rapport::crdt::scalar_codec {

// Kind numbers; they fit in three bits.
enum Kind : uint8_t {
  kNull = 0,
  kText = 1,
  kInteger = 2,
  kReal = 3,
  kBool = 4,
  kDate = 5,
  kEnum = 6,
  kTimestamp = 7,
};

// The kind number of `value` (the variant's alternatives are in this order).
inline Kind KindOf(const Scalar& value) { return static_cast<Kind>(value.index()); }

// Writes the payload of `value`; `base_ms` is the millisecond of the write's dot.
void WritePayload(const Scalar& value, uint64_t base_ms, wire::WireWriter& out);

// Reads a payload of `kind` into `*value`; false if malformed.
bool ReadPayload(Kind kind, uint64_t base_ms, wire::WireReader& in, Scalar* value);

}  // namespace rapport::crdt::scalar_codec
