// Test helpers: customer records built through crdt::RecordEdit, fields named as in
// schemas/customer.textproto.
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "core/crdt/hybrid_clock.h"
#include "core/crdt/record.h"
#include "core/crdt/record_edit.h"
#include "core/schema/schema.h"
#include "gtest/gtest.h"

namespace rapport::schema::testing {

inline const Schema& Customer() { return Schema::DefaultCustomer(); }

// Number of the customer field at `path` ("name", "interactions.kind").
inline crdt::FieldId Num(std::string_view path) {
  const FieldSpec* f = Customer().FindField("customer", path);
  EXPECT_NE(f, nullptr) << path;
  return f == nullptr ? 0 : f->number();
}

inline crdt::RecordId TestId(uint8_t n = 1) {
  std::array<uint8_t, 10> random{};
  random.fill(n);
  return crdt::RecordId::FromParts(1'700'000'000'000, random);
}

// One replica editing one record; each Edit is one RecordEdit and returns its delta.
class Writer {
 public:
  explicit Writer(crdt::Record record, crdt::ReplicaId replica = 0xA1)
      : record_(std::move(record)), replica_(replica) {}
  explicit Writer(crdt::ReplicaId replica = 0xA1)
      : Writer(crdt::Record(TestId(), "customer"), replica) {}

  template <typename F>
  crdt::Record Edit(F&& mutate) {
    crdt::RecordEdit edit(record_, replica_, clock_, wall_ms_ += 1000, ++seq_);
    mutate(edit);
    return edit.Delta();
  }

  crdt::Record& record() { return record_; }

 private:
  crdt::Record record_;
  crdt::ReplicaId replica_;
  crdt::HybridClock clock_;
  uint64_t wall_ms_ = 1'700'000'000'000;
  uint64_t seq_ = 0;
};

}  // namespace rapport::schema::testing
