// Syncing a Replica with a Rapport server (rapportd). SyncOnce runs one session: it pushes the
// replica's unacknowledged changes, pulls everything new on the server, and returns when both
// are done. ContinuousSync keeps a live session open (changes flow both ways as they commit) and
// reconnects with exponential backoff and jitter after failures. Protocol and guarantees:
// docs/protocol.md. Needs the rapport_sync_client library (gRPC).
//
// Thread-safe: both may run concurrently with any use of the replica. Callbacks run on the
// session's threads and must not block for long.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/replica.h"

namespace rapport {

enum class SyncState { kIdle, kConnecting, kPushing, kPulling, kLive, kBackingOff, kError };
// "idle", "connecting", ...
const char* SyncStateName(SyncState state);

// Where a session is; reported after every batch pushed or pulled.
struct SyncProgress {
  size_t pushed = 0;        // records sent so far this session
  size_t acknowledged = 0;  // of those, records the server has durably stored or refused
  size_t pulled = 0;        // records received (and committed locally) so far this session
  size_t bytes = 0;         // serialized message bytes sent plus received
  // The server's estimate of records to pull this session (exact on a first sync), or 0.
  size_t estimated_total = 0;
};

struct SyncOptions {
  // For a whole SyncOnce session (not applied to ContinuousSync's live sessions). A dead link is
  // noticed sooner, by keepalive.
  int64_t deadline_ms = 600000;
  size_t max_push_batch_bytes = 1 << 20;     // a Push holds deltas up to about this size
  int max_receive_message_bytes = 64 << 20;  // a Pull may hold one large record
  // HTTP/2 keepalive: a ping after this much silence, and the link is declared dead if the
  // answer takes longer than keepalive_timeout_ms. rapportd accepts pings every 4 s or more.
  int keepalive_ms = 5000;
  int keepalive_timeout_ms = 5000;
  // Bearer token sent with every session (empty: none).
  std::string token;
  // PEM of the CA that signed the server's certificate; empty means plaintext (loopback or a
  // trusted network only).
  std::string tls_root_ca_pem;
  std::function<void(const SyncProgress&)> on_progress;
  std::function<void(SyncState, const std::string& message)> on_status;
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
  size_t purged = 0;  // local records removed because they left this device's scope
  size_t bytes = 0;   // serialized message bytes sent plus received
};

// One session with the server at `server_address` ("host:port"). On error nothing acknowledged
// or applied is lost: whatever the session committed locally stays, with matching checkpoints,
// and the next call resumes from there (mid-backlog, not from the start).
absl::StatusOr<SyncSummary> SyncOnce(Replica& replica, const std::string& server_address,
                                     SyncOptions options = {});

struct ContinuousSyncOptions {
  SyncOptions sync;
  int initial_backoff_ms = 500;  // first retry after about this long (with jitter)
  int max_backoff_ms = 60000;
};

// A live session kept open in the background until Stop or destruction.
class ContinuousSync {
 public:
  static absl::StatusOr<std::unique_ptr<ContinuousSync>> Start(Replica& replica,
                                                               const std::string& server_address,
                                                               ContinuousSyncOptions options = {});
  // Stops (as Stop does).
  ~ContinuousSync();

  ContinuousSync(const ContinuousSync&) = delete;
  ContinuousSync& operator=(const ContinuousSync&) = delete;

  // Ends the live session and stops reconnecting; returns when the background thread is done,
  // and state() is then kIdle. Not from this sync's own callbacks (on_status, on_progress): there
  // it cannot wait for the thread that is calling it (from on_status it only asks the sync to
  // stop and returns; from on_progress it would deadlock).
  void Stop();
  SyncState state() const;
  // The last error message (empty if none since the last successful connection).
  std::string last_error() const;

  struct Impl;
  // Use Start (Impl is private to the library).
  explicit ContinuousSync(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport
