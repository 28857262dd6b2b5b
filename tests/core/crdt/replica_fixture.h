// Shared helpers of the CRDT model tests.
#pragma once

#include "core/crdt/local_record.h"
#include "core/crdt/record_codec.h"
#include "gtest/gtest.h"

namespace rapport::crdt::testing {

inline RecordId TestRecordId(uint8_t n = 1) { return RecordId::FromParts(1'700'000'000'000, {n}); }

// A replica of one test record, with its canonical bytes for convergence checks.
class TestReplica : public LocalRecord {
 public:
  explicit TestReplica(ReplicaId id, RecordId record = TestRecordId())
      : LocalRecord(id, Record(record, "customer")) {}
  std::string Canonical() const { return EncodeRecord(record()); }
};

inline const ValueRegister& Reg(const Record& r, FieldId id) {
  static const ValueRegister kEmpty;
  const Field* f = r.fields().Find(id);
  return f && f->As<ValueRegister>() ? *f->As<ValueRegister>() : kEmpty;
}

inline std::string Text(const Scalar& s) { return ScalarToText(s); }

}  // namespace rapport::crdt::testing
