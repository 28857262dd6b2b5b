// What one session's client pushed, per record: lets the session leave out of its pulls the
// changes the client itself made (echo suppression), so each edit crosses each hop once.
//
// Thread-safe: the read reaction remembers pushes while the pull side asks about them.
#pragma once

#include <cstddef>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/crdt/record.h"
#include "core/crdt/record_id.h"

namespace rapport::server {

class PushedRecords {
 public:
  // Beyond this many records the memory is dropped: suppression is an optimisation, and a
  // session that pushes a whole archive must not hold it twice in memory.
  static constexpr size_t kMaxRecords = 20000;

  void Remember(const crdt::Record& delta);
  // Whether the client already has everything in `delta` because it pushed it this session.
  bool Covers(const crdt::Record& delta) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<crdt::RecordId, crdt::Record> pushed_ ABSL_GUARDED_BY(mu_);
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rapport::server
