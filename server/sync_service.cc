#include "server/sync_service.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/crdt/record.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::server {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string ReplicaHex(crdt::ReplicaId id) { return absl::StrCat(absl::Hex(id, absl::kZeroPad16)); }

// One Session stream. Reads and writes complete on gRPC threads, possibly concurrently; every
// field below mu_ is shared between them. Store work (one Write per Push, one short read per
// Pull batch) runs inside a single reaction and never holds mu_: no LMDB transaction spans a
// callback.
class SessionReactor final : public grpc::ServerBidiReactor<ClientMessage, ServerMessage> {
 public:
  SessionReactor(store::RecordStore& store, const schema::Schema& schema,
                 SyncServiceOptions options)
      : store_(store), schema_(schema), options_(options) {
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or the call ended)
      {
        absl::MutexLock lock(&mu_);
        read_done_ = true;
      }
      Pump();
      return;
    }
    absl::Status status = Handle(in_);
    if (!status.ok()) {
      Fail(status);
      return;
    }
    StartRead(&in_);  // before Pump: a Finish there may overtake a read in flight, not follow it
    Pump();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {  // the stream is broken; nothing more can be sent
        queue_.clear();
        pull_active_ = false;
        if (!pending_finish_) pending_finish_ = grpc::Status(grpc::StatusCode::CANCELLED, "");
      }
    }
    Pump();
  }

  // gRPC calls OnDone exactly once, after Finish has completed and no reaction is running or
  // will run again: deleting the reactor here is the sanctioned pattern of the callback API
  // (grpc examples/cpp/route_guide/route_guide_callback_server.cc).
  void OnDone() override { delete this; }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    queue_.clear();
    pull_active_ = false;
    read_done_ = true;
  }

 private:
  absl::Status Handle(const ClientMessage& message) {
    switch (message.msg_case()) {
      case ClientMessage::kHello:
        return HandleHello(message.hello());
      case ClientMessage::kPush:
        return HandlePush(message.push());
      default:
        return absl::InvalidArgumentError("empty or unknown ClientMessage");
    }
  }

  absl::Status HandleHello(const rapport::v1::Hello& hello) {
    if (hello_seen_) return absl::FailedPreconditionError("second Hello in one session");
    if (hello.protocol_version() != kProtocolVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("unsupported protocol version ", hello.protocol_version(),
                       "; this server speaks version ", kProtocolVersion));
    }
    if (!hello.schema_hash().empty() && hello.schema_hash() != schema_.Hash()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema hash ", hello.schema_hash(), " differs from the server's ", schema_.Hash()));
    }
    hello_seen_ = true;
    ServerMessage welcome;
    welcome.mutable_welcome()->set_server_replica_id(ReplicaHex(store_.replica_id()));
    welcome.mutable_welcome()->set_head_seq(store_.last_seq());
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(welcome));
    pull_active_ = true;
    pull_cursor_ = hello.pull_checkpoint();
    pull_base_ = hello.pull_checkpoint();
    return absl::OkStatus();
  }

  // Validates every delta; stores the valid ones in one write and rejects the others.
  absl::Status HandlePush(const rapport::v1::Push& push) {
    if (!hello_seen_) return absl::FailedPreconditionError("Push before Hello");
    ServerMessage out;
    rapport::v1::PushAck* ack = out.mutable_push_ack();
    ack->set_batch_id(push.batch_id());
    std::vector<crdt::Record> valid;
    valid.reserve(push.deltas_size());
    for (const rapport::v1::RecordState& state : push.deltas()) {
      absl::StatusOr<crdt::Record> delta = crdt::RecordFromProto(state);
      absl::Status status = delta.ok() ? schema_.ValidateDelta(*delta) : delta.status();
      if (status.ok() && delta->id().is_nil()) {
        status = absl::InvalidArgumentError("delta without a record id");
      }
      if (!status.ok()) {
        rapport::v1::Rejection* rejection = ack->add_rejections();
        absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(state.id());
        if (id.ok()) rejection->set_record_id(id->ToString());
        rejection->set_code(static_cast<int32_t>(status.code()));
        rejection->set_message(std::string(status.message()));
        continue;
      }
      valid.push_back(*std::move(delta));
    }
    if (!valid.empty()) {
      RETURN_IF_ERROR(store_
                          .Write([&](store::WriteTransaction& txn) {
                            for (const crdt::Record& delta : valid) {
                              RETURN_IF_ERROR(txn.ApplyRemote(delta));
                            }
                            return absl::OkStatus();
                          })
                          .status());
    }
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(out));
    return absl::OkStatus();
  }

  // The next Pull batch after position `cursor` of the change feed, or CaughtUp when there is
  // nothing after it. Each delta is the record's change since the session's `base` (the
  // client's checkpoint), not since `cursor`: a record whose change entry moved past the cursor
  // keeps its older parts at their old seqs, and those must not be skipped. For the same reason
  // a Pull batch carries `base` as its checkpoint: only CaughtUp moves the client's checkpoint
  // (docs/protocol.md, "Checkpoints").
  absl::StatusOr<ServerMessage> NextPull(uint64_t base, uint64_t cursor) {
    ServerMessage out;
    rapport::v1::Pull* pull = out.mutable_pull();
    const uint64_t head = store_.last_seq();
    size_t bytes = 0;
    uint64_t last = cursor;
    absl::Status inner;
    RETURN_IF_ERROR(store_.ChangesSince(
        cursor, std::numeric_limits<size_t>::max(), [&](const crdt::Record& delta, uint64_t seq) {
          absl::StatusOr<std::optional<crdt::Record>> record = store_.Get(delta.id());
          if (!record.ok()) {
            inner = record.status();
            return false;
          }
          rapport::v1::RecordState state;
          crdt::RecordToProto(*record ? (*record)->DeltaSince(base) : delta, &state);
          const size_t size = state.ByteSizeLong();
          if (pull->deltas_size() > 0 && bytes + size > options_.max_pull_batch_bytes) {
            return false;
          }
          bytes += size;
          *pull->add_deltas() = std::move(state);
          last = seq;
          return true;
        }));
    RETURN_IF_ERROR(inner);
    if (pull->deltas_size() == 0) {
      // Nothing had a seq after `cursor` when we looked, so every seq up to `head` (read
      // before looking) is covered.
      ServerMessage caught_up;
      caught_up.mutable_caught_up()->set_checkpoint(std::max(cursor, head));
      return caught_up;
    }
    pull->set_checkpoint(base);
    last_sent_ = last;
    return out;
  }

  // Starts the next write if none is in flight, producing Pull batches on demand (so at most
  // one is in memory), and finishes the call once everything is sent and the client is done.
  void Pump() {
    for (;;) {
      enum class Next { kWrite, kPull, kFinish } next;
      uint64_t cursor = 0;
      uint64_t base = 0;
      grpc::Status finish;
      {
        absl::MutexLock lock(&mu_);
        if (finished_ || writing_) return;
        if (!queue_.empty()) {
          current_ = std::move(queue_.front());
          queue_.pop_front();
          writing_ = true;
          next = Next::kWrite;
        } else if (pending_finish_) {
          finish = *pending_finish_;
          finished_ = true;
          next = Next::kFinish;
        } else if (pull_active_ && !pull_generating_) {
          pull_generating_ = true;
          cursor = pull_cursor_;
          base = pull_base_;
          next = Next::kPull;
        } else if (read_done_ && !pull_active_ && !pull_generating_) {
          finished_ = true;
          next = Next::kFinish;
        } else {
          return;
        }
      }
      if (next == Next::kFinish) {
        Finish(finish);
        return;
      }
      if (next == Next::kWrite) {
        StartWrite(&current_);
        return;
      }
      absl::StatusOr<ServerMessage> batch = NextPull(base, cursor);
      absl::MutexLock lock(&mu_);
      pull_generating_ = false;
      if (!batch.ok()) {
        queue_.clear();
        pull_active_ = false;
        if (!pending_finish_) pending_finish_ = ToGrpc(batch.status());
        continue;
      }
      if (!pull_active_) continue;  // failed or cancelled meanwhile
      if (batch->has_caught_up()) {
        pull_active_ = false;
        pull_cursor_ = batch->caught_up().checkpoint();
      } else {
        pull_cursor_ = last_sent_;
      }
      queue_.push_back(*std::move(batch));
    }
  }

  void Fail(const absl::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      queue_.clear();
      pull_active_ = false;
      if (!pending_finish_) pending_finish_ = ToGrpc(status);
    }
    Pump();
  }

  store::RecordStore& store_;
  const schema::Schema& schema_;
  const SyncServiceOptions options_;

  // Only the read reactions touch these (one read in flight at a time).
  ClientMessage in_;
  bool hello_seen_ = false;

  absl::Mutex mu_;
  ServerMessage current_;  // the write in flight; written only while !writing_
  std::deque<ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool pull_active_ ABSL_GUARDED_BY(mu_) = false;      // Pull batches still to produce
  bool pull_generating_ ABSL_GUARDED_BY(mu_) = false;  // a batch is being read from the store
  uint64_t pull_cursor_ ABSL_GUARDED_BY(mu_) = 0;      // change feed position scanned up to
  uint64_t pull_base_ ABSL_GUARDED_BY(mu_) = 0;        // the client's checkpoint at Hello
  uint64_t last_sent_ = 0;  // set by NextPull; only one batch is generated at a time
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerBidiReactor<ClientMessage, ServerMessage>* SyncService::Session(
    grpc::CallbackServerContext* context) {
  return new SessionReactor(store_, schema_, options_);
}

}  // namespace rapport::server
