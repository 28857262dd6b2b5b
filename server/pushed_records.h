// What one session's client pushed, per record, so the session's pulls leave out the client's
// own changes (echo suppression): each edit crosses each hop once.
//
// Only two seqs per record are kept, not the record: `before`, the record's highest seq before
// the push joined it, and `after`, the seq the push gave it. If the record has not changed since
// (its feed entry is still `after`) and nothing in it was newer than the client's base before the
// push (`before` <= base), then every part newer than the base came from this push: the client
// has it all. (A part the join touched carries `after` even if it also holds older siblings,
// but those are at or below the base, so the client has them too.)
//
// Thread-safe: the read reaction remembers pushes while the pull side asks about them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/crdt/record_id.h"

namespace rapport::server {

class PushedRecords {
 public:
  // Beyond this many records new pushes are not remembered (16 bytes of seqs each, plus the map).
  static constexpr size_t kMaxRecords = 2'000'000;

  void Remember(const crdt::RecordId& id, uint64_t before, uint64_t after);
  // Whether the client already has every part of the record newer than `base`, given that the
  // record's feed entry is at `seq`.
  bool Covers(const crdt::RecordId& id, uint64_t seq, uint64_t base) const;

 private:
  struct Seqs {
    uint64_t before;
    uint64_t after;
  };
  mutable absl::Mutex mu_;
  absl::flat_hash_map<crdt::RecordId, Seqs> pushed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::server
