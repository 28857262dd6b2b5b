// A replica of one record for tests: its own clock and local seqs, edits that return deltas, and
// receipt that joins a delta and observes its stamps, as a store would.
#pragma once

#include <functional>

#include "core/crdt/record_codec.h"
#include "core/crdt/record_edit.h"
#include "gtest/gtest.h"

namespace rapport::crdt::testing {

inline RecordId TestRecordId(uint8_t n = 1) { return RecordId::FromParts(1'700'000'000'000, {n}); }

class TestReplica {
 public:
  explicit TestReplica(ReplicaId id, RecordId record = TestRecordId())
      : id_(id), record_(record, "customer") {}

  // Runs `fn` as one local edit at wall time `wall_ms`; returns the edit's delta.
  Record Edit(uint64_t wall_ms, const std::function<void(RecordEdit&)>& fn) {
    RecordEdit edit(record_, id_, clock_, wall_ms, ++seq_);
    fn(edit);
    return edit.Delta();
  }

  void Receive(const Record& delta) {
    clock_.Observe(delta.MaxHlc());
    record_.Join(delta, ++seq_);
  }

  const Record& record() const { return record_; }
  std::string Canonical() const { return EncodeRecord(record_); }
  uint64_t seq() const { return seq_; }
  HybridClock& clock() { return clock_; }

 private:
  ReplicaId id_;
  HybridClock clock_;
  Record record_;
  uint64_t seq_ = 0;
};

inline const ValueRegister& Reg(const Record& r, FieldId id) {
  static const ValueRegister kEmpty;
  const Field* f = r.fields().Find(id);
  return f && f->As<ValueRegister>() ? *f->As<ValueRegister>() : kEmpty;
}

inline std::string Text(const Scalar& s) { return ScalarToText(s); }

}  // namespace rapport::crdt::testing
