#include "core/crdt/hybrid_clock.h"

namespace rapport::crdt {

Hlc HybridClock::Now(uint64_t wall_ms) {
  // Wall times beyond 48 bits cannot be represented; clamp instead of wrapping to the past.
  constexpr uint64_t kMaxMillis = (uint64_t{1} << 48) - 1;
  const Hlc wall = MakeHlc(wall_ms > kMaxMillis ? kMaxMillis : wall_ms, 0);
  // When the wall clock is behind (jumped back, or a remote replica is ahead), the counter
  // carries on from the last stamp; a counter overflow simply spills into the milliseconds.
  last_ = wall > last_ ? wall : last_ + 1;
  return last_;
}

}  // namespace rapport::crdt
