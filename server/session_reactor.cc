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

constexpr char kCancelledMessage[] =
    "session cancelled: the client went away, its deadline passed, or the server is shutting "
    "down";

std::string ReplicaHex(crdt::ReplicaId id) { return absl::StrCat(absl::Hex(id, absl::kZeroPad16)); }

}  // namespace

SessionReactor::SessionReactor(const SessionEnv& env, SessionServices services,
                               absl::StatusOr<SessionGate::Pass> pass, std::string peer_address,
                               std::function<void(SessionReactor*)> on_done)
    : store_(env.store),
      schema_(env.schema),
      options_(env.options),
      peers_(env.peers),
      metrics_(env.metrics),
      log_(env.log),
      peer_address_(std::move(peer_address)),
      on_done_(std::move(on_done)),
      pass_(std::move(pass)),
      commits_(services.commits),
      workers_(services.workers),
      scopes_(services.scopes),
      facts_of_(services.facts_of) {}

void SessionReactor::Start() {
  if (pass_.ok()) {
    MaybeRead();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    end_status_ = pass_.status();
  }
  Finish(ToGrpc(pass_.status()));
}

void SessionReactor::MaybeRead() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || read_done_ || reading_ || handling_ || queue_.size() >= kMaxQueuedMessages) {
      return;
    }
    reading_ = starting_read_ = true;
  }
  StartRead(&in_bytes_);
  {
    absl::MutexLock lock(&mu_);
    starting_read_ = false;
  }
  Pump();  // a Finish held back while the read was being started
}

void SessionReactor::OnReadDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {  // the client half-closed (or the call ended)
      read_done_ = true;
    } else {
      handling_ = true;
    }
  }
  if (!ok) {
    Pump();
    return;
  }
  ++messages_read_;
  bytes_in_ += in_bytes_.Length();
  metrics_.AddBytesReceived(in_bytes_.Length());
  grpc::ByteBuffer bytes;
  bytes.Swap(&in_bytes_);
  workers_.Submit([self = shared_from_this(), bytes = std::move(bytes)]() mutable {
    self->HandleMessage(std::move(bytes));
  });
}

void SessionReactor::HandleMessage(grpc::ByteBuffer bytes) {
  {
    absl::MutexLock lock(&mu_);
    // Cancelled meanwhile: nothing was acknowledged, and the client resends it next session.
    if (finished_) return;
  }
  ClientMessage message;
  const grpc::Status parsed =
      grpc::SerializationTraits<ClientMessage>::Deserialize(&bytes, &message);
  if (!parsed.ok()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        "message ", messages_read_, " of the session is not a rapport.v1.ClientMessage (",
        parsed.error_message(), ")")));
    return;
  }
  absl::Status status;
  switch (message.msg_case()) {
    case ClientMessage::kHello:
      status = HandleHello(message.hello());
      break;
    case ClientMessage::kPush:
      status = HandlePush(message.push());
      if (status.ok()) return;  // reads on once the push is committed (PushCommitted)
      break;
    case ClientMessage::kPushDone:
      status = HandlePushDone();
      break;
    default:
      status = absl::InvalidArgumentError("empty or unknown ClientMessage");
  }
  if (!status.ok()) {
    Fail(status);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    handling_ = false;
  }
  MaybeRead();
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
  MaybeRead();  // a read held back while the queue was full
  Pump();
}

// gRPC calls OnDone exactly once, after Finish has completed and no reaction is running or will
// run again. The registry's reference is released here; work still queued for this session
// holds its own reference and finds the session finished.
void SessionReactor::OnDone() {
  if (counted_) {
    metrics_.SessionEnded();
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      status = end_status_;
      // The client's read may fail (ending the session normally) before OnCancel says why.
      if (cancelled_ && status.ok()) status = absl::CancelledError(kCancelledMessage);
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
  {
    absl::MutexLock lock(&mu_);
    queue_.clear();
    pull_active_ = false;
    live_ = false;
    read_done_ = true;
    cancelled_ = true;
    if (!pending_finish_)
      pending_finish_ = grpc::Status(grpc::StatusCode::CANCELLED, kCancelledMessage);
  }
  Pump();
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
  grpc::ByteBuffer welcome_bytes = Serialize(welcome);
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(welcome_bytes));
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

// One Push on its way through the CommitQueue.
struct SessionReactor::PushWork {
  ServerMessage out;                // the PushAck, rejections of invalid deltas already in it
  std::vector<crdt::Record> valid;  // deltas to join
  // Filled by WritePush (reset on each run):
  std::vector<std::pair<crdt::RecordId, absl::Status>> refused;
  struct Applied {
    crdt::RecordId id;
    uint64_t before, after;             // the record's highest seq before and after the join
    std::optional<crdt::Record> state;  // after the join (as far as this job saw it)
  };
  std::vector<Applied> applied;
  uint64_t conflicts_created = 0;
};

namespace {

void AddRejection(rapport::v1::PushAck& ack, const std::string& record_id,
                  const absl::Status& status) {
  rapport::v1::Rejection* rejection = ack.add_rejections();
  rejection->set_record_id(record_id);
  rejection->set_code(static_cast<int32_t>(status.code()));
  rejection->set_message(std::string(status.message()));
}

}  // namespace

// Validates every delta here; the valid ones are joined in the next group commit and the
// others rejected in the PushAck.
absl::Status SessionReactor::HandlePush(const rapport::v1::Push& push) {
  if (!hello_seen_) return absl::FailedPreconditionError("Push before Hello");
  metrics_.AddPushBatches(1);
  pushed_records_ += push.deltas_size();
  auto work = std::make_shared<PushWork>();
  rapport::v1::PushAck* ack = work->out.mutable_push_ack();
  ack->set_batch_id(push.batch_id());
  work->valid.reserve(push.deltas_size());
  for (const rapport::v1::RecordState& state : push.deltas()) {
    absl::StatusOr<crdt::Record> delta = crdt::RecordFromProto(state);
    absl::Status status = delta.ok() ? schema_.ValidateDelta(*delta) : delta.status();
    if (status.ok() && delta->id().is_nil()) {
      status = absl::InvalidArgumentError("delta without a record id");
    }
    if (!status.ok()) {
      absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(state.id());
      AddRejection(*ack, id.ok() ? id->ToString() : "", status);
      continue;
    }
    work->valid.push_back(*std::move(delta));
  }
  if (work->valid.empty()) {
    PushCommitted(absl::OkStatus(), CommitGroup(), *work);
    return absl::OkStatus();
  }
  commits_.Submit(
      [self = shared_from_this(), work](store::WriteTransaction& txn, CommitGroup& group) {
        return self->WritePush(txn, group, *work);
      },
      [self = shared_from_this(), work](const absl::Status& status, const CommitGroup& group) {
        self->PushCommitted(status, group, *work);
      });
  return absl::OkStatus();
}

// Scope checks read the stored record, so they run inside the write that applies the delta:
// nothing can change the record between the check and the join.
absl::Status SessionReactor::WritePush(store::WriteTransaction& txn, CommitGroup& group,
                                       PushWork& work) const {
  work.refused.clear();
  work.applied.clear();
  work.conflicts_created = 0;
  std::vector<crdt::RecordId> held;
  for (const crdt::Record& delta : work.valid) {
    absl::Status allowed = CheckPush(txn, delta);
    if (!allowed.ok()) {
      work.refused.emplace_back(delta.id(), std::move(allowed));
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<crdt::Record> before, txn.Get(delta.id()));
    RETURN_IF_ERROR(txn.ApplyRemote(delta));
    ASSIGN_OR_RETURN(std::optional<crdt::Record> after, txn.Get(delta.id()));
    if (after && after->HasConflicts() && !(before && before->HasConflicts())) {
      ++work.conflicts_created;
    }
    group.Touched(delta.id());
    const uint64_t after_seq = after ? after->MaxSeq() : 0;
    work.applied.push_back(
        {delta.id(), before ? before->MaxSeq() : 0, after_seq, std::move(after)});
    held.push_back(delta.id());
  }
  // The client holds what it pushed: if the record later leaves its scope, it must be told.
  if (tracked()) RETURN_IF_ERROR(MarkDelivered(txn, held));
  return absl::OkStatus();
}

void SessionReactor::PushCommitted(const absl::Status& status, const CommitGroup& group,
                                   PushWork& work) {
  if (!status.ok()) {
    Fail(status);
    return;
  }
  rapport::v1::PushAck* ack = work.out.mutable_push_ack();
  metrics_.AddDeltasApplied(work.valid.size() - work.refused.size());
  metrics_.AddConflictsCreated(work.conflicts_created);
  for (const auto& [id, refusal] : work.refused) AddRejection(*ack, id.ToString(), refusal);
  for (const PushWork::Applied& a : work.applied) {
    // A record another session's push joined in the same commit shares its new seq with this
    // one: that seq is not this client's change alone, so it is not an echo, and the state this
    // job saw is not the one committed at that seq.
    if (group.SharedWithAnotherJob(a.id)) continue;
    pushed_.Remember(a.id, a.before, a.after);
    // Committed now: the scope facts of the new state hold for its seq (ScopeCache).
    if (a.state) scopes_.Put(facts_of_, *a.state);
  }
  rejected_records_ += ack->rejections_size();
  metrics_.AddRejections(ack->rejections_size());
  grpc::ByteBuffer bytes = Serialize(work.out);
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(bytes));
    handling_ = false;
  }
  MaybeRead();
  Pump();
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

bool SessionReactor::tracked() const {
  // Admins see everything: nothing to revoke.
  return pass_->scope().has_value() && !pass_->is_admin();
}

std::string SessionReactor::DeliveredKey(const crdt::RecordId& id) const {
  return absl::StrCat("delivered/", client_replica_, "/", AV(id.bytes()));
}

bool SessionReactor::HeldByClient(const crdt::RecordId& id) const {
  absl::StatusOr<std::optional<std::string>> mark = store_.GetAux(DeliveredKey(id));
  // On a read error, tell the client to purge: purging what it may not hold is harmless.
  return !mark.ok() || mark->has_value();
}

absl::Status SessionReactor::MarkDelivered(store::WriteTransaction& txn,
                                           const std::vector<crdt::RecordId>& ids) const {
  for (const crdt::RecordId& id : ids) RETURN_IF_ERROR(txn.PutAux(DeliveredKey(id), ""));
  return absl::OkStatus();
}

grpc::ByteBuffer SessionReactor::Serialize(const ServerMessage& message) {
  grpc::ByteBuffer bytes;
  bool own_buffer = false;
  grpc::SerializationTraits<ServerMessage>::Serialize(message, &bytes, &own_buffer);
  return bytes;
}

void SessionReactor::Pump() {
  enum class Next { kWrite, kPull, kFinish } next;
  store::FeedCheckpoint from;
  std::vector<crdt::RecordId> refetch;
  grpc::Status finish;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || writing_) return;
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      bytes_out_ += current_.Length();
      metrics_.AddBytesSent(current_.Length());
      writing_ = true;
      next = Next::kWrite;
    } else if (starting_read_) {
      return;  // MaybeRead pumps again once StartRead has returned: no Finish before that
    } else if (pending_finish_) {
      finish = *pending_finish_;
      next = Next::kFinish;
    } else if (pull_active_ && !pull_generating_) {
      pull_generating_ = true;
      from = pull_from_;
      refetch.swap(refetch_);
      next = Next::kPull;
    } else if (read_done_ && !handling_ && !pull_generating_ && (!pull_active_ || live_)) {
      next = Next::kFinish;
    } else {
      return;
    }
    if (next == Next::kFinish) {
      finished_ = true;
      end_status_ =
          absl::Status(static_cast<absl::StatusCode>(finish.error_code()), finish.error_message());
    }
  }
  switch (next) {
    case Next::kWrite:
      StartWrite(&current_);
      return;
    case Next::kFinish:
      Finish(finish);
      return;
    case Next::kPull:
      workers_.Submit([self = shared_from_this(), from, refetch = std::move(refetch)]() mutable {
        self->ProducePull(from, std::move(refetch));
      });
      return;
  }
}

void SessionReactor::ProducePull(store::FeedCheckpoint from, std::vector<crdt::RecordId> refetch) {
  PullFilter filter;
  filter.pushed = &pushed_;
  const std::optional<auth::Scope>& scope = pass_->scope();
  if (tracked()) {
    filter.in_scope = [&scope](const crdt::Record& r) { return scope->Contains(r); };
    filter.known_in_scope = [this, &scope](const crdt::RecordId& id, uint64_t seq) {
      return scopes_.Contains(*scope, id, seq);
    };
    filter.learn = [this](const crdt::Record& r) { scopes_.Put(facts_of_, r); };
    // A client at the very start of the feed holds nothing from this server yet.
    if (from.position > 0) {
      filter.held_by_client = [this](const crdt::RecordId& id) { return HeldByClient(id); };
    }
  }
  absl::StatusOr<PullBatch> batch =
      refetch.empty()
          ? NextPullBatch(store_, from,
                          PullBatchBytes(options_, static_cast<size_t>(std::max<int64_t>(
                                                       1, metrics_.Snapshot().sessions_open))),
                          filter)
          : RefetchBatch(store_, refetch, from, filter);
  if (!batch.ok() || !tracked() || batch->sent.empty()) {
    PullReady(std::move(batch));
    return;
  }
  // Durably note what the client is about to hold before sending it: a revocation must not
  // depend on a mark a crash could lose.
  auto pending = std::make_shared<absl::StatusOr<PullBatch>>(std::move(batch));
  commits_.Submit(
      [self = shared_from_this(), pending](store::WriteTransaction& txn, CommitGroup&) {
        return self->MarkDelivered(txn, (*pending)->sent);
      },
      [self = shared_from_this(), pending](const absl::Status& status, const CommitGroup&) {
        if (!status.ok()) *pending = status;
        self->workers_.Submit([self, pending] { self->PullReady(std::move(*pending)); });
      });
}

void SessionReactor::PullReady(absl::StatusOr<PullBatch> batch) {
  std::optional<grpc::ByteBuffer> bytes;
  if (batch.ok()) bytes = Serialize(batch->message);
  {
    absl::MutexLock lock(&mu_);
    pull_generating_ = false;
    if (!batch.ok()) {
      queue_.clear();
      pull_active_ = false;
      live_ = false;
      if (!pending_finish_) pending_finish_ = ToGrpc(batch.status());
    } else if (!pull_active_) {
      // failed or cancelled meanwhile
    } else if (batch->message.has_caught_up() && hold_caught_up_) {
      pull_active_ = false;  // HandlePushDone resumes the scan from pull_from_
    } else {
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
      queue_.push_back(*std::move(bytes));
    }
  }
  Pump();
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
