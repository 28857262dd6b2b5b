// Builds the server's next Pull message for one session from the change feed: each record
// changed after the session's feed position, as its delta since the session's base, up to a
// byte budget, leaving out records the client may not see and changes it already has, and
// telling it to purge records that left its scope. Protocol: docs/protocol.md ("Pull",
// "Checkpoints"); scopes: docs/security.md.
//
// Thread-compatible: a session builds one batch at a time; the store is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/store/record_store.h"
#include "rapport/v1/sync.pb.h"
#include "server/pushed_records.h"

namespace rapport::server {

struct PullBatch {
  rapport::v1::ServerMessage message;  // a Pull, or a CaughtUp when the feed is exhausted
  store::FeedCheckpoint next;          // where the following batch starts
  size_t records = 0;                  // deltas in the message
  size_t skipped_echoes = 0;
  std::vector<crdt::RecordId> sent;  // ids of the records whose deltas are in the message
};

struct PullFilter {
  // Called with the whole record. Null: the client may see every record.
  std::function<bool(const crdt::Record&)> in_scope;
  // With in_scope: answers it from the record's id and feed seq when it can (nullopt: it
  // cannot), so records the client may not see need not be read at all; and learns from each
  // record that is read. Both may be null.
  std::function<std::optional<bool>(const crdt::RecordId&, uint64_t seq)> known_in_scope;
  std::function<void(const crdt::Record&)> learn;
  // Whether the client was sent the record before (null: assume it holds everything it may
  // see). Out of scope and held: it must purge it. In scope and not held: it gets it whole.
  std::function<bool(const crdt::RecordId&)> held_by_client;
  const PushedRecords* pushed = nullptr;  // null: no echo suppression
};

// A Pull holding the records `ids` whole (those that exist and pass the scope filter), for a
// client that asked to have them again (Hello.refetch); the checkpoint stays at `from`.
absl::StatusOr<PullBatch> RefetchBatch(const store::RecordStore& store,
                                       const std::vector<crdt::RecordId>& ids,
                                       store::FeedCheckpoint from, const PullFilter& filter);

absl::StatusOr<PullBatch> NextPullBatch(const store::RecordStore& store, store::FeedCheckpoint from,
                                        size_t max_bytes, const PullFilter& filter);

}  // namespace rapport::server
