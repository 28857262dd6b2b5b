// Plain value types of the record store's API. Not thread-safe (plain values).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crdt/record_id.h"

namespace rapport::store {

// Sync progress with one peer, stored in the same transaction as the data it covers.
struct PeerCheckpoint {
  uint64_t pull = 0;  // the peer's seq we have applied everything up to
  uint64_t push = 0;  // our seq the peer has durably acknowledged everything up to
  friend bool operator==(const PeerCheckpoint&, const PeerCheckpoint&) = default;
};

// What one committed write changed: the records that got a new local seq, in seq order.
struct ChangeSet {
  std::vector<crdt::RecordId> changed;
  uint64_t last_seq = 0;  // the store's last seq after the commit
};

// One page of an index scan. `next_cursor` is opaque; pass it as `resume_after` to get the next
// page. It is empty when the scan is complete.
struct QueryPage {
  std::vector<crdt::RecordId> ids;
  std::string next_cursor;
};

struct StoreStats {
  uint64_t records = 0;
  uint64_t changes = 0;   // equals `records` in a healthy store
  uint64_t postings = 0;  // index entries
  uint64_t peers = 0;
  uint64_t last_seq = 0;
  uint64_t map_bytes = 0;   // current map size (grows on demand)
  uint64_t used_bytes = 0;  // pages in use in data.mdb
};

}  // namespace rapport::store
