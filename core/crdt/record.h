// One customer (or other typed) record: its id, type name, field tree, reversible delete flag and
// absorbing erasure marker. A record state is also the shape of a delta: a join of a delta into a
// state is commutative, associative and idempotent, so deltas may arrive twice, late or out of
// order. Plain value type, not thread-safe.
#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "core/crdt/field.h"
#include "core/crdt/record_id.h"

namespace rapport::crdt {

class Record {
 public:
  Record() = default;
  Record(RecordId id, std::string type) : id_(id), type_(std::move(type)) {}

  const RecordId& id() const { return id_; }
  const std::string& type() const { return type_; }

  const Fields& fields() const { return fields_; }
  Fields& mutable_fields() { return fields_; }

  // Deletion is a value register of bool: reversible, and concurrent edits survive it.
  const Field& deleted_field() const { return deleted_; }
  Field& mutable_deleted_field() { return deleted_; }
  bool deleted() const;

  // Erasure (personal-data removal) is absorbing: values are gone and later writes ignored.
  bool erased() const { return erased_; }
  uint64_t erased_seq() const { return erased_seq_; }
  // Drops every value and marks the record erased; `seq` is the local change number.
  void Erase(uint64_t seq);

  // Joins `other` (a delta or a whole state of the same record id) into this record; whatever
  // changes gets `seq`. Returns true if this record changed. Precondition: same id.
  bool Join(const Record& other, uint64_t seq);

  // The part of this record changed after local `seq`: the delta to send to a peer that has
  // everything up to `seq`. Id and type are always included.
  Record DeltaSince(uint64_t seq) const;
  // Makes this record its own DeltaSince(seq) without copying what stays: for a record read only
  // to be sent (a change feed), where most of it usually does.
  void TrimToDeltaSince(uint64_t seq);
  uint64_t MaxSeq() const;
  // Sets every local seq in the record to `seq` (e.g. after decoding a whole state).
  void StampSeq(uint64_t seq);

  // The greatest clock stamp in the record, for HybridClock::Observe on receipt.
  Hlc MaxHlc() const;
  // True if any value register in the record has concurrent siblings.
  bool HasConflicts() const;

  // Replicated-state equality (local seqs are ignored).
  friend bool operator==(const Record& a, const Record& b) {
    return a.id_ == b.id_ && a.type_ == b.type_ && a.fields_ == b.fields_ &&
           a.deleted_ == b.deleted_ && a.erased_ == b.erased_;
  }

  // For decoding.
  void set_erased_for_decoding(bool erased, uint64_t seq) {
    erased_ = erased;
    erased_seq_ = seq;
  }

 private:
  RecordId id_;
  std::string type_;
  Fields fields_;
  Field deleted_{FieldKind::kValue};
  bool erased_ = false;
  uint64_t erased_seq_ = 0;
};

// Calls `visit` for every value register in `fields`, recursively.
void ForEachRegister(const Fields& fields, absl::FunctionRef<void(const ValueRegister&)> visit);

}  // namespace rapport::crdt
