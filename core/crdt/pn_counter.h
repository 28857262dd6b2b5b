// PN-counter: the merge rule of a `counter` field (loyalty points, purchase count, lifetime value
// in cents). Each replica owns its own increment and decrement totals; a join takes the maximum
// of each, so concurrent additions at two branches add up. Plain value type, not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "core/crdt/dot.h"

namespace rapport::crdt {

class PnCounter {
 public:
  struct Entry {
    ReplicaId replica = 0;
    uint64_t increments = 0;
    uint64_t decrements = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // Builds a counter from decoded entries; duplicate replicas are joined.
  static PnCounter FromEntries(std::vector<Entry> entries);

  // Adds `amount` (negative to subtract) on behalf of `replica`.
  void Add(ReplicaId replica, int64_t amount);

  // Sum of all increments minus all decrements (two's-complement wrap on overflow).
  int64_t Value() const;

  // Pointwise maximum. Returns true if this counter changed.
  bool Join(const PnCounter& other);

  // Ascending by replica id.
  const std::vector<Entry>& entries() const { return entries_; }

  friend bool operator==(const PnCounter&, const PnCounter&) = default;

 private:
  Entry& EntryFor(ReplicaId replica);

  std::vector<Entry> entries_;
};

}  // namespace rapport::crdt
