// Encoding of record states and deltas as rapport.v1.RecordState (proto/rapport/v1/crdt.proto).
// The canonical form is deterministic: two replicas with the same state produce the same bytes.
// Decoding validates every index and ordering and returns InvalidArgument for anything that is
// not a well-formed state; it never crashes on hostile input.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "rapport/v1/crdt.pb.h"

namespace rapport::crdt {

struct EncodeOptions {
  // Include local seqs (the store's form). The canonical and wire forms leave them out.
  bool with_seqs = false;
  // Leave out the record id, for a store that keys the bytes by it (decode with the id given).
  bool without_id = false;
};

// The bytes of rapport.v1.RecordState, written and read directly (no message tree): the fast
// path, used by the store.
std::string EncodeRecord(const Record& record, EncodeOptions options = {});
// The same into `out` (cleared first), reusing its capacity.
void EncodeRecordTo(const Record& record, EncodeOptions options, std::string* out);
absl::StatusOr<Record> DecodeRecord(std::string_view bytes);
// For bytes encoded `without_id`: the record gets `id` (bytes that do carry an id must agree).
absl::StatusOr<Record> DecodeRecord(std::string_view bytes, const RecordId& id);

// For records inside protobuf messages (sync batches, admin replies): through the bytes above,
// so both forms always agree.
void RecordToProto(const Record& record, rapport::v1::RecordState* out, EncodeOptions options = {});
absl::StatusOr<Record> RecordFromProto(const rapport::v1::RecordState& state);

}  // namespace rapport::crdt
