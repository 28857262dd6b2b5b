// The Sync gRPC service (proto/rapport/v1/sync.proto) over one RecordStore, with the callback
// API: each Session stream is a SessionReactor. Protocol: docs/protocol.md.
//
// Thread-safe: gRPC runs reactions of different streams concurrently. The store and schema must
// outlive the service; the service must outlive every session (grpc::Server::Shutdown first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/auth/scope.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "server/commit_fanout.h"
#include "server/commit_queue.h"
#include "server/metrics/session_log.h"
#include "server/metrics/sync_metrics.h"
#include "server/peer_table.h"
#include "server/scope_cache.h"
#include "server/session_gate.h"
#include "server/worker_pool.h"

namespace rapport::server {

// 2: record format 2 (docs/data-model.md); a version-1 peer cannot read its records.
inline constexpr uint32_t kProtocolVersion = 2;

struct SyncServiceOptions {
  // A Pull batch holds deltas up to about this many bytes (RecordState::ByteSizeLong); one
  // record larger than this is sent alone.
  size_t max_pull_batch_bytes = 1 << 20;
  // What the Pull batches of all sessions together may take: each session holds at most one
  // batch being written and one queued, so with many sessions lagging behind (a fleet
  // reconnecting, a burst of edits) 1 MiB batches each would add up to gigabytes. A batch gets
  // budget / open sessions, within [kMinPullBatchBytes, max_pull_batch_bytes].
  size_t pull_memory_budget_bytes = 64 << 20;
};

inline constexpr size_t kMinPullBatchBytes = 64 << 10;

// The byte bound of one Pull batch with `sessions` sessions open.
size_t PullBatchBytes(const SyncServiceOptions& options, size_t sessions);

// What every session of one server shares. All members outlive the sessions.
struct SessionEnv {
  store::RecordStore& store;
  const schema::Schema& schema;
  SyncServiceOptions options;
  PeerTable& peers;
  SyncMetrics& metrics;
  const SessionLog& log;
};

// The machinery every session of one service shares (docs/protocol.md, "Threads").
struct SessionServices {
  CommitQueue& commits;
  WorkerPool& workers;
  ScopeCache& scopes;
  const auth::Scope& facts_of;  // reads records' scope facts for the cache (claims unused)
};

// The Session method is raw (bytes in, bytes out) so SessionReactor parses each message itself
// and can refuse one that does not parse; the service keeps its name for reflection.
class SyncService final
    : public rapport::v1::Sync::WithRawCallbackMethod_Session<rapport::v1::Sync::Service> {
 public:
  // `gate` admits each session (see SessionGate); it and `env` must outlive the service.
  SyncService(SessionEnv env, SessionGate& gate);
  ~SyncService() override;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Session(
      grpc::CallbackServerContext* context) override;

  // Sessions currently open.
  size_t open_sessions() const { return fanout_.size(); }
  // The group commit of pushes (its batching factor is jobs() / commits()).
  const CommitQueue& commits() const { return commits_; }

 private:
  SessionEnv env_;
  SessionGate& gate_;
  // Destroyed in reverse, once the destructor has let the work in flight finish: the sessions
  // let go first, then the committer stops, then the pool.
  auth::Scope facts_of_;  // reads records' scope facts for the cache
  ScopeCache scopes_;
  WorkerPool workers_;
  CommitQueue commits_;
  CommitFanout fanout_;  // holds every open session
};

}  // namespace rapport::server
