// Plain value types of the record store's API. Not thread-safe (plain values).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crdt/record_id.h"

namespace rapport::store {

// How far one direction of sync has come through a change feed, resumable in the middle of a
// scan (docs/protocol.md, "Checkpoints"). Everything up to `base` is had; the feed scan in
// progress has passed every entry up to `position`, sending each record's parts newer than
// `base`. A record's feed entry moves to a new seq when it changes while its older parts keep
// their seqs, so a resumed scan must still send parts since `base`, not since `position`.
struct FeedCheckpoint {
  uint64_t base = 0;
  uint64_t position = 0;  // >= base

  static FeedCheckpoint At(uint64_t seq) { return {seq, seq}; }
  // Whether no scan is in progress: the whole feed up to `base` is had.
  bool complete() const { return base == position; }
  friend bool operator==(const FeedCheckpoint&, const FeedCheckpoint&) = default;
};

// Sync progress with one peer, stored in the same transaction as the data it covers.
struct PeerCheckpoint {
  FeedCheckpoint pull;  // in the peer's seqs: what we have applied
  FeedCheckpoint push;  // in our seqs: what the peer has durably acknowledged
  friend bool operator==(const PeerCheckpoint&, const PeerCheckpoint&) = default;
};

// What one committed write changed: the records that got a new local seq, in seq order.
struct ChangeSet {
  std::vector<crdt::RecordId> changed;
  std::vector<crdt::RecordId> purged;  // removed from this replica (WriteTransaction::Purge)
  uint64_t last_seq = 0;               // the store's last seq after the commit
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
