// An embeddable Rapport sync server: one RecordStore (the default customer schema) served over
// gRPC by SyncService, plus gRPC health checking and (when built with it) server reflection.
// rapportd wraps it; tests run it in-process on an OS-chosen loopback port.
//
// Thread-safe: Shutdown may be called from any thread, once or more; the destructor shuts down.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "rapport/sync.h"
#include "server/admin_service.h"
#include "server/metrics/metrics_http_server.h"
#include "server/metrics/session_log.h"
#include "server/metrics/sync_metrics.h"
#include "server/peer_table.h"
#include "server/server_auth.h"
#include "server/session_gate.h"
#include "server/sync_service.h"

namespace grpc {
class Server;
}
namespace rapport::sync_internal {
class SessionLoop;
}

namespace rapport::server {

// Replication with an upstream server (a branch's head office).
struct UpstreamOptions {
  std::string address;                  // host:port; empty: no upstream
  std::string schedule = "continuous";  // see sync_internal::SyncSchedule::Parse
  std::string token;
  std::string tls_root_ca_pem;
};

struct ServerOptions {
  // host:port; port 0 lets the OS choose (see SyncServer::port()). Plaintext: loopback only
  // until TLS lands.
  std::string listen = "127.0.0.1:0";
  std::string data_dir = "./rapport-data";
  std::string schema_file;  // empty: the built-in customer schema
  UpstreamOptions upstream;
  // Where rapportd's auth keys come from (server_auth.h PrepareAuth; SyncServer ignores it).
  AuthFiles auth_files;
  // Prometheus /metrics over HTTP on this host:port; empty: off.
  std::string metrics_listen;
  // Where the session_start / session_end lines go; empty: standard error.
  LogSink session_log_sink;
  // Bearer tokens and scopes (docs/security.md). The default asks for tokens but holds no key:
  // SyncServer::Start then refuses, so every server is configured explicitly (rapportd's
  // embedded default makes a key in its data directory).
  AuthOptions auth;
  // TLS: this server's PEM certificate chain and private key; both empty means plaintext, which
  // Start refuses on a non-loopback address unless allow_plaintext_non_loopback (a deployment
  // behind a TLS-terminating proxy).
  std::string tls_cert_chain_pem;
  std::string tls_private_key_pem;
  bool allow_plaintext_non_loopback = false;
  size_t max_pull_batch_bytes = 1 << 20;
  size_t pull_memory_budget_bytes = 64 << 20;  // see SyncServiceOptions
  // Explicit limits (Debian's gRPC 1.51 predates several DoS fixes; docs/protocol.md).
  int max_receive_message_bytes = 4 << 20;
  int max_concurrent_streams = 100;
};

class SyncServer {
 public:
  // Opens (creating) the store in options.data_dir and starts serving. FailedPrecondition if
  // the store cannot be opened, Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<SyncServer>> Start(ServerOptions options);
  ~SyncServer();

  SyncServer(const SyncServer&) = delete;
  SyncServer& operator=(const SyncServer&) = delete;

  int port() const { return port_; }
  // "host:port" with the port actually bound.
  const std::string& address() const { return address_; }
  store::RecordStore& store() { return *store_; }
  const schema::Schema& schema() const { return schema_; }

  // One sync session with the upstream now, on the calling thread (any schedule).
  // FailedPrecondition if the server has no upstream.
  absl::StatusOr<SyncSummary> SyncUpstreamNow();

  // Stops accepting calls, cancels the calls still running after `grace_ms` and waits for them
  // to end. The store stays open until destruction.
  void Shutdown(int grace_ms = 2000);
  // The metrics HTTP endpoint's port (0 if off), and the counters.
  int metrics_port() const { return metrics_http_ ? metrics_http_->port() : 0; }
  const SyncMetrics& metrics() const { return metrics_; }

  // Blocks until Shutdown has been called (from another thread) and has finished.
  void Wait();

 private:
  SyncServer() = default;
  absl::Status StartMetrics(const std::string& address);

  schema::Schema schema_ = schema::Schema::DefaultCustomer();
  std::unique_ptr<store::RecordStore> store_;  // outlives everything below (declared first)
  std::unique_ptr<SessionGate> gate_;
  SyncMetrics metrics_;
  std::unique_ptr<SessionLog> log_;
  PeerTable peers_;
  std::unique_ptr<SyncService> service_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<sync_internal::SessionLoop> upstream_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;  // first to stop: it reads the others
  int port_ = 0;
  std::string address_;
};

}  // namespace rapport::server
