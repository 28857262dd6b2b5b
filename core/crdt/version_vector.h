// Causal context of one field: for each replica, the greatest stamp of its writes to the field
// that this state has seen. Because a replica's writes to a field are ordered and each new write
// saw the earlier ones, "seen stamp h of replica r" implies "seen every write of r up to h".
// Not thread-safe (plain value type).
#pragma once

#include "absl/container/inlined_vector.h"
#include "core/crdt/dot.h"

namespace rapport::crdt {

class VersionVector {
 public:
  enum class Order { kSame, kOlder, kNewer, kConcurrent };

  // True if the write named by `dot` is known to this context.
  bool Covers(const Dot& dot) const { return Get(dot.replica) >= dot.hlc; }

  // The greatest stamp seen from `replica`, 0 if none.
  Hlc Get(ReplicaId replica) const;

  // Records that `dot` (and so every earlier write of its replica) has been seen.
  void Add(const Dot& dot);

  // Pointwise maximum. Returns true if this vector changed.
  bool Merge(const VersionVector& other);

  // How this vector relates to `other`: kOlder means `other` has seen everything this has, and
  // more.
  Order Compare(const VersionVector& other) const;

  // One dot per replica, ascending by replica id. Inline room for one: most fields were written
  // by one replica, and a heap block per register was most of the cost of copying a record.
  using Entries = absl::InlinedVector<Dot, 1>;
  const Entries& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  Entries entries_;
};

}  // namespace rapport::crdt
