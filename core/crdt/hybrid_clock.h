// Hybrid logical clock: stamps that follow the wall clock when it is sane and never go
// backwards when it is not. Not thread-safe; the store serialises access.
#pragma once

#include "core/crdt/dot.h"

namespace rapport::crdt {

class HybridClock {
 public:
  // `last` is the greatest stamp issued or observed before, e.g. as persisted by the store, so
  // stamps keep increasing across restarts.
  explicit HybridClock(Hlc last = 0) : last_(last) {}

  // Returns a stamp strictly greater than every stamp returned or observed so far. Time is passed
  // in (milliseconds since the Unix epoch) so the model stays pure and testable.
  Hlc Now(uint64_t wall_ms);

  // Advances past a stamp received from another replica, so the next local write is ordered
  // after everything this replica has seen.
  void Observe(Hlc remote) {
    if (remote > last_) last_ = remote;
  }

  Hlc last() const { return last_; }

 private:
  Hlc last_;
};

}  // namespace rapport::crdt
