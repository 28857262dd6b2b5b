// One Sync/Session stream on the server (docs/protocol.md, "Session"): reads Hello and Pushes,
// writes Welcome, PushAcks and Pull batches produced lazily from the store, and in live mode
// keeps producing Pulls as the store commits.
//
// Thread-safe. gRPC's reactions only move bytes and flags: each message read is handled on the
// WorkerPool, its writes committed through the CommitQueue (group commit), and Pull batches are
// produced on the WorkerPool, so no reaction waits on the store or on much CPU
// (docs/protocol.md, "Threads"). The next message is read only once the previous one is handled
// and few messages wait to be written, so a client that pushes without reading cannot grow the
// server's queue. Shared state is under mu_; gRPC operations are started without holding it
// (a reaction may run inline in them). No LMDB transaction spans a reaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "server/commit_fanout.h"
#include "server/commit_queue.h"
#include "server/pull_batcher.h"
#include "server/pushed_records.h"
#include "server/scope_cache.h"
#include "server/session_gate.h"
#include "server/sync_service.h"
#include "server/worker_pool.h"

namespace rapport::server {

// Raw bytes on the wire (the service's Session method is marked raw): a message that does not
// parse as a ClientMessage is an INVALID_ARGUMENT this reactor can see, where the typed API
// would report it like a half-close.
// Messages waiting to be written beyond which the session stops reading: PushAcks pile up only
// as far as this when a client pushes without reading.
inline constexpr size_t kMaxQueuedMessages = 8;

class SessionReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                             public CommitListener,
                             public std::enable_shared_from_this<SessionReactor> {
 public:
  // `on_done` runs last, from OnDone; it must release the registry's reference to this session.
  // `pass` is the caller admitted by the SessionGate, or why it was not (the session then ends
  // with that status at once).
  SessionReactor(const SessionEnv& env, SessionServices services,
                 absl::StatusOr<SessionGate::Pass> pass, std::string peer_address,
                 std::function<void(SessionReactor*)> on_done);

  // Starts the first read (or refuses the session). Separate from the constructor so the
  // registry holds the session (a shared_ptr) before any reaction can run.
  void Start();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override;
  void OnCommitted(uint64_t seq) override;

 private:
  struct PushWork;

  // On the WorkerPool: parses and handles one message read, then reads on (a Push reads on
  // once its write is durable).
  void HandleMessage(grpc::ByteBuffer bytes);
  absl::Status HandleHello(const rapport::v1::Hello& hello);
  absl::Status HandlePushDone();
  // Validates the deltas here and queues their write; the PushAck follows the commit.
  absl::Status HandlePush(const rapport::v1::Push& push);
  absl::Status WritePush(store::WriteTransaction& txn, CommitGroup& group, PushWork& work) const;
  void PushCommitted(const absl::Status& status, const CommitGroup& group, PushWork& work);
  // Starts the next read unless one is out, a message is being handled, the session is ending
  // or too many messages wait to be written.
  void MaybeRead();
  // Starts the next write if none is in flight, producing Pull batches on demand (so at most
  // one is in memory), and finishes the call once everything is sent and the client is done.
  void Pump();
  // On the WorkerPool: reads the next Pull batch from the store, records what it delivers, and
  // hands it to PullReady.
  void ProducePull(store::FeedCheckpoint from, std::vector<crdt::RecordId> refetch);
  void PullReady(absl::StatusOr<PullBatch> batch);
  void Fail(const absl::Status& status);
  // Serializes on the calling thread (a worker or the committer, never a reaction).
  static grpc::ByteBuffer Serialize(const rapport::v1::ServerMessage& message);
  // The scope checks of one pushed delta against the stored record, inside the push's write.
  absl::Status CheckPush(store::WriteTransaction& txn, const crdt::Record& delta) const;
  // Whether the server must remember which records this client holds, so a later pull can tell
  // it to purge the ones that leave its scope (docs/security.md, "Revocation").
  bool tracked() const;
  absl::Status MarkDelivered(store::WriteTransaction& txn,
                             const std::vector<crdt::RecordId>& ids) const;
  bool HeldByClient(const crdt::RecordId& id) const;
  std::string DeliveredKey(const crdt::RecordId& id) const;

  store::RecordStore& store_;
  const schema::Schema& schema_;
  const SyncServiceOptions options_;
  PeerTable& peers_;
  SyncMetrics& metrics_;
  const SessionLog& log_;
  const std::string peer_address_;
  const absl::Time started_ = absl::Now();
  bool counted_ = false;  // SessionStarted was reported (Hello accepted)
  // Session totals for the end-of-session log line; only the reactions that own them touch them.
  std::atomic<uint64_t> pushed_records_{0}, pulled_records_{0}, rejected_records_{0};
  std::atomic<uint64_t> bytes_in_{0}, bytes_out_{0};
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  const std::function<void(SessionReactor*)> on_done_;
  absl::StatusOr<SessionGate::Pass> pass_;
  PushedRecords pushed_;
  std::string client_replica_;  // from Hello; set before any pull is produced

  CommitQueue& commits_;
  WorkerPool& workers_;
  ScopeCache& scopes_;
  const auth::Scope& facts_of_;

  // Touched by one message's handling at a time (the next read starts after it).
  grpc::ByteBuffer in_bytes_;
  uint64_t messages_read_ = 0;
  bool hello_seen_ = false;

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;        // a read is out
  bool starting_read_ ABSL_GUARDED_BY(mu_) = false;  // StartRead is being called: no Finish yet
  bool handling_ ABSL_GUARDED_BY(mu_) = false;       // a message read is being handled
  grpc::ByteBuffer current_;  // the write in flight; written only while !writing_
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);  // serialized ServerMessages
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // OnCancel ran
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  bool pull_active_ ABSL_GUARDED_BY(mu_) = false;      // Pull batches still to produce
  bool pull_generating_ ABSL_GUARDED_BY(mu_) = false;  // a batch is being read from the store
  store::FeedCheckpoint pull_from_ ABSL_GUARDED_BY(mu_);
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;  // newest store seq we were told about
  // CaughtUp waits for the client's first PushDone (Hello.announces_push_done).
  bool hold_caught_up_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<crdt::RecordId> refetch_ ABSL_GUARDED_BY(mu_);  // Hello.refetch, sent first
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::server
