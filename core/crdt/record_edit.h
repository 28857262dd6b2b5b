// A local edit of one record: typed mutations applied to the record at once, and the delta that
// carries them to other replicas. Every mutation of one edit shares one stamp (each timeline
// append gets its own, since it names the new entry), so an edit costs one clock tick.
// Not thread-safe; the record and clock must outlive the edit.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/crdt/hybrid_clock.h"
#include "core/crdt/record.h"

namespace rapport::crdt {

class RecordEdit {
 public:
  // `seq` is the local change number this edit commits under; it must exceed every seq already
  // in the record, so Delta() can find exactly this edit's changes.
  RecordEdit(Record& record, ReplicaId replica, HybridClock& clock, uint64_t wall_ms, uint64_t seq);

  // Each mutation fails with FailedPrecondition, changing nothing, if the record is erased or the
  // field exists with another kind.
  absl::Status Set(FieldId field, Scalar value);
  absl::Status Increment(FieldId field, int64_t amount);
  absl::Status AddElement(FieldId field, std::string element);
  absl::Status RemoveElement(FieldId field, std::string_view element);

  // Appends a timeline entry with `values` (occurred-at in Timeline::kOccurredAt) and returns
  // its key.
  absl::StatusOr<Dot> AppendEntry(FieldId timeline,
                                  const std::vector<std::pair<FieldId, Scalar>>& values);
  // NotFound if the entry is unknown here.
  absl::Status AmendEntry(FieldId timeline, const Dot& entry, FieldId field, Scalar value);
  absl::Status RetractEntry(FieldId timeline, const Dot& entry);

  absl::Status SetInMap(FieldId map, std::string_view key, FieldId field, Scalar value);

  absl::Status Delete();
  absl::Status Undelete();
  // Irreversible: drops every value of the record on every replica it reaches.
  void Erase();

  // The delta of everything this edit changed.
  Record Delta() const { return record_.DeltaSince(seq_ - 1); }
  bool changed() const { return record_.MaxSeq() >= seq_; }

 private:
  // The edit's shared stamp, drawn from the clock on first use.
  const Dot& EditDot();
  absl::Status CheckWritable() const;
  // Field `id` of `kind`, created if absent, or an error naming the mismatch.
  absl::StatusOr<Field*> FieldOf(Fields& fields, FieldId id, FieldKind kind);
  absl::StatusOr<Fields*> EntryOf(FieldId timeline, const Dot& entry);
  absl::Status WriteRegister(Fields& fields, Field* parent, FieldId id, Scalar value,
                             const Dot& dot);

  Record& record_;
  ReplicaId replica_;
  HybridClock& clock_;
  uint64_t wall_ms_;
  uint64_t seq_;
  std::optional<Dot> dot_;
};

}  // namespace rapport::crdt
