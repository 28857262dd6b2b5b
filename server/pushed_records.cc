#include "server/pushed_records.h"

#include <algorithm>

namespace rapport::server {

void PushedRecords::Remember(const crdt::RecordId& id, uint64_t before, uint64_t after) {
  absl::MutexLock lock(&mu_);
  auto it = pushed_.find(id);
  if (it != pushed_.end()) {
    // Pushed twice in one session: the earlier push's `before` still bounds what the client
    // lacked; the later `after` is the record's entry if nothing else changed it.
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
