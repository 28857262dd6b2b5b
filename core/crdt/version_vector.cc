#include "core/crdt/version_vector.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

template <typename Entries>
auto LowerBound(Entries& entries, ReplicaId replica) {
  return std::lower_bound(entries.begin(), entries.end(), replica,
                          [](const Dot& d, ReplicaId r) { return d.replica < r; });
}

}  // namespace

Hlc VersionVector::Get(ReplicaId replica) const {
  auto it = LowerBound(entries_, replica);
  return it != entries_.end() && it->replica == replica ? it->hlc : 0;
}

void VersionVector::Add(const Dot& dot) {
  auto it = LowerBound(entries_, dot.replica);
  if (it != entries_.end() && it->replica == dot.replica) {
    it->hlc = std::max(it->hlc, dot.hlc);
  } else {
    entries_.insert(it, dot);
  }
}

bool VersionVector::Merge(const VersionVector& other) {
  bool changed = false;
  for (const Dot& d : other.entries_) {
    if (!Covers(d)) {
      Add(d);
      changed = true;
    }
  }
  return changed;
}

VersionVector::Order VersionVector::Compare(const VersionVector& other) const {
  bool this_ahead = false;
  bool other_ahead = false;
  for (const Dot& d : entries_) this_ahead |= !other.Covers(d);
  for (const Dot& d : other.entries_) other_ahead |= !Covers(d);
  if (this_ahead && other_ahead) return Order::kConcurrent;
  if (this_ahead) return Order::kNewer;
  if (other_ahead) return Order::kOlder;
  return Order::kSame;
}

}  // namespace rapport::crdt
