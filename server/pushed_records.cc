#include "server/pushed_records.h"

#include <algorithm>

namespace rapport::server {

void PushedRecords::Remember(const crdt::RecordId& id, uint64_t before, uint64_t after) {
  absl::MutexLock lock(&mu_);
  auto it = pushed_.find(id);
  if (it != pushed_.end()) {
    // Pushed again in this session. If nothing else changed the record in between (its seq
    // before this push is the one the last push gave it), every part newer than the first push's
    // `before` is still the client's own. Otherwise another writer's change sits between the
    // two: only this push's `before` bounds what the client has, else that change would pass
    // for an echo and never be pulled.
    if (it->second.after != before) it->second.before = before;
    it->second.after = after;
    return;
  }
  if (pushed_.size() >= kMaxRecords) return;
  pushed_.emplace(id, Seqs{before, after});
}

bool PushedRecords::Covers(const crdt::RecordId& id, uint64_t seq, uint64_t base) const {
  absl::MutexLock lock(&mu_);
  auto it = pushed_.find(id);
  return it != pushed_.end() && it->second.after == seq && it->second.before <= base;
}

}  // namespace rapport::server
