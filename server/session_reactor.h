// One Sync/Session stream on the server (docs/protocol.md, "Session"): reads Hello and Pushes,
// writes Welcome, PushAcks and Pull batches produced lazily from the store, and in live mode
// keeps producing Pulls as the store commits.
//
// Thread-safe: gRPC runs the read and write reactions on its threads, and CommitFanout calls
// OnCommitted on its own; all shared state is under mu_. No LMDB transaction spans a reaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
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
#include "server/pushed_records.h"
#include "server/session_gate.h"
#include "server/sync_service.h"

namespace rapport::server {

// Raw bytes on the wire (the service's Session method is marked raw): a message that does not
// parse as a ClientMessage is an INVALID_ARGUMENT this reactor can see, where the typed API
// would report it like a half-close.
class SessionReactor final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                             public CommitListener {
 public:
  // `on_done` runs last, from OnDone; it must release the registry's reference to this session.
  // `pass` is the caller admitted by the SessionGate, or why it was not (the session then ends
  // with that status at once).
  SessionReactor(const SessionEnv& env, absl::StatusOr<SessionGate::Pass> pass,
                 std::string peer_address, std::function<void(SessionReactor*)> on_done);

  // Starts the first read (or refuses the session). Separate from the constructor so the
  // registry holds the session before any reaction can run.
  void Start();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override;
  void OnCommitted(uint64_t seq) override;

 private:
  absl::Status Handle(const rapport::v1::ClientMessage& message);
  absl::Status HandleHello(const rapport::v1::Hello& hello);
  absl::Status HandlePush(const rapport::v1::Push& push);
  // Starts the next write if none is in flight, producing Pull batches on demand (so at most
  // one is in memory), and finishes the call once everything is sent and the client is done.
  void Pump();
  void Fail(const absl::Status& status);
  void Enqueue(rapport::v1::ServerMessage message);
  // The scope checks of one pushed delta against the stored record, inside the push's write.
  absl::Status CheckPush(store::WriteTransaction& txn, const crdt::Record& delta) const;
  // Remembers which records this client was sent, so a later pull can tell it to purge the ones
  // that leave its scope (docs/security.md, "Revocation").
  absl::Status MarkDelivered(const std::vector<crdt::RecordId>& ids);
  bool HeldByClient(const crdt::Record& record) const;
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

  absl::Status HandlePushDone();
  // Only the read reactions touch these (one read in flight at a time).
  grpc::ByteBuffer in_bytes_;
  rapport::v1::ClientMessage in_;
  uint64_t messages_read_ = 0;
  bool hello_seen_ = false;

  absl::Mutex mu_;
  grpc::ByteBuffer current_;  // the write in flight; written only while !writing_
  std::deque<rapport::v1::ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
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
