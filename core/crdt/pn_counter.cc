#include "core/crdt/pn_counter.h"

#include <algorithm>

namespace rapport::crdt {

PnCounter PnCounter::FromEntries(std::vector<Entry> entries) {
  PnCounter c;
  for (const Entry& e : entries) {
    if (e.increments == 0 && e.decrements == 0) continue;
    Entry& mine = c.EntryFor(e.replica);
    mine.increments = std::max(mine.increments, e.increments);
    mine.decrements = std::max(mine.decrements, e.decrements);
  }
  return c;
}

PnCounter::Entry& PnCounter::EntryFor(ReplicaId replica) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), replica,
                             [](const Entry& e, ReplicaId r) { return e.replica < r; });
  if (it == entries_.end() || it->replica != replica) it = entries_.insert(it, Entry{replica});
  return *it;
}

void PnCounter::Add(ReplicaId replica, int64_t amount) {
  // An all-zero entry would make two equal counters encode differently.
  if (amount == 0) return;
  Entry& e = EntryFor(replica);
  // Negating INT64_MIN is undefined; in unsigned arithmetic it is exact.
  if (amount >= 0) {
    e.increments += static_cast<uint64_t>(amount);
  } else {
    e.decrements += uint64_t{0} - static_cast<uint64_t>(amount);
  }
}

int64_t PnCounter::Value() const {
  uint64_t total = 0;
  for (const Entry& e : entries_) total += e.increments - e.decrements;
  return static_cast<int64_t>(total);
}

bool PnCounter::Join(const PnCounter& other) {
  bool changed = false;
  for (const Entry& theirs : other.entries_) {
    if (theirs.increments == 0 && theirs.decrements == 0) continue;
    Entry& mine = EntryFor(theirs.replica);
    if (theirs.increments > mine.increments) {
      mine.increments = theirs.increments;
      changed = true;
    }
    if (theirs.decrements > mine.decrements) {
      mine.decrements = theirs.decrements;
      changed = true;
    }
  }
  return changed;
}

}  // namespace rapport::crdt
