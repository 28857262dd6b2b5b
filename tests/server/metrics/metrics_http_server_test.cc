// MetricsHttpServer on an OS-chosen loopback port, answered by httplib's own client: real HTTP.
#include "server/metrics/metrics_http_server.h"

#include <memory>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/metrics/sync_metrics.h"

namespace rapport::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<MetricsHttpServer> StartOrFail(std::string address,
                                               std::function<std::string()> render) {
  auto server = MetricsHttpServer::Start(std::move(address), std::move(render));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

httplib::Result Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  return client.Get(path.c_str());
}

TEST(MetricsHttpServerTest, ServesCountersAtMetrics) {
  SyncMetrics metrics;
  metrics.SessionStarted();
  metrics.AddPushBatches(3);
  metrics.AddBytesSent(1234);
  auto server = StartOrFail("127.0.0.1:0", [&metrics] { return metrics.RenderPrometheus(); });
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));

  httplib::Result first = Get(server->port(), "/metrics");
  ASSERT_TRUE(first) << httplib::to_string(first.error());
  EXPECT_EQ(first->status, 200);
  EXPECT_THAT(first->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  EXPECT_THAT(first->body, HasSubstr("\nrapport_sessions_open 1\n"));
  EXPECT_THAT(first->body, HasSubstr("\nrapport_push_batches_total 3\n"));
  EXPECT_THAT(first->body, HasSubstr("\nrapport_sent_bytes_total 1234\n"));

  // Rendered per scrape, not cached.
  metrics.AddPushBatches(2);
  httplib::Result second = Get(server->port(), "/metrics");
  ASSERT_TRUE(second) << httplib::to_string(second.error());
  EXPECT_THAT(second->body, HasSubstr("\nrapport_push_batches_total 5\n"));
}

TEST(MetricsHttpServerTest, OtherPathsAreNotFound) {
  auto server = StartOrFail("127.0.0.1:0", [] { return std::string("x 1\n"); });
  ASSERT_NE(server, nullptr);
  for (const char* path : {"/", "/metricsx", "/metrics/extra", "/healthz"}) {
    httplib::Result result = Get(server->port(), path);
    ASSERT_TRUE(result) << path << ": " << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 404) << path;
    EXPECT_THAT(result->body, HasSubstr("only GET /metrics")) << path;
  }
}

TEST(MetricsHttpServerTest, AddressInUseIsUnavailable) {
  auto first = StartOrFail("127.0.0.1:0", [] { return std::string(); });
  ASSERT_NE(first, nullptr);
  // A second server on the same port must fail, not share the port (httplib's default socket
  // options set SO_REUSEPORT, which would let it bind).
  const std::string taken = "127.0.0.1:" + std::to_string(first->port());
  auto second = MetricsHttpServer::Start(taken, [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(taken));
  EXPECT_THAT(second.status().message(), HasSubstr("already in use"));
}

TEST(MetricsHttpServerTest, MalformedAddressIsInvalidArgument) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http", ":9464", "::1:0"}) {
    auto server = MetricsHttpServer::Start(address, [] { return std::string(); });
    ASSERT_FALSE(server.ok()) << address;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_THAT(server.status().message(), HasSubstr(address));
  }
  EXPECT_EQ(MetricsHttpServer::Start("127.0.0.1:0", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsHttpServerTest, RenderFailureIsServerErrorNotCrash) {
  auto server =
      StartOrFail("127.0.0.1:0", []() -> std::string { throw std::runtime_error("store gone"); });
  ASSERT_NE(server, nullptr);
  httplib::Result result = Get(server->port(), "/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 500);
  EXPECT_THAT(result->body, HasSubstr("store gone"));
}

TEST(MetricsHttpServerTest, StopClosesThePortAndIsIdempotent) {
  // Stop straight after Start: the listener thread may not have reached its accept loop yet.
  auto server = StartOrFail("127.0.0.1:0", [] { return std::string(); });
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server->Stop();
  server->Stop();
  httplib::Result result = Get(port, "/metrics");
  EXPECT_FALSE(result);
  // The port is free again: a new server can take it.
  auto again = StartOrFail("127.0.0.1:" + std::to_string(port), [] { return std::string(); });
  EXPECT_NE(again, nullptr);
}

}  // namespace
}  // namespace rapport::server
