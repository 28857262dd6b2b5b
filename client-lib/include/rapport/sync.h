// Syncing a Replica with a Rapport server (rapportd): one session that pushes the replica's
// unacknowledged changes, pulls everything new on the server, and ends when both are done.
// Protocol and guarantees: docs/protocol.md. Needs the rapport_sync_client library (gRPC).
//
// Thread-safe: SyncOnce may run concurrently with any use of the replica; concurrent SyncOnce
// calls on one replica to the same server are safe (joins are idempotent) but wasteful.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/replica.h"

namespace rapport {

struct SyncOptions {
  int64_t deadline_ms = 30000;               // for the whole session
  size_t max_push_batch_bytes = 1 << 20;     // a Push holds deltas up to about this size
  int max_receive_message_bytes = 64 << 20;  // a Pull may hold one large record
};

// A pushed change the server refused (kept locally; not retried by later syncs yet).
struct SyncRejection {
  std::string record_id;
  int code = 0;  // absl::StatusCode
  std::string message;
};

struct SyncSummary {
  size_t pushed = 0;          // deltas sent (and acknowledged, rejections included)
  size_t pulled = 0;          // deltas received from the server
  size_t pulled_changed = 0;  // local records those deltas changed (echoes change nothing)
  size_t rejected = 0;
  std::vector<SyncRejection> rejections;
  size_t bytes = 0;  // serialized message bytes sent plus received
};

// One session with the server at `server_address` ("host:port", plaintext: loopback or a
// trusted network only). On error nothing acknowledged or applied is lost: whatever the session
// committed locally stays, with matching checkpoints, and the next call resumes from there.
absl::StatusOr<SyncSummary> SyncOnce(Replica& replica, const std::string& server_address,
                                     SyncOptions options = {});

}  // namespace rapport
