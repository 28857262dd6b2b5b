#include "client-lib/src/sync/sync_session.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client-lib/src/quarantine_store.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "core/store/store_layout.h"
#include "core/string_view_compat.h"

namespace rapport::sync_internal {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

// As rapportd's (server/sync_service.h): 2 since record format 2.
constexpr uint32_t kProtocolVersion = 2;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const SyncOptions& o) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(o.max_receive_message_bytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, o.keepalive_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, o.keepalive_timeout_ms);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // keep pinging a silent live session
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (o.tls_root_ca_pem.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = o.tls_root_ca_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(address, credentials, args);
}

}  // namespace

std::string ServerPeerName(const std::string& server_id) {
  return absl::StrCat(kServerPeerPrefix, server_id);
}

SyncSession::SyncSession(store::RecordStore& store, const schema::Schema& schema,
                         std::string address, SyncOptions options, bool live)
    : store_(store),
      schema_(schema),
      address_(std::move(address)),
      options_(std::move(options)),
      live_(live) {}

SyncSession::~SyncSession() {
  if (observer_ >= 0) store_.RemoveObserver(observer_);
}

std::string SyncSession::peer() const {
  absl::MutexLock lock(&mu_);
  return peer_;
}

bool SyncSession::went_live() const {
  absl::MutexLock lock(&mu_);
  return went_live_;
}

void SyncSession::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

void SyncSession::SetState(SyncState state, const std::string& message) {
  if (options_.on_status) options_.on_status(state, message);
}

void SyncSession::ReportProgress() {
  if (!options_.on_progress) return;
  SyncProgress progress;
  {
    absl::MutexLock lock(&mu_);
    progress = {summary_.pushed, acknowledged_, summary_.pulled, summary_.bytes, estimated_total_};
  }
  options_.on_progress(progress);
}

void SyncSession::Abort(absl::Status error) {
  {
    absl::MutexLock lock(&mu_);
    if (error_.ok()) error_ = std::move(error);
  }
  context_.TryCancel();
}

bool SyncSession::Send(const ClientMessage& message) {
  {
    absl::MutexLock lock(&mu_);
    summary_.bytes += message.ByteSizeLong();
  }
  return stream_->Write(message);
}

absl::Status SyncSession::Connect() {
  channel_ = MakeChannel(address_, options_);
  stub_ = rapport::v1::Sync::NewStub(channel_);
  if (!live_) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(options_.deadline_ms));
  }
  if (!options_.token.empty()) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
  stream_ = stub_->Session(&context_);
  return absl::OkStatus();
}

absl::StatusOr<SyncSummary> SyncSession::Run() {
  SetState(SyncState::kConnecting, address_);
  ASSIGN_OR_RETURN(const auto servers, store_.Peers(kServerPeerPrefix));
  ASSIGN_OR_RETURN(const std::vector<crdt::RecordId> revoked, quarantine::RevokedIds(store_));
  {
    absl::MutexLock lock(&mu_);
    revocations_waiting_ = !revoked.empty();
  }
  RETURN_IF_ERROR(Connect());
  observer_ = store_.AddObserver([this](const store::ChangeSet&) {
    absl::MutexLock lock(&mu_);
    local_changes_ = true;
  });

  ClientMessage hello;
  hello.mutable_hello()->set_replica_id(
      absl::StrCat(absl::Hex(store_.replica_id(), absl::kZeroPad16)));
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_schema_hash(schema_.Hash());
  for (const auto& [name, checkpoint] : servers) {
    rapport::v1::ServerCheckpoint* known = hello.mutable_hello()->add_pull_checkpoints();
    known->set_server_replica_id(name.substr(sizeof(kServerPeerPrefix) - 1));
    known->set_base(checkpoint.pull.base);
    known->set_position(checkpoint.pull.position);
  }
  hello.mutable_hello()->set_live(live_);
  hello.mutable_hello()->set_announces_push_done(true);
  ASSIGN_OR_RETURN(refetch_sent_, quarantine::RefetchIds(store_));
  for (const crdt::RecordId& id : refetch_sent_) {
    hello.mutable_hello()->add_refetch(std::string(id.bytes()));
  }
  if (!Send(hello)) return End();
  std::thread reader([this] { ReadLoop(); });
  {
    // The push checkpoint is kept per server: wait to learn which one this is.
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](SyncSession* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return self->welcomed_ || self->reader_done_ || !self->error_.ok();
        },
        this));
  }

  SetState(SyncState::kPushing);
  absl::Status pushed = PushRound();
  if (!pushed.ok()) Abort(pushed);
  SetState(SyncState::kPulling);

  bool reported_live = false;
  for (;;) {
    bool push_again = false;
    {
      absl::MutexLock lock(&mu_);
      // Once: until everything is acknowledged and pulled. Live: until stopped, and push a new
      // round (after the previous one is checkpointed) whenever something was committed.
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        if (!error_.ok() || reader_done_ || stop_) return true;
        if (!live_) return caught_up_ && !round_open_;
        if (caught_up_ && !reported_live) return true;
        return local_changes_ && !round_open_;
      };
      mu_.Await(absl::Condition(&ready));
      if (!error_.ok() || reader_done_ || stop_ || !live_) break;
      if (caught_up_ && !reported_live) {
        reported_live = went_live_ = true;
      } else {
        local_changes_ = false;
        push_again = true;
      }
    }
    if (!push_again) {
      SetState(SyncState::kLive);
      continue;
    }
    absl::Status round = PushRound();
    if (!round.ok()) Abort(round);
  }
  stream_->WritesDone();
  {
    // The server ends the call once it sees the half-close (a once session is also bounded by
    // its deadline); a stopped live session gives it a moment, then cancels.
    absl::MutexLock lock(&mu_);
    if (live_ || !error_.ok()) {
      mu_.AwaitWithTimeout(absl::Condition(&reader_done_), absl::Seconds(2));
    } else {
      mu_.Await(absl::Condition(&reader_done_));
    }
    if (!reader_done_) context_.TryCancel();
  }
  reader.join();
  return End();
}

absl::StatusOr<SyncSummary> SyncSession::End() {
  const grpc::Status status = stream_->Finish();
  absl::StatusOr<SyncSummary> result;
  {
    absl::MutexLock lock(&mu_);
    summary_.rejected = summary_.rejections.size();
    if (!error_.ok()) {
      result = error_;
    } else if (!status.ok() && !(stop_ && status.error_code() == grpc::StatusCode::CANCELLED)) {
      result = FromGrpc(status);
    } else if (!stop_ && !caught_up_) {
      result = absl::UnavailableError(
          absl::StrCat("the session with ", address_, " ended before the pull was complete"));
    } else {
      result = summary_;
    }
  }
  if (result.ok()) {
    SetState(SyncState::kIdle);
  } else {
    SetState(SyncState::kError, std::string(result.status().message()));
  }
  return result;
}

absl::Status SyncSession::PushRound() {
  const std::string peer = this->peer();
  if (peer.empty()) return absl::OkStatus();  // no Welcome: the session is failing
  ASSIGN_OR_RETURN(const store::PeerCheckpoint start, store_.GetPeer(peer));
  {
    absl::MutexLock lock(&mu_);
    round_open_ = true;
    round_scanned_ = false;
    round_end_ = start.push.position;
  }
  ClientMessage push;
  size_t batch_bytes = 0;
  uint64_t batch_end = 0;
  bool send_failed = false;
  std::vector<crdt::RecordId> batch_retries;
  auto flush = [&]() -> bool {
    if (push.push().deltas_size() == 0) return true;
    {
      absl::MutexLock lock(&mu_);
      push.mutable_push()->set_batch_id(next_batch_id_++);
      InFlight sent{push.push().batch_id(),
                    batch_end,
                    static_cast<size_t>(push.push().deltas_size()),
                    {},
                    std::move(batch_retries)};
      batch_retries.clear();
      for (const rapport::v1::RecordState& state : push.push().deltas()) {
        absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(state.id());
        if (id.ok()) sent.deltas[id->ToString()] = state;
      }
      in_flight_.push_back(std::move(sent));
      summary_.pushed += push.push().deltas_size();
      round_end_ = batch_end;
    }
    if (!Send(push)) return false;
    ReportProgress();
    push.Clear();
    batch_bytes = 0;
    return true;
  };
  // Deltas since the round's base for records after its position: a resumed round still sends
  // the older parts of records that changed since (docs/protocol.md, "Checkpoints").
  RETURN_IF_ERROR(store_.ChangesSince(
      start.push, std::numeric_limits<size_t>::max(), [&](const crdt::Record& delta, uint64_t seq) {
        if (PulledUnchanged(delta.id(), seq)) {
          batch_end = seq;
          return true;
        }
        rapport::v1::RecordState state;
        crdt::RecordToProto(delta, &state);
        const size_t size = state.ByteSizeLong();
        if (batch_bytes > 0 && batch_bytes + size > options_.max_push_batch_bytes && !flush()) {
          send_failed = true;
          return false;
        }
        batch_bytes += size;
        *push.mutable_push()->add_deltas() = std::move(state);
        batch_end = seq;
        return true;
      }));
  // Quarantined changes the app asked to retry travel in the round's last batch.
  RETURN_IF_ERROR(quarantine::ForEach(
      store_, [&](const crdt::RecordId& id, const rapport::v1::QuarantinedChange& entry) {
        if (!entry.retry()) return;
        *push.mutable_push()->add_deltas() = entry.delta();
        batch_retries.push_back(id);
      }));
  if (send_failed || !flush()) {
    // The stream is broken; the reader sees why. The round stays open: nothing is checkpointed.
    return absl::OkStatus();
  }
  {
    absl::MutexLock lock(&mu_);
    round_scanned_ = true;
    // Records left out at the end of the scan (pulled, unchanged) need no acknowledgement.
    round_end_ = std::max(round_end_, batch_end);
  }
  ClientMessage done;
  done.mutable_push_done();
  if (!Send(done)) return absl::OkStatus();
  return MaybeCompleteRound();
}

absl::StatusOr<bool> SyncSession::HoldsUnacknowledgedChange(store::WriteTransaction& txn,
                                                            const crdt::Record& record,
                                                            const store::PeerCheckpoint& cp) {
  if (record.MaxSeq() <= cp.push.position) return false;
  // Above the push checkpoint, but maybe only because a pull put it there: its mark says so.
  ASSIGN_OR_RETURN(const std::optional<std::string> mark,
                   txn.GetAux(quarantine::PulledKey(record.id())));
  return !(mark && store::layout::DecodeU64(*mark) == record.MaxSeq());
}

bool SyncSession::PulledUnchanged(const crdt::RecordId& id, uint64_t seq) const {
  absl::StatusOr<std::optional<std::string>> mark = store_.GetAux(quarantine::PulledKey(id));
  return mark.ok() && mark->has_value() && store::layout::DecodeU64(**mark) == seq;
}

absl::Status SyncSession::MaybeCompleteRound() {
  uint64_t end = 0;
  std::string peer;
  {
    absl::MutexLock lock(&mu_);
    if (!round_open_ || !round_scanned_ || !in_flight_.empty()) return absl::OkStatus();
    end = round_end_;
    peer = peer_;
  }
  absl::Status stored = store_
                            .Write([&](store::WriteTransaction& txn) -> absl::Status {
                              ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer));
                              if (end < cp.push.position) return absl::OkStatus();
                              cp.push = store::FeedCheckpoint::At(end);
                              return txn.SetPeer(peer, cp);
                            })
                            .status();
  {
    absl::MutexLock lock(&mu_);
    round_open_ = false;
  }
  RETURN_IF_ERROR(stored);
  return PurgeDeferredRevocations();
}

void SyncSession::ReadLoop() {
  ServerMessage in;
  while (stream_->Read(&in)) {
    {
      absl::MutexLock lock(&mu_);
      summary_.bytes += in.ByteSizeLong();
    }
    absl::Status handled = HandleServerMessage(in);
    if (!handled.ok()) {
      Abort(handled);
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  reader_done_ = true;
}

absl::Status SyncSession::HandleServerMessage(const ServerMessage& message) {
  switch (message.msg_case()) {
    case ServerMessage::kWelcome: {
      const std::string& id = message.welcome().server_replica_id();
      if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return absl::DataLossError(absl::StrCat("server replica id '", id, "' is malformed"));
      }
      absl::MutexLock lock(&mu_);
      if (welcomed_) return absl::DataLossError("second Welcome in one session");
      estimated_total_ = message.welcome().estimated_records();
      peer_ = ServerPeerName(id);
      welcomed_ = true;
      return absl::OkStatus();
    }
    case ServerMessage::kPushAck:
      return HandlePushAck(message.push_ack());
    case ServerMessage::kPull: {
      const rapport::v1::Pull& pull = message.pull();
      if (pull.position() < pull.checkpoint()) {
        return absl::DataLossError("server sent a Pull whose position is behind its base");
      }
      return ApplyPull(&pull, {pull.checkpoint(), pull.position()});
    }
    case ServerMessage::kCaughtUp: {
      RETURN_IF_ERROR(
          ApplyPull(nullptr, store::FeedCheckpoint::At(message.caught_up().checkpoint())));
      absl::MutexLock lock(&mu_);
      caught_up_ = true;
      return absl::OkStatus();
    }
    default:
      return absl::InternalError("unexpected message from the server");
  }
}

absl::Status SyncSession::HandlePushAck(const rapport::v1::PushAck& ack) {
  uint64_t end = 0;
  size_t records = 0;
  std::string peer;
  InFlight batch;
  {
    absl::MutexLock lock(&mu_);
    peer = peer_;
    if (in_flight_.empty() || in_flight_.front().batch_id != ack.batch_id()) {
      return absl::InternalError(absl::StrCat("PushAck for batch ", ack.batch_id(),
                                              " that is not the oldest unacknowledged one"));
    }
    batch = std::move(in_flight_.front());
    end = batch.last_seq;
    records = batch.records;
    in_flight_.pop_front();
    for (const rapport::v1::Rejection& r : ack.rejections()) {
      summary_.rejections.push_back({r.record_id(), r.code(), r.message()});
    }
  }
  // The batch is durable on the server: a cut from here on resumes after it. Refused deltas go
  // to quarantine in the same transaction, so none is ever dropped silently.
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  RETURN_IF_ERROR(store_
                      .Write([&](store::WriteTransaction& txn) -> absl::Status {
                        for (const crdt::RecordId& id : batch.retries) {
                          RETURN_IF_ERROR(txn.DeleteAux(quarantine::QuarantineKey(id)));
                        }
                        for (const rapport::v1::Rejection& r : ack.rejections()) {
                          auto sent = batch.deltas.find(r.record_id());
                          if (sent == batch.deltas.end()) continue;
                          ASSIGN_OR_RETURN(crdt::Record delta, crdt::RecordFromProto(sent->second));
                          RETURN_IF_ERROR(
                              quarantine::Quarantine(txn, delta, r.code(), r.message(), now_ms));
                        }
                        ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer));
                        if (end <= cp.push.position) return absl::OkStatus();
                        cp.push.position = end;
                        return txn.SetPeer(peer, cp);
                      })
                      .status());
  {
    absl::MutexLock lock(&mu_);
    acknowledged_ += records;
  }
  ReportProgress();
  return MaybeCompleteRound();
}

// Joins one Pull batch (or none, for CaughtUp) and stores the pull checkpoint it carries in the
// same transaction, so a cut at any point resumes exactly after what was applied.
absl::Status SyncSession::ApplyPull(const rapport::v1::Pull* pull,
                                    store::FeedCheckpoint checkpoint) {
  std::vector<crdt::Record> deltas;
  if (pull != nullptr) {
    deltas.reserve(pull->deltas_size());
    for (const rapport::v1::RecordState& state : pull->deltas()) {
      ASSIGN_OR_RETURN(crdt::Record delta, crdt::RecordFromProto(state));
      absl::Status valid = schema_.ValidateDelta(delta);
      if (!valid.ok()) {
        // The server validated it; refusing here stops the session before the checkpoint moves.
        return absl::DataLossError(absl::StrCat("server sent an invalid delta: ", valid.message()));
      }
      deltas.push_back(std::move(delta));
    }
  }
  const std::string peer = this->peer();
  if (peer.empty()) return absl::DataLossError("server sent data before Welcome");
  std::vector<crdt::RecordId> revoked;
  if (pull != nullptr) {
    for (const std::string& bytes : pull->revocations()) {
      ASSIGN_OR_RETURN(crdt::RecordId id, crdt::RecordId::FromBytes(bytes));
      revoked.push_back(id);
    }
  }
  bool revocations_waiting = false;
  {
    absl::MutexLock lock(&mu_);
    revocations_waiting = revocations_waiting_;
  }
  ASSIGN_OR_RETURN(store::ChangeSet changes, store_.Write([&](store::WriteTransaction& txn) {
    ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer));
    for (const crdt::Record& delta : deltas) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> before, txn.Get(delta.id()));
      RETURN_IF_ERROR(txn.ApplyRemote(delta));
      // Sent again: it is back in scope, so a purge still waiting for it is off.
      if (revocations_waiting) RETURN_IF_ERROR(txn.DeleteAux(quarantine::RevokedKey(delta.id())));
      // A record with no unacknowledged local change before this pull now differs from the
      // server's only by what the server sent: mark it, so the push round leaves it out
      // unless it changes again locally (its feed entry then moves past the mark).
      if (before) {
        ASSIGN_OR_RETURN(const bool unacknowledged, HoldsUnacknowledgedChange(txn, *before, cp));
        if (unacknowledged) continue;
      }
      ASSIGN_OR_RETURN(std::optional<crdt::Record> after, txn.Get(delta.id()));
      if (after && after->MaxSeq() > txn.last_seq_at_start()) {
        RETURN_IF_ERROR(txn.PutAux(quarantine::PulledKey(delta.id()),
                                   store::layout::EncodeU64(after->MaxSeq())));
      }
    }
    // A record that left our scope is purged, unless it holds local changes the server has not
    // acknowledged yet: those are pushed first (and quarantined if refused), then it goes. The
    // wait is noted in the store, with the checkpoint that moves past the revocation.
    for (const crdt::RecordId& id : revoked) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> held, txn.Get(id));
      if (!held) continue;
      ASSIGN_OR_RETURN(const bool unacknowledged, HoldsUnacknowledgedChange(txn, *held, cp));
      if (unacknowledged) {
        RETURN_IF_ERROR(txn.PutAux(quarantine::RevokedKey(id), ""));
        continue;
      }
      RETURN_IF_ERROR(txn.Purge(id));
    }
    const store::PeerCheckpoint before = cp;
    if (checkpoint.position >= cp.pull.position) cp.pull = checkpoint;
    if (pull == nullptr) {
      // Caught up: the records asked for again have arrived (or are no longer in scope).
      for (const crdt::RecordId& id : refetch_sent_) {
        RETURN_IF_ERROR(txn.DeleteAux(quarantine::RefetchKey(id)));
      }
    }
    // If the server had every local change before this write, what it adds came from the
    // server: move the push checkpoint past it rather than push it back (echo suppression).
    if (cp.push.complete() && cp.push.base == txn.last_seq_at_start()) {
      cp.push = store::FeedCheckpoint::At(txn.last_seq_now());
    }
    if (cp == before) return absl::OkStatus();
    return txn.SetPeer(peer, cp);
  }));
  {
    absl::MutexLock lock(&mu_);
    summary_.pulled += deltas.size();
    summary_.pulled_changed += changes.changed.size();
    summary_.purged += changes.purged.size();
    if (!revoked.empty()) revocations_waiting_ = true;
  }
  if (pull != nullptr) ReportProgress();
  return absl::OkStatus();
}

absl::Status SyncSession::PurgeDeferredRevocations() {
  std::string peer;
  {
    absl::MutexLock lock(&mu_);
    if (!revocations_waiting_) return absl::OkStatus();
    peer = peer_;
  }
  ASSIGN_OR_RETURN(const std::vector<crdt::RecordId> waiting, quarantine::RevokedIds(store_));
  bool still_waiting = false;
  ASSIGN_OR_RETURN(store::ChangeSet changes, store_.Write([&](store::WriteTransaction& txn) {
    still_waiting = false;
    ASSIGN_OR_RETURN(store::PeerCheckpoint cp, txn.GetPeer(peer));
    for (const crdt::RecordId& id : waiting) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> held, txn.Get(id));
      if (held) {
        ASSIGN_OR_RETURN(const bool unacknowledged, HoldsUnacknowledgedChange(txn, *held, cp));
        if (unacknowledged) {
          still_waiting = true;  // edited again meanwhile: after the next round
          continue;
        }
      }
      RETURN_IF_ERROR(txn.DeleteAux(quarantine::RevokedKey(id)));
      if (held) RETURN_IF_ERROR(txn.Purge(id));
    }
    return absl::OkStatus();
  }));
  absl::MutexLock lock(&mu_);
  summary_.purged += changes.purged.size();
  revocations_waiting_ = still_waiting;
  return absl::OkStatus();
}

}  // namespace rapport::sync_internal
