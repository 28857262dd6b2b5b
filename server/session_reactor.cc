#include "server/session_reactor.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crdt/record.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"
#include "server/pull_batcher.h"

namespace rapport::server {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string ReplicaHex(crdt::ReplicaId id) { return absl::StrCat(absl::Hex(id, absl::kZeroPad16)); }

}  // namespace

SessionReactor::SessionReactor(const SessionEnv& env, absl::StatusOr<SessionGate::Pass> pass,
                               std::string peer_address,
                               std::function<void(SessionReactor*)> on_done)
    : store_(env.store),
      schema_(env.schema),
      options_(env.options),
      peers_(env.peers),
      metrics_(env.metrics),
      log_(env.log),
      peer_address_(std::move(peer_address)),
      on_done_(std::move(on_done)),
      pass_(std::move(pass)) {}

void SessionReactor::Start() {
  if (pass_.ok()) {
    StartRead(&in_bytes_);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }
  Finish(ToGrpc(pass_.status()));
}

void SessionReactor::OnReadDone(bool ok) {
  if (!ok) {  // the client half-closed (or the call ended)
    {
      absl::MutexLock lock(&mu_);
      read_done_ = true;
    }
    Pump();
    return;
  }
  ++messages_read_;
  bytes_in_ += in_bytes_.Length();
  metrics_.AddBytesReceived(in_bytes_.Length());
  in_.Clear();
  const grpc::Status parsed =
      grpc::SerializationTraits<ClientMessage>::Deserialize(&in_bytes_, &in_);
  absl::Status status =
      parsed.ok()
          ? Handle(in_)
          : absl::InvalidArgumentError(absl::StrCat(
                "message ", messages_read_, " of the session is not a rapport.v1.ClientMessage (",
                parsed.error_message(), ")"));
  if (!status.ok()) {
    Fail(status);
    return;
  }
  StartRead(
      &in_bytes_);  // before Pump: a Finish there may overtake a read in flight, not follow it
  Pump();
}

void SessionReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {  // the stream is broken; nothing more can be sent
      queue_.clear();
      pull_active_ = false;
      live_ = false;
      if (!pending_finish_) pending_finish_ = grpc::Status(grpc::StatusCode::CANCELLED, "");
    }
  }
  Pump();
}

// gRPC calls OnDone exactly once, after Finish has completed and no reaction is running or will
// run again. The registry's reference is released here, so the session is destroyed once the
// fan-out thread (which may hold another reference) lets go of it.
void SessionReactor::OnDone() {
  if (counted_) {
    metrics_.SessionEnded();
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      status = end_status_;
    }
    log_.SessionEnded({.peer = peer_address_,
                       .replica = client_replica_,
                       .scope = pass_->who(),
                       .pushed = pushed_records_,
                       .pulled = pulled_records_,
                       .rejected = rejected_records_,
                       .bytes_in = bytes_in_,
                       .bytes_out = bytes_out_,
                       .duration = absl::Now() - started_,
                       .status = status});
  }
  // A copy: the call may destroy this session, and with it on_done_.
  const std::function<void(SessionReactor*)> done = on_done_;
  done(this);
}

void SessionReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  queue_.clear();
  pull_active_ = false;
  live_ = false;
  read_done_ = true;
}

void SessionReactor::OnCommitted(uint64_t seq) {
  {
    absl::MutexLock lock(&mu_);
    committed_ = std::max(committed_, seq);
    if (!live_ || finished_ || pull_active_ || seq <= pull_from_.position) return;
    pull_active_ = true;
  }
  Pump();
}

absl::Status SessionReactor::Handle(const ClientMessage& message) {
  switch (message.msg_case()) {
    case ClientMessage::kHello:
      return HandleHello(message.hello());
    case ClientMessage::kPush:
      return HandlePush(message.push());
    case ClientMessage::kPushDone:
      return HandlePushDone();
    default:
      return absl::InvalidArgumentError("empty or unknown ClientMessage");
  }
}

absl::Status SessionReactor::HandleHello(const rapport::v1::Hello& hello) {
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
  if (hello.replica_id().size() != 16 ||
      hello.replica_id().find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("Hello.replica_id '", hello.replica_id(),
                                                   "' is not 16 lower-case hex digits"));
  }
  client_replica_ = hello.replica_id();
  hello_seen_ = true;
  const std::string server_id = ReplicaHex(store_.replica_id());
  store::FeedCheckpoint from;
  for (const rapport::v1::ServerCheckpoint& known : hello.pull_checkpoints()) {
    if (known.server_replica_id() != server_id) continue;
    if (known.position() < known.base()) {
      return absl::InvalidArgumentError(absl::StrCat("pull checkpoint position ", known.position(),
                                                     " is behind its base ", known.base()));
    }
    from = {known.base(), known.position()};
  }
  const uint64_t head = store_.last_seq();
  ServerMessage welcome;
  welcome.mutable_welcome()->set_server_replica_id(server_id);
  welcome.mutable_welcome()->set_head_seq(head);
  ASSIGN_OR_RETURN(const store::StoreStats stats, store_.Stats());
  welcome.mutable_welcome()->set_estimated_records(
      std::min(stats.records, head > from.position ? head - from.position : 0));
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(welcome));
  pull_active_ = true;
  pull_from_ = from;
  live_ = hello.live();
  hold_caught_up_ = hello.announces_push_done();
  for (const std::string& bytes : hello.refetch()) {
    absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(bytes);
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Hello.refetch holds a malformed record id: ", id.status().message()));
    }
    refetch_.push_back(*id);
  }
  counted_ = true;
  metrics_.SessionStarted();
  log_.SessionStarted({.peer = peer_address_, .replica = client_replica_, .scope = pass_->who()});
  return absl::OkStatus();
}

absl::Status SessionReactor::HandlePushDone() {
  if (!hello_seen_) return absl::FailedPreconditionError("PushDone before Hello");
  absl::MutexLock lock(&mu_);
  if (!hold_caught_up_) return absl::OkStatus();
  hold_caught_up_ = false;
  // Scan on from where the held-back scan stopped: the client's pushes are behind it now
  // (and left out as echoes), so the CaughtUp to come covers them.
  pull_active_ = true;
  return absl::OkStatus();
}

// Validates every delta; stores the valid ones in one write and rejects the others.
absl::Status SessionReactor::HandlePush(const rapport::v1::Push& push) {
  if (!hello_seen_) return absl::FailedPreconditionError("Push before Hello");
  metrics_.AddPushBatches(1);
  pushed_records_ += push.deltas_size();
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
    // Scope checks read the stored record, so they run inside the write that applies the
    // delta: nothing can change the record between the check and the join.
    std::vector<std::pair<crdt::RecordId, absl::Status>> refused;
    uint64_t conflicts_created = 0;
    struct Applied {
      crdt::RecordId id;
      uint64_t before, after;  // the record's highest seq before and after the join
    };
    std::vector<Applied> applied;
    RETURN_IF_ERROR(
        store_
            .Write([&](store::WriteTransaction& txn) -> absl::Status {
              refused.clear();  // the write may be rerun after a map resize
              applied.clear();
              conflicts_created = 0;
              for (const crdt::Record& delta : valid) {
                absl::Status allowed = CheckPush(txn, delta);
                if (!allowed.ok()) {
                  refused.emplace_back(delta.id(), std::move(allowed));
                  continue;
                }
                ASSIGN_OR_RETURN(std::optional<crdt::Record> before, txn.Get(delta.id()));
                RETURN_IF_ERROR(txn.ApplyRemote(delta));
                ASSIGN_OR_RETURN(std::optional<crdt::Record> after, txn.Get(delta.id()));
                if (after && after->HasConflicts() && !(before && before->HasConflicts())) {
                  ++conflicts_created;
                }
                applied.push_back(
                    {delta.id(), before ? before->MaxSeq() : 0, after ? after->MaxSeq() : 0});
              }
              return absl::OkStatus();
            })
            .status());
    metrics_.AddDeltasApplied(valid.size() - refused.size());
    metrics_.AddConflictsCreated(conflicts_created);
    for (const auto& [id, status] : refused) {
      rapport::v1::Rejection* rejection = ack->add_rejections();
      rejection->set_record_id(id.ToString());
      rejection->set_code(static_cast<int32_t>(status.code()));
      rejection->set_message(std::string(status.message()));
    }
    for (const Applied& a : applied) pushed_.Remember(a.id, a.before, a.after);
  }
  rejected_records_ += ack->rejections_size();
  metrics_.AddRejections(ack->rejections_size());
  Enqueue(std::move(out));
  return absl::OkStatus();
}

absl::Status SessionReactor::CheckPush(store::WriteTransaction& txn,
                                       const crdt::Record& delta) const {
  const std::optional<auth::Scope>& scope = pass_->scope();
  if (!scope) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<crdt::Record> stored, txn.Get(delta.id()));
  crdt::Record before = stored ? *std::move(stored) : crdt::Record();
  crdt::Record after = stored ? before : crdt::Record(delta.id(), delta.type());
  after.Join(delta, 0);
  return scope->CheckPush(before, delta, after);
}

std::string SessionReactor::DeliveredKey(const crdt::RecordId& id) const {
  return absl::StrCat("delivered/", client_replica_, "/", AV(id.bytes()));
}

bool SessionReactor::HeldByClient(const crdt::Record& record) const {
  absl::StatusOr<std::optional<std::string>> mark = store_.GetAux(DeliveredKey(record.id()));
  // On a read error, tell the client to purge: purging what it may not hold is harmless.
  return !mark.ok() || mark->has_value();
}

absl::Status SessionReactor::MarkDelivered(const std::vector<crdt::RecordId>& ids) {
  return store_
      .Write([&](store::WriteTransaction& txn) -> absl::Status {
        for (const crdt::RecordId& id : ids) RETURN_IF_ERROR(txn.PutAux(DeliveredKey(id), ""));
        return absl::OkStatus();
      })
      .status();
}

void SessionReactor::Enqueue(ServerMessage message) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(message));
}

void SessionReactor::Pump() {
  for (;;) {
    enum class Next { kWrite, kPull, kFinish } next;
    store::FeedCheckpoint from;
    std::vector<crdt::RecordId> refetch;
    grpc::Status finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || writing_) return;
      if (!queue_.empty()) {
        bool own_buffer = false;
        current_.Clear();
        grpc::SerializationTraits<ServerMessage>::Serialize(queue_.front(), &current_, &own_buffer);
        queue_.pop_front();
        bytes_out_ += current_.Length();
        metrics_.AddBytesSent(current_.Length());
        writing_ = true;
        next = Next::kWrite;
      } else if (pending_finish_) {
        finish = *pending_finish_;
        finished_ = true;
        next = Next::kFinish;
      } else if (pull_active_ && !pull_generating_) {
        pull_generating_ = true;
        from = pull_from_;
        refetch.swap(refetch_);
        next = Next::kPull;
      } else if (read_done_ && !pull_generating_ && (!pull_active_ || live_)) {
        finished_ = true;
        next = Next::kFinish;
      } else {
        return;
      }
    }
    if (next == Next::kFinish) {
      {
        absl::MutexLock lock(&mu_);
        end_status_ = absl::Status(static_cast<absl::StatusCode>(finish.error_code()),
                                   finish.error_message());
      }
      Finish(finish);
      return;
    }
    if (next == Next::kWrite) {
      StartWrite(&current_);
      return;
    }
    PullFilter filter;
    filter.pushed = &pushed_;
    const std::optional<auth::Scope>& scope = pass_->scope();
    const bool tracked = scope && !pass_->is_admin();  // admins see everything: nothing to revoke
    if (tracked) {
      filter.in_scope = [&scope](const crdt::Record& r) { return scope->Contains(r); };
      // A client at the very start of the feed holds nothing from this server yet.
      if (from.position > 0) {
        filter.held_by_client = [this](const crdt::Record& r) { return HeldByClient(r); };
      }
    }
    absl::StatusOr<PullBatch> batch =
        refetch.empty() ? NextPullBatch(store_, from, options_.max_pull_batch_bytes, filter)
                        : RefetchBatch(store_, refetch, from, filter);
    if (batch.ok() && tracked && !batch->sent.empty()) {
      absl::Status marked = MarkDelivered(batch->sent);
      if (!marked.ok()) batch = marked;
    }
    absl::MutexLock lock(&mu_);
    pull_generating_ = false;
    if (!batch.ok()) {
      queue_.clear();
      pull_active_ = false;
      live_ = false;
      if (!pending_finish_) pending_finish_ = ToGrpc(batch.status());
      continue;
    }
    if (!pull_active_) continue;  // failed or cancelled meanwhile
    if (batch->message.has_caught_up() && hold_caught_up_) {
      pull_active_ = false;  // HandlePushDone resumes the scan from pull_from_
      continue;
    }
    pull_from_ = batch->next;
    if (batch->message.has_caught_up()) {
      // A commit we were told about while scanning may have landed after the scan passed:
      // keep pulling rather than wait for the next commit.
      pull_active_ = live_ && committed_ > pull_from_.position;
      peers_.Seen(client_replica_, pass_->scope() ? pass_->scope()->claims().subject : "",
                  pull_from_.position);
    } else {
      metrics_.AddPullBatches(1);
      pulled_records_ += batch->records;
    }
    queue_.push_back(std::move(batch->message));
  }
}

void SessionReactor::Fail(const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    queue_.clear();
    pull_active_ = false;
    live_ = false;
    if (!pending_finish_) pending_finish_ = ToGrpc(status);
  }
  Pump();
}

}  // namespace rapport::server
