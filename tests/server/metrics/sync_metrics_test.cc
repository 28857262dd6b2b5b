#include "server/metrics/sync_metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rapport::server {
namespace {

using ::testing::HasSubstr;

TEST(SyncMetricsTest, RendersExactExpositionText) {
  SyncMetrics metrics;
  metrics.SessionStarted();
  metrics.SessionStarted();
  metrics.SessionEnded();
  metrics.AddPushBatches(3);
  metrics.AddPullBatches();
  metrics.AddDeltasApplied(41);
  metrics.AddRejections(2);
  metrics.AddConflictsCreated(1);
  metrics.AddBytesReceived(18446744073709551615ull);  // exact even above 2^53
  metrics.AddBytesSent(5000);
  ASSERT_TRUE(metrics
                  .SetPeerStats([] {
                    return std::vector<PeerStats>{
                        {"0123456789abcdef", 7, 1772442000.25},
                        {"branch \"A\"\\east\nwing", 0, 1772442000},
                    };
                  })
                  .ok());
  ASSERT_TRUE(metrics.SetStoreStats([] { return StoreStats{1048576, 20000}; }).ok());

  EXPECT_EQ(metrics.RenderPrometheus(),
            R"(# HELP rapport_sessions_open Sync sessions currently open.
# TYPE rapport_sessions_open gauge
rapport_sessions_open 1
# HELP rapport_sessions_total Sync sessions started.
# TYPE rapport_sessions_total counter
rapport_sessions_total 2
# HELP rapport_push_batches_total Push batches received from clients.
# TYPE rapport_push_batches_total counter
rapport_push_batches_total 3
# HELP rapport_pull_batches_total Pull batches sent to clients.
# TYPE rapport_pull_batches_total counter
rapport_pull_batches_total 1
# HELP rapport_deltas_applied_total Pushed record deltas joined into the store.
# TYPE rapport_deltas_applied_total counter
rapport_deltas_applied_total 41
# HELP rapport_rejections_total Pushed record deltas refused.
# TYPE rapport_rejections_total counter
rapport_rejections_total 2
# HELP rapport_conflicts_created_total Value fields that gained concurrent versions through a push.
# TYPE rapport_conflicts_created_total counter
rapport_conflicts_created_total 1
# HELP rapport_received_bytes_total Serialized sync message bytes received from clients.
# TYPE rapport_received_bytes_total counter
rapport_received_bytes_total 18446744073709551615
# HELP rapport_sent_bytes_total Serialized sync message bytes sent to clients.
# TYPE rapport_sent_bytes_total counter
rapport_sent_bytes_total 5000
# HELP rapport_peer_checkpoint_lag Server seqs a peer's pull checkpoint is behind the server's head, per peer.
# TYPE rapport_peer_checkpoint_lag gauge
rapport_peer_checkpoint_lag{peer="0123456789abcdef"} 7
rapport_peer_checkpoint_lag{peer="branch \"A\"\\east\nwing"} 0
# HELP rapport_peer_last_seen_timestamp_seconds When a peer was last seen in a sync session, Unix time in seconds.
# TYPE rapport_peer_last_seen_timestamp_seconds gauge
rapport_peer_last_seen_timestamp_seconds{peer="0123456789abcdef"} 1772442000.25
rapport_peer_last_seen_timestamp_seconds{peer="branch \"A\"\\east\nwing"} 1772442000
# HELP rapport_store_size_bytes Bytes the server's record store takes on disk.
# TYPE rapport_store_size_bytes gauge
rapport_store_size_bytes 1048576
# HELP rapport_store_records Records in the server's store.
# TYPE rapport_store_records gauge
rapport_store_records 20000
)");
}

TEST(SyncMetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapePrometheusLabelValue("plain-value_1"), "plain-value_1");
  EXPECT_EQ(EscapePrometheusLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(EscapePrometheusLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapePrometheusLabelValue("a\nb"), "a\\nb");
  EXPECT_EQ(EscapePrometheusLabelValue("Zürich {x=1}"), "Zürich {x=1}");
  // HELP escapes backslash and newline only: quotes are literal there.
  EXPECT_EQ(EscapePrometheusHelp("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
}

TEST(SyncMetricsTest, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(FormatPrometheusValue(0), "0");
  EXPECT_EQ(FormatPrometheusValue(-3), "-3");
  EXPECT_EQ(FormatPrometheusValue(1.5), "1.5");
  EXPECT_EQ(FormatPrometheusValue(0.1), "0.1");
  EXPECT_EQ(FormatPrometheusValue(1772442000.123), "1772442000.123");
  EXPECT_EQ(FormatPrometheusValue(1e300), "1e+300");
  EXPECT_EQ(FormatPrometheusValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatPrometheusValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatPrometheusValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(SyncMetricsTest, GaugeWithSeveralLabels) {
  SyncMetrics metrics;
  ASSERT_TRUE(metrics
                  .AddGauge("rapport_queue_depth", "Messages queued.", {"peer", "kind"},
                            [] {
                              return std::vector<GaugeSample>{{{"p1", "pull"}, 3},
                                                              {{"p1"}, 4}};  // one value short
                            })
                  .ok());
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE rapport_queue_depth gauge\n"
                              "rapport_queue_depth{peer=\"p1\",kind=\"pull\"} 3\n"
                              "# rapport: left out a sample of rapport_queue_depth with 1 label "
                              "values for 2 label names\n"));
}

TEST(SyncMetricsTest, AddGaugeRefusesBadNamesAndDuplicates) {
  SyncMetrics metrics;
  auto gauge = [] { return std::vector<GaugeSample>{}; };
  EXPECT_EQ(metrics.AddGauge("store_records", "", {}, gauge).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("rapport_bad-name", "", {}, gauge).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("rapport_x", "", {"__reserved"}, gauge).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("rapport_x", "", {"1peer"}, gauge).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("rapport_x", "", {}, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("rapport_sessions_total", "", {}, gauge).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(metrics.AddGauge("rapport_x", "", {"peer"}, gauge).ok());
  EXPECT_EQ(metrics.AddGauge("rapport_x", "", {}, gauge).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(metrics.SetStoreStats([] { return StoreStats{}; }).ok());
  EXPECT_EQ(metrics.SetStoreStats([] { return StoreStats{}; }).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(SyncMetricsTest, PeerStatsAreReadOncePerScrape) {
  SyncMetrics metrics;
  int calls = 0;  // scrapes below run on this thread
  ASSERT_TRUE(metrics
                  .SetPeerStats([&calls] {
                    ++calls;
                    return std::vector<PeerStats>{{"p", 1, 2}};
                  })
                  .ok());
  metrics.RenderPrometheus();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(metrics.SetPeerStats([] { return std::vector<PeerStats>{}; }).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(SyncMetricsTest, RegistrationIsAllOrNothing) {
  SyncMetrics metrics;
  auto none = [] { return std::vector<GaugeSample>{}; };
  ASSERT_TRUE(metrics.AddGauge("rapport_store_records", "taken first", {}, none).ok());
  // rapport_store_size_bytes must not be left registered by the failed call.
  EXPECT_EQ(metrics.SetStoreStats([] { return StoreStats{}; }).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(metrics.AddGauge("rapport_store_size_bytes", "free", {}, none).ok());
}

TEST(SyncMetricsTest, CountsExactlyUnderConcurrentUpdates) {
  SyncMetrics metrics;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics.SessionStarted();
        metrics.AddBytesReceived(2);
        metrics.SessionEnded();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const SyncMetrics::Counters counters = metrics.Snapshot();
  EXPECT_EQ(counters.sessions_open, 0);
  EXPECT_EQ(counters.sessions, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(counters.bytes_received, uint64_t{2 * kThreads * kPerThread});
}

}  // namespace
}  // namespace rapport::server
