#include "server/admin_service.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"

namespace rapport::server {
namespace {

// Runs `body` for an admitted admin caller and finishes the call with its status.
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, SessionGate& gate,
                                const std::function<absl::Status()>& body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(SessionGate::Pass pass, gate.Admit(*context, /*counted=*/false));
    if (!pass.is_admin()) {
      return absl::PermissionDeniedError(
          absl::StrCat("Admin calls need the admin role; this token is ", pass.who()));
    }
    return body();
  }();
  reactor->Finish(
      grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message())));
  return reactor;
}

absl::StatusOr<crdt::RecordId> ParseId(const std::string& text) {
  absl::StatusOr<crdt::RecordId> id = crdt::RecordId::Parse(text);
  if (!id.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("record_id '", text, "' is not a record id: ", id.status().message()));
  }
  return id;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetStats(grpc::CallbackServerContext* context,
                                                 const rapport::v1::GetStatsRequest* request,
                                                 rapport::v1::GetStatsReply* reply) {
  return Serve(context, gate_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const store::StoreStats stats, store_.Stats());
    reply->set_replica_id(absl::StrCat(absl::Hex(store_.replica_id(), absl::kZeroPad16)));
    reply->set_records(stats.records);
    reply->set_postings(stats.postings);
    reply->set_last_seq(stats.last_seq);
    reply->set_used_bytes(stats.used_bytes);
    reply->set_map_bytes(stats.map_bytes);
    reply->set_sessions_open(sync_.open_sessions());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::ListPeers(grpc::CallbackServerContext* context,
                                                  const rapport::v1::ListPeersRequest* request,
                                                  rapport::v1::ListPeersReply* reply) {
  return Serve(context, gate_, [&]() -> absl::Status {
    for (const ClientPeer& client : peers_.Snapshot()) {
      rapport::v1::Peer* peer = reply->add_peers();
      peer->set_name(absl::StrCat("client:", client.replica));
      peer->set_pull_base(client.pull_checkpoint);
      peer->set_pull_position(client.pull_checkpoint);
      peer->set_last_seen_unix_ms(absl::ToUnixMillis(client.last_seen));
      peer->set_subject(client.subject);
    }
    ASSIGN_OR_RETURN(const auto upstreams, store_.Peers("server:"));
    for (const auto& [name, checkpoint] : upstreams) {
      rapport::v1::Peer* peer = reply->add_peers();
      peer->set_name(name);
      peer->set_pull_base(checkpoint.pull.base);
      peer->set_pull_position(checkpoint.pull.position);
      peer->set_push_base(checkpoint.push.base);
      peer->set_push_position(checkpoint.push.position);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::GetRecord(grpc::CallbackServerContext* context,
                                                  const rapport::v1::GetRecordRequest* request,
                                                  rapport::v1::GetRecordReply* reply) {
  return Serve(context, gate_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const crdt::RecordId id, ParseId(request->record_id()));
    ASSIGN_OR_RETURN(std::optional<crdt::Record> record, store_.Get(id));
    if (!record) return absl::NotFoundError(absl::StrCat("record ", id.ToString(), " not found"));
    crdt::RecordToProto(*record, reply->mutable_record());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::EraseRecord(grpc::CallbackServerContext* context,
                                                    const rapport::v1::EraseRecordRequest* request,
                                                    rapport::v1::EraseRecordReply* reply) {
  return Serve(context, gate_, [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const crdt::RecordId id, ParseId(request->record_id()));
    ASSIGN_OR_RETURN(store::ChangeSet changes,
                     store_.Write([&](store::WriteTransaction& txn) -> absl::Status {
                       ASSIGN_OR_RETURN(crdt::RecordEdit * edit, txn.Edit(id));
                       edit->Erase();
                       return absl::OkStatus();
                     }));
    reply->set_seq(changes.last_seq);
    return absl::OkStatus();
  });
}

}  // namespace rapport::server
