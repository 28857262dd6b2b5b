// The sync server's Prometheus metrics: counters and a gauge that SyncService updates as
// sessions run, plus gauges computed when scraped (per-peer checkpoint lag and last-seen time,
// store size and record count) through callbacks. RenderPrometheus writes them all in the text
// exposition format, version 0.0.4, which MetricsHttpServer serves at /metrics.
//
//   rapport_sessions_open                       gauge    sync sessions open now
//   rapport_sessions_total                      counter  sessions started
//   rapport_push_batches_total                  counter  Push messages received
//   rapport_pull_batches_total                  counter  Pull messages sent
//   rapport_deltas_applied_total                counter  pushed deltas stored
//   rapport_rejections_total                    counter  pushed deltas refused
//   rapport_conflicts_created_total             counter  value fields that became conflicted
//   rapport_received_bytes_total                counter  serialized message bytes in
//   rapport_sent_bytes_total                    counter  serialized message bytes out
//   rapport_peer_checkpoint_lag{peer}           gauge    (SetPeerStats) server seqs behind head
//   rapport_peer_last_seen_timestamp_seconds{peer} gauge (SetPeerStats) Unix seconds
//   rapport_store_size_bytes, rapport_store_records  gauges (SetStoreStats)
//
// Thread-safe: every method may be called from any thread concurrently. The counters are
// relaxed atomics (a scrape sees each one at some recent value, not one consistent snapshot of
// all of them, as every Prometheus client library does); the callback registry is under a mutex.
// Gauge callbacks run on the scraping thread, outside that mutex, possibly concurrently with
// each other: they must be thread-safe themselves and should be cheap.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace rapport::server {

// One sample of a gauge computed at scrape time: values for the gauge's label names, in order.
struct GaugeSample {
  std::vector<std::string> label_values;
  double value = 0;
};

// What a peer's gauges report (SyncMetrics::SetPeerStats).
struct PeerStats {
  std::string peer;  // label `peer`: the peer's replica id or name
  // How many server seqs the peer's pull checkpoint is behind the server's head.
  uint64_t checkpoint_lag = 0;
  // When a session with the peer last ended or made progress, Unix seconds (fractions allowed).
  double last_seen_unix_seconds = 0;
};

// What the store gauges report (SyncMetrics::SetStoreStats).
struct StoreStats {
  uint64_t size_bytes = 0;  // bytes the store's files take on disk
  uint64_t records = 0;
};

class SyncMetrics {
 public:
  // The counters and the gauge at one moment (each read separately; see the class comment).
  struct Counters {
    int64_t sessions_open = 0;
    uint64_t sessions = 0;
    uint64_t push_batches = 0;
    uint64_t pull_batches = 0;
    uint64_t deltas_applied = 0;
    uint64_t rejections = 0;
    uint64_t conflicts_created = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_sent = 0;
  };

  SyncMetrics() = default;
  SyncMetrics(const SyncMetrics&) = delete;
  SyncMetrics& operator=(const SyncMetrics&) = delete;

  // A session began (rapport_sessions_open up, rapport_sessions_total up) or ended (open down).
  // Call SessionEnded exactly once for every SessionStarted.
  void SessionStarted();
  void SessionEnded();

  void AddPushBatches(uint64_t n = 1) { Add(push_batches_, n); }
  void AddPullBatches(uint64_t n = 1) { Add(pull_batches_, n); }
  // Pushed deltas joined into the store (rejected ones excluded).
  void AddDeltasApplied(uint64_t n) { Add(deltas_applied_, n); }
  // Pushed deltas refused and listed in a PushAck.
  void AddRejections(uint64_t n) { Add(rejections_, n); }
  // Value fields that gained concurrent siblings (a new conflict) through a push.
  void AddConflictsCreated(uint64_t n) { Add(conflicts_created_, n); }
  // Serialized message bytes read from and written to clients.
  void AddBytesReceived(uint64_t n) { Add(bytes_received_, n); }
  void AddBytesSent(uint64_t n) { Add(bytes_sent_, n); }

  Counters Snapshot() const;

  // Registers the gauge `name`, computed by `samples` at every scrape, with one label per entry
  // of `label_names` (none for a plain gauge). InvalidArgument for a name that is not a valid
  // Prometheus name starting with "rapport_", an invalid or reserved ("__" prefix) label name,
  // or an empty callback; AlreadyExists if the name is taken. Samples whose number of label
  // values differs from `label_names` are left out of the output with a comment saying so.
  absl::Status AddGauge(std::string name, std::string help, std::vector<std::string> label_names,
                        std::function<std::vector<GaugeSample>()> samples);

  // The standard scrape-time gauges, by name; each may be set once (AlreadyExists after). The
  // callback runs once per scrape.
  //   rapport_peer_checkpoint_lag{peer}, rapport_peer_last_seen_timestamp_seconds{peer}
  absl::Status SetPeerStats(std::function<std::vector<PeerStats>()> peers);
  //   rapport_store_size_bytes, rapport_store_records
  absl::Status SetStoreStats(std::function<StoreStats()> store);

  // Every metric in the Prometheus text format 0.0.4: the built-in ones first, in a fixed
  // order, then the registered gauges in registration order.
  std::string RenderPrometheus() const;

 private:
  struct GaugeFamily {
    std::string name;
    std::string help;
    std::vector<std::string> label_names;
  };
  // One callback computing the samples of one or more gauges (outer vector: one entry per
  // family, in order), so that SetPeerStats reads its peers once per scrape for both gauges.
  struct GaugeCollector {
    std::vector<GaugeFamily> families;
    std::function<std::vector<std::vector<GaugeSample>>()> collect;
  };

  // Registers all of the collector's gauges or, with the error AddGauge describes, none.
  absl::Status AddCollector(GaugeCollector collector);

  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    // Relaxed: each counter is independent and only ever read for reporting.
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  std::atomic<int64_t> sessions_open_{0};
  std::atomic<uint64_t> sessions_{0};
  std::atomic<uint64_t> push_batches_{0};
  std::atomic<uint64_t> pull_batches_{0};
  std::atomic<uint64_t> deltas_applied_{0};
  std::atomic<uint64_t> rejections_{0};
  std::atomic<uint64_t> conflicts_created_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> bytes_sent_{0};

  mutable absl::Mutex mutex_;
  std::vector<GaugeCollector> collectors_ ABSL_GUARDED_BY(mutex_);
};

// Prometheus text-format helpers, exposed for tests and for other exporters.
// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string EscapePrometheusLabelValue(std::string_view value);
// HELP text with backslash and newline escaped (\\, \n).
std::string EscapePrometheusHelp(std::string_view help);
// A sample value: integers without a decimal point, others in the shortest form that reads
// back exactly; NaN, +Inf and -Inf spelled as Prometheus does.
std::string FormatPrometheusValue(double value);

}  // namespace rapport::server
