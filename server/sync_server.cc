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
namespace {

// Whether `listen` ("host:port", "[v6]:port") names a loopback host.
bool IsLoopback(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SyncServer>> SyncServer::Start(ServerOptions options) {
  const bool loopback = IsLoopback(options.listen);
  if (!loopback && options.tls_cert_chain_pem.empty() && !options.allow_plaintext_non_loopback) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve plaintext on non-loopback address ", options.listen,
        ": configure tls { cert_file key_file }, or allow_plaintext_non_loopback: true behind a "
        "TLS-terminating proxy"));
  }
  if (!loopback && !options.auth.required) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve without authentication on non-loopback address ", options.listen));
  }
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
  ASSIGN_OR_RETURN(server->gate_, SessionGate::Create(options.auth, server->schema_));
  server->log_ = std::make_unique<SessionLog>(options.session_log_sink ? options.session_log_sink
                                                                       : StderrLogSink());
  server->service_ = std::make_unique<SyncService>(
      SessionEnv{.store = *server->store_,
                 .schema = server->schema_,
                 .options = SyncServiceOptions{.max_pull_batch_bytes = options.max_pull_batch_bytes,
                                               .pull_memory_budget_bytes =
                                                   options.pull_memory_budget_bytes},
                 .peers = server->peers_,
                 .metrics = server->metrics_,
                 .log = *server->log_},
      *server->gate_);
  server->admin_ = std::make_unique<AdminService>(*server->store_, *server->gate_, server->peers_,
                                                  *server->service_);

  grpc::EnableDefaultHealthCheckService(true);
#ifdef RAPPORT_HAVE_GRPC_REFLECTION
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
#endif
  grpc::ServerBuilder builder;
  int selected_port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.tls_cert_chain_pem.empty() != options.tls_private_key_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate chain and a private key");
  }
  if (!options.tls_cert_chain_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({options.tls_private_key_pem, options.tls_cert_chain_pem});
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort(options.listen, credentials, &selected_port);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->admin_.get());
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
  if (!options.metrics_listen.empty()) {
    RETURN_IF_ERROR(server->StartMetrics(options.metrics_listen));
  }
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

absl::Status SyncServer::StartMetrics(const std::string& address) {
  store::RecordStore& store = *store_;
  RETURN_IF_ERROR(metrics_.SetPeerStats([this, &store] {
    std::vector<PeerStats> out;
    const uint64_t head = store.last_seq();
    for (const ClientPeer& peer : peers_.Snapshot()) {
      out.push_back(
          {.peer = peer.replica,
           .checkpoint_lag = head > peer.pull_checkpoint ? head - peer.pull_checkpoint : 0,
           .last_seen_unix_seconds = absl::ToDoubleSeconds(peer.last_seen - absl::UnixEpoch())});
    }
    return out;
  }));
  RETURN_IF_ERROR(metrics_.SetStoreStats([&store] {
    absl::StatusOr<store::StoreStats> stats = store.Stats();
    return stats.ok() ? StoreStats{.size_bytes = stats->used_bytes, .records = stats->records}
                      : StoreStats{};
  }));
  ASSIGN_OR_RETURN(metrics_http_, MetricsHttpServer::Start(
                                      address, [this] { return metrics_.RenderPrometheus(); }));
  return absl::OkStatus();
}

SyncServer::~SyncServer() { Shutdown(0); }

absl::StatusOr<SyncSummary> SyncServer::SyncUpstreamNow() {
  if (upstream_ == nullptr) {
    return absl::FailedPreconditionError("this server has no upstream configured");
  }
  return upstream_->RunOnce();
}

void SyncServer::Shutdown(int grace_ms) {
  if (metrics_http_ != nullptr) metrics_http_->Stop();
  if (upstream_ != nullptr) upstream_->Stop();
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  server_->Wait();
}

void SyncServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace rapport::server
