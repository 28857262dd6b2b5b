// SyncOnce: one sync session with the synchronous gRPC client API (rapport/sync.h).
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"
#include "grpcpp/grpcpp.h"
#include "rapport/sync.h"
#include "rapport/v1/sync.grpc.pb.h"

namespace rapport {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;
using Stream = grpc::ClientReaderWriter<ClientMessage, ServerMessage>;

constexpr uint32_t kProtocolVersion = 1;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// Joins one Pull batch and stores the pull checkpoint it carries in the same transaction.
absl::StatusOr<size_t> ApplyPull(
    store::RecordStore& store, const schema::Schema& schema, const std::string& peer,
    const google::protobuf::RepeatedPtrField<rapport::v1::RecordState>& states,
    uint64_t checkpoint) {
  std::vector<crdt::Record> deltas;
  deltas.reserve(states.size());
  for (const rapport::v1::RecordState& state : states) {
    ASSIGN_OR_RETURN(crdt::Record delta, crdt::RecordFromProto(state));
    absl::Status valid = schema.ValidateDelta(delta);
    if (!valid.ok()) {
      // The server validated it; refusing here stops the session before the checkpoint moves.
      return absl::DataLossError(absl::StrCat("server sent an invalid delta: ", valid.message()));
    }
    deltas.push_back(std::move(delta));
  }
  ASSIGN_OR_RETURN(store::ChangeSet changes, store.Write([&](store::WriteTransaction& txn) {
    for (const crdt::Record& delta : deltas) RETURN_IF_ERROR(txn.ApplyRemote(delta));
    ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer));
    if (checkpoint > cp.pull) {
      cp.pull = checkpoint;
      RETURN_IF_ERROR(txn.SetPeer(peer, cp));
    }
    return absl::OkStatus();
  }));
  return changes.changed.size();
}

class Session {
 public:
  Session(Replica& replica, const std::string& address, const SyncOptions& options)
      : store_(ReplicaInternal::Store(replica)),
        schema_(ReplicaInternal::GetSchema(replica)),
        replica_(replica),
        peer_(absl::StrCat("server:", address)),
        address_(address),
        options_(options) {}

  absl::StatusOr<SyncSummary> Run() {
    ASSIGN_OR_RETURN(const store::PeerCheckpoint start, store_.GetPeer(peer_));
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
    auto channel = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
    auto stub = rapport::v1::Sync::NewStub(channel);
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(options_.deadline_ms));
    stream_ = stub->Session(&context_);

    ClientMessage hello;
    hello.mutable_hello()->set_replica_id(replica_.replica_id());
    hello.mutable_hello()->set_protocol_version(kProtocolVersion);
    hello.mutable_hello()->set_schema_hash(schema_.Hash());
    hello.mutable_hello()->set_pull_checkpoint(start.pull);
    if (!Send(hello)) return End(absl::OkStatus());
    ServerMessage in;
    if (!Receive(&in)) return End(absl::OkStatus());
    if (!in.has_welcome())
      return Abort(absl::InternalError("server did not answer Hello with Welcome"));

    // Push every change since the push checkpoint in one scan of the change feed, so every
    // delta is relative to that checkpoint (see docs/protocol.md, "Checkpoints").
    uint64_t push_end = start.push;
    bool send_failed = false;
    ClientMessage push;
    size_t batch_bytes = 0;
    auto flush = [&]() -> bool {
      if (push.push().deltas_size() == 0) return true;
      push.mutable_push()->set_batch_id(++batches_sent_);
      summary_.pushed += push.push().deltas_size();
      if (!Send(push)) return false;
      push.Clear();
      batch_bytes = 0;
      return true;
    };
    RETURN_IF_ERROR(store_.ChangesSince(
        start.push, std::numeric_limits<size_t>::max(),
        [&](const crdt::Record& delta, uint64_t seq) {
          rapport::v1::RecordState state;
          crdt::RecordToProto(delta, &state);
          const size_t size = state.ByteSizeLong();
          if (batch_bytes > 0 && batch_bytes + size > options_.max_push_batch_bytes && !flush()) {
            send_failed = true;
            return false;
          }
          batch_bytes += size;
          *push.mutable_push()->add_deltas() = std::move(state);
          push_end = seq;
          return true;
        }));
    if (send_failed || !flush()) return End(absl::OkStatus());

    // Read until every Push is acknowledged and the server says we are caught up.
    bool caught_up = false;
    uint64_t acked = 0;
    while (!caught_up || acked < batches_sent_) {
      if (!Receive(&in)) return End(absl::OkStatus());
      switch (in.msg_case()) {
        case ServerMessage::kPushAck:
          if (in.push_ack().batch_id() != acked + 1) {
            return Abort(absl::InternalError(absl::StrCat(
                "PushAck for batch ", in.push_ack().batch_id(), ", expected ", acked + 1)));
          }
          ++acked;
          for (const rapport::v1::Rejection& r : in.push_ack().rejections()) {
            summary_.rejections.push_back({r.record_id(), r.code(), r.message()});
          }
          break;
        case ServerMessage::kPull: {
          summary_.pulled += in.pull().deltas_size();
          absl::StatusOr<size_t> changed =
              ApplyPull(store_, schema_, peer_, in.pull().deltas(), in.pull().checkpoint());
          if (!changed.ok()) return Abort(changed.status());
          summary_.pulled_changed += *changed;
          break;
        }
        case ServerMessage::kCaughtUp: {
          absl::StatusOr<size_t> changed =
              ApplyPull(store_, schema_, peer_, {}, in.caught_up().checkpoint());
          if (!changed.ok()) return Abort(changed.status());
          caught_up = true;
          break;
        }
        default:
          return Abort(absl::InternalError("unexpected message from the server"));
      }
    }
    summary_.rejected = summary_.rejections.size();

    // Every batch is durably committed on the server: advance the push checkpoint past all of
    // them at once (a per-batch checkpoint could skip older parts of a record that moved).
    if (push_end > start.push) {
      RETURN_IF_ERROR(store_
                          .Write([&](store::WriteTransaction& txn) {
                            ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer_));
                            if (push_end > cp.push) {
                              cp.push = push_end;
                              RETURN_IF_ERROR(txn.SetPeer(peer_, cp));
                            }
                            return absl::OkStatus();
                          })
                          .status());
    }
    stream_->WritesDone();
    if (Receive(&in)) return Abort(absl::InternalError("unexpected message after CaughtUp"));
    return End(absl::OkStatus());
  }

 private:
  bool Send(const ClientMessage& message) {
    summary_.bytes += message.ByteSizeLong();
    return stream_->Write(message);
  }
  bool Receive(ServerMessage* message) {
    if (!stream_->Read(message)) return false;
    summary_.bytes += message->ByteSizeLong();
    return true;
  }
  // Ends the call and returns the summary, or the call's error.
  absl::StatusOr<SyncSummary> End(absl::Status local) {
    grpc::Status status = stream_->Finish();
    if (!status.ok()) return FromGrpc(status);
    RETURN_IF_ERROR(local);
    return summary_;
  }
  absl::StatusOr<SyncSummary> Abort(absl::Status error) {
    context_.TryCancel();
    stream_->Finish();
    return error;
  }

  store::RecordStore& store_;
  const schema::Schema& schema_;
  Replica& replica_;
  const std::string peer_;
  const std::string address_;
  const SyncOptions options_;
  grpc::ClientContext context_;
  std::unique_ptr<Stream> stream_;
  SyncSummary summary_;
  uint64_t batches_sent_ = 0;
};

}  // namespace

absl::StatusOr<SyncSummary> SyncOnce(Replica& replica, const std::string& server_address,
                                     SyncOptions options) {
  Session session(replica, server_address, options);
  return session.Run();
}

}  // namespace rapport
