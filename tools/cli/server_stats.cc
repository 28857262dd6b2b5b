#include "tools/cli/server_stats.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tools/cli/json_value.h"
#include "tools/cli/text_table.h"

namespace rapport::cli {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const ServerFlags& flags) {
  if (flags.ca_file.empty()) {
    return grpc::CreateChannel(flags.server, grpc::InsecureChannelCredentials());
  }
  std::ifstream in(flags.ca_file);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read CA file '", flags.ca_file, "'"));
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::CreateChannel(flags.server, grpc::SslCredentials(ssl));
}

void Prepare(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

absl::Status RunServerStats(const ServerFlags& flags, bool json) {
  std::string token = flags.token;
  if (token.empty()) {
    if (const char* env = std::getenv("RAPPORT_TOKEN")) token = env;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, Connect(flags));
  auto stub = rapport::v1::Admin::NewStub(channel);
  rapport::v1::GetStatsReply stats;
  {
    grpc::ClientContext context;
    Prepare(context, token);
    RETURN_IF_ERROR(FromGrpc(stub->GetStats(&context, {}, &stats)));
  }
  rapport::v1::ListPeersReply peers;
  {
    grpc::ClientContext context;
    Prepare(context, token);
    RETURN_IF_ERROR(FromGrpc(stub->ListPeers(&context, {}, &peers)));
  }
  if (json) {
    JsonValue out;
    out.Set("server", flags.server);
    out.Set("replica_id", stats.replica_id());
    out.Set("records", stats.records());
    out.Set("postings", stats.postings());
    out.Set("last_seq", stats.last_seq());
    out.Set("used_bytes", stats.used_bytes());
    out.Set("map_bytes", stats.map_bytes());
    out.Set("sessions_open", stats.sessions_open());
    JsonValue::Array list;
    for (const rapport::v1::Peer& p : peers.peers()) {
      JsonValue peer;
      peer.Set("peer", p.name());
      peer.Set("subject", p.subject());
      peer.Set("pull_base", p.pull_base());
      peer.Set("pull_position", p.pull_position());
      peer.Set("push_base", p.push_base());
      peer.Set("push_position", p.push_position());
      peer.Set("last_seen_unix_ms", p.last_seen_unix_ms());
      list.push_back(std::move(peer));
    }
    out.Set("peers", JsonValue(std::move(list)));
    std::cout << out.Serialize() << "\n";
    return absl::OkStatus();
  }
  std::cout << "server " << flags.server << " (replica " << stats.replica_id() << ")\n"
            << "records " << stats.records() << ", postings " << stats.postings() << ", last seq "
            << stats.last_seq() << ", " << stats.used_bytes() << " bytes used, "
            << stats.sessions_open() << " sessions open\n";
  for (const rapport::v1::Peer& p : peers.peers()) {
    std::cout << "  " << p.name() << (p.subject().empty() ? "" : " (" + p.subject() + ")")
              << ": pulled up to " << p.pull_position() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace rapport::cli
