// A small HTTP server for Prometheus scrapes: GET /metrics answers with whatever `render`
// returns (content type "text/plain; version=0.0.4"); every other path gets 404. It runs on its
// own threads (a listener and a pool of two workers) so a scrape never waits on gRPC.
//
// Thread-safe: port() and address() may be called from any thread; Stop may be called from
// any thread, once or more (the destructor stops). `render` runs on the worker threads, possibly
// twice at once, and must be thread-safe (SyncMetrics::RenderPrometheus is).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rapport::server {

class MetricsHttpServer {
 public:
  // Binds `address` ("host:port", "[v6 host]:port"; port 0 lets the OS choose, see port())
  // and starts serving. InvalidArgument for a malformed address or an empty `render`;
  // Unavailable, naming the address, if it cannot be bound (in use, or not a local address).
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      std::string address, std::function<std::string()> render);
  // Stops (as Stop does).
  ~MetricsHttpServer();

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port actually bound.
  int port() const;
  // "host:port" with the port actually bound (the host as given).
  const std::string& address() const;

  // Closes the listening socket and waits for requests in progress to finish. A client holding
  // an idle keep-alive connection delays this by at most a second.
  void Stop();

  // Defined in metrics_http_server.cc, which keeps the HTTP library out of this header. Use
  // Start; the constructor is public only so that Start can use std::make_unique.
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport::server
