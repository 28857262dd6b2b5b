#include "server/pushed_records.h"

namespace rapport::server {

void PushedRecords::Remember(const crdt::Record& delta) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return;
  auto [it, inserted] = pushed_.try_emplace(delta.id(), delta);
  if (!inserted) it->second.Join(delta, 0);
  if (pushed_.size() > kMaxRecords) {
    pushed_.clear();
    overflowed_ = true;
  }
}

bool PushedRecords::Covers(const crdt::Record& delta) const {
  absl::MutexLock lock(&mu_);
  auto it = pushed_.find(delta.id());
  if (it == pushed_.end()) return false;
  // Joining into a copy of what the client sent: if nothing changes, the client has it all.
  crdt::Record known = it->second;
  return !known.Join(delta, 0);
}

}  // namespace rapport::server
