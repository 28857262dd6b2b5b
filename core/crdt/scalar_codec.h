// The packed form of one scalar inside a record encoding (docs/data-model.md, "Scalars"): a kind
// number, then a payload that needs no tag of its own. Timestamps are stored relative to the
// millisecond of the write that holds them, because an interaction is usually logged close to when
// it happened: a few bytes instead of six. Text and enum symbols are written once per record:
// a repeat (the same author or kind on every interaction) is a back-reference to the first.
// Internal to the record codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
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

// The strings of one record in the order they were first written: a string payload is a varint
// `length << 1` and the bytes, or `index << 1 | 1` for the index-th distinct string before it.
// Encoder and decoder visit payloads in the same order (the order of the bytes).
class StringsWritten {
 public:
  // One block for a typical record's strings instead of rehashing as it fills.
  StringsWritten() { index_.reserve(48); }
  // The index of `s` if written before; otherwise remembers it and returns nullopt. `s` must
  // outlive this table.
  std::optional<uint32_t> Find(std::string_view s);
  // Forgets every string, keeping the table's memory for the next record.
  void Clear() { index_.clear(); }

 private:
  absl::flat_hash_map<absl::string_view, uint32_t> index_;
};

class StringsRead {
 public:
  // Views into the bytes being decoded.
  std::vector<std::string_view> seen;
};

// Writes the payload of `value`; `base_ms` is the millisecond of the write's dot.
void WritePayload(const Scalar& value, uint64_t base_ms, StringsWritten& strings,
                  wire::WireWriter& out);

// Reads a payload of `kind` into `*value`; false if malformed.
bool ReadPayload(Kind kind, uint64_t base_ms, StringsRead& strings, wire::WireReader& in,
                 Scalar* value);

// Steps over a payload of `kind` without decoding it; false if malformed.
bool SkipPayload(Kind kind, wire::WireReader& in);

}  // namespace rapport::crdt::scalar_codec
