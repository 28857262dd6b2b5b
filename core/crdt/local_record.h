// One record held by one replica without a store: its clock, its local seqs, edits that return
// deltas and receipt that joins a delta and observes its stamps, exactly as the store does. For
// tests, demonstrations and benchmarks of the model. Not thread-safe.
#pragma once

#include "absl/functional/function_ref.h"
#include "core/crdt/record_edit.h"

namespace rapport::crdt {

class LocalRecord {
 public:
  LocalRecord(ReplicaId replica, Record record) : replica_(replica), record_(std::move(record)) {}

  // Runs `fn` as one local edit at wall time `wall_ms` and returns the edit's delta.
  Record Edit(uint64_t wall_ms, absl::FunctionRef<void(RecordEdit&)> fn) {
    RecordEdit edit(record_, replica_, clock_, wall_ms, ++seq_);
    fn(edit);
    return edit.Delta();
  }

  // Joins a delta from another replica; returns true if the record changed.
  bool Receive(const Record& delta) {
    clock_.Observe(delta.MaxHlc());
    return record_.Join(delta, ++seq_);
  }

  const Record& record() const { return record_; }
  ReplicaId replica() const { return replica_; }
  uint64_t seq() const { return seq_; }

 private:
  ReplicaId replica_;
  HybridClock clock_;
  Record record_;
  uint64_t seq_ = 0;
};

}  // namespace rapport::crdt
