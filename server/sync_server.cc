#include "server/sync_server.h"

#include <chrono>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client-lib/src/sync/session_loop.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#ifdef RAPPORT_HAVE_GRPC_REFLECTION
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#endif

namespace rapport::server {

absl::StatusOr<std::unique_ptr<SyncServer>> SyncServer::Start(ServerOptions options) {
  std::unique_ptr<SyncServer> server(new SyncServer());
  if (!options.schema_file.empty()) {
    ASSIGN_OR_RETURN(server->schema_, schema::Schema::LoadFile(options.schema_file));
  }
  std::optional<sync_internal::SyncSchedule> schedule;
  if (!options.upstream.address.empty()) {
    ASSIGN_OR_RETURN(schedule, sync_internal::SyncSchedule::Parse(options.upstream.schedule));
  }
  store::StoreOptions store_options;
  store_options.indexes = server->schema_.Indexer();
  store_options.schema_hash = server->schema_.Hash();
  ASSIGN_OR_RETURN(server->store_,
                   store::RecordStore::Open(options.data_dir, std::move(store_options)));
  server->service_ = std::make_unique<SyncService>(
      *server->store_, server->schema_,
      SyncServiceOptions{.max_pull_batch_bytes = options.max_pull_batch_bytes});

  grpc::EnableDefaultHealthCheckService(true);
#ifdef RAPPORT_HAVE_GRPC_REFLECTION
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
#endif
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, 16 << 10);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 4000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Notice dead clients too, so their sessions (and live registrations) do not linger.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->port_ = selected_port;
  const size_t colon = options.listen.rfind(':');
  server->address_ = absl::StrCat(options.listen.substr(0, colon == std::string::npos ? 0 : colon),
                                  ":", selected_port);
  if (schedule) {
    // A branch is a client of head office with its whole store as scope.
    SyncOptions upstream;
    upstream.token = options.upstream.token;
    upstream.tls_root_ca_pem = options.upstream.tls_root_ca_pem;
    server->upstream_ = std::make_unique<sync_internal::SessionLoop>(
        *server->store_, server->schema_, options.upstream.address, std::move(upstream), *schedule);
    server->upstream_->Start();
  }
  return server;
}

SyncServer::~SyncServer() { Shutdown(0); }

absl::StatusOr<SyncSummary> SyncServer::SyncUpstreamNow() {
  if (upstream_ == nullptr) {
    return absl::FailedPreconditionError("this server has no upstream configured");
  }
  return upstream_->RunOnce();
}

void SyncServer::Shutdown(int grace_ms) {
  if (upstream_ != nullptr) upstream_->Stop();
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  server_->Wait();
}

void SyncServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace rapport::server
