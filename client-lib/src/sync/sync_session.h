// One sync session between a local RecordStore and a Rapport server, below the public API:
// SyncOnce and ContinuousSync run it on a Replica's store, and rapportd runs it on its own
// store to replicate with an upstream server. Protocol: docs/protocol.md.
//
// Thread-safe: Run on one thread; Stop from any other. Internally a reader thread applies what
// the server sends while the running thread pushes.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "grpcpp/grpcpp.h"
#include "rapport/sync.h"
#include "rapport/v1/sync.grpc.pb.h"

namespace rapport::sync_internal {

// The peer name under which the checkpoints with the server whose replica id (16 hex digits) is
// `server_id` are stored. Checkpoints belong to the server's store, not to its address.
inline constexpr char kServerPeerPrefix[] = "server:";
std::string ServerPeerName(const std::string& server_id);

class SyncSession {
 public:
  SyncSession(store::RecordStore& store, const schema::Schema& schema, std::string address,
              SyncOptions options, bool live);
  ~SyncSession();

  // Once mode: returns after pushing and pulling everything. Live mode: returns after Stop (OK)
  // or a failure (the error).
  absl::StatusOr<SyncSummary> Run();
  // Ends a live session cleanly (or cancels a once session).
  void Stop();
  // Whether the session reached the live state (ContinuousSync resets its backoff then).
  bool went_live() const;

 private:
  using Stream = grpc::ClientReaderWriter<rapport::v1::ClientMessage, rapport::v1::ServerMessage>;

  absl::Status Connect();
  // Pushes everything after the push checkpoint, in batches; returns when all are sent.
  absl::Status PushRound() ABSL_LOCKS_EXCLUDED(mu_);
  void ReadLoop();
  absl::Status HandleServerMessage(const rapport::v1::ServerMessage& message);
  std::string peer() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status HandlePushAck(const rapport::v1::PushAck& ack);
  absl::Status ApplyPull(const rapport::v1::Pull* pull, store::FeedCheckpoint checkpoint);
  bool Send(const rapport::v1::ClientMessage& message);
  void SetState(SyncState state, const std::string& message = "");
  void ReportProgress() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the record's feed entry at `seq` holds only what the server sent it (no local
  // change since): the push round leaves such records out.
  bool PulledUnchanged(const crdt::RecordId& id, uint64_t seq) const;
  // Whether `record` holds a local change the server has not acknowledged: its seq is above the
  // push checkpoint and not one a pull gave it (quarantine::PulledKey).
  static absl::StatusOr<bool> HoldsUnacknowledgedChange(store::WriteTransaction& txn,
                                                        const crdt::Record& record,
                                                        const store::PeerCheckpoint& cp);
  // Purges the revoked records that were waiting for their local changes to be acknowledged.
  absl::Status PurgeDeferredRevocations() ABSL_LOCKS_EXCLUDED(mu_);
  // Stores the push checkpoint of a round whose batches are all sent and acknowledged.
  absl::Status MaybeCompleteRound() ABSL_LOCKS_EXCLUDED(mu_);
  void Abort(absl::Status error) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<SyncSummary> End();

  store::RecordStore& store_;
  const schema::Schema& schema_;
  const std::string address_;
  const SyncOptions options_;
  const bool live_;

  grpc::ClientContext context_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rapport::v1::Sync::Stub> stub_;
  std::unique_ptr<Stream> stream_;
  int observer_ = -1;

  mutable absl::Mutex mu_;
  // Set from Welcome, before any Pull or PushAck is read and before the first push round.
  std::string peer_ ABSL_GUARDED_BY(mu_);
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  SyncSummary summary_ ABSL_GUARDED_BY(mu_);
  size_t estimated_total_ ABSL_GUARDED_BY(mu_) = 0;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;  // the server said CaughtUp at least once
  bool went_live_ ABSL_GUARDED_BY(mu_) = false;
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  bool local_changes_ ABSL_GUARDED_BY(mu_) = false;  // committed since the last push round
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  uint64_t next_batch_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Push batches awaiting their PushAck.
  struct InFlight {
    uint64_t batch_id;
    uint64_t last_seq;  // of the batch's last record
    size_t records;
    // The batch's deltas by record id text, so a refused one can be quarantined as sent.
    std::map<std::string, rapport::v1::RecordState> deltas;
    std::vector<crdt::RecordId> retries;  // quarantined changes pushed again
  };
  std::deque<InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  size_t acknowledged_ ABSL_GUARDED_BY(mu_) = 0;
  // Some record waits for its purge (quarantine::RevokedKey); set at Connect from the store.
  bool revocations_waiting_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<crdt::RecordId> refetch_sent_;         // Hello.refetch; cleared once caught up
  bool round_open_ ABSL_GUARDED_BY(mu_) = false;     // a push round is not yet checkpointed
  bool round_scanned_ ABSL_GUARDED_BY(mu_) = false;  // the open round has sent its last batch
  uint64_t round_end_ ABSL_GUARDED_BY(mu_) = 0;      // last seq the open round scanned
};

}  // namespace rapport::sync_internal
