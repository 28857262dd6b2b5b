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
};

void RecordToProto(const Record& record, rapport::v1::RecordState* out, EncodeOptions options = {});
absl::StatusOr<Record> RecordFromProto(const rapport::v1::RecordState& state);

std::string EncodeRecord(const Record& record, EncodeOptions options = {});
absl::StatusOr<Record> DecodeRecord(std::string_view bytes);

}  // namespace rapport::crdt
