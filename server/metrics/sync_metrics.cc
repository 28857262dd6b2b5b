#include "server/metrics/sync_metrics.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"

namespace rapport::server {
namespace {

// Text exposition format 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/
constexpr std::string_view kNamePrefix = "rapport_";

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  // Like a metric name without ':'; names starting with "__" are reserved for Prometheus.
  return IsMetricName(name) && name.find(':') == std::string_view::npos &&
         name.substr(0, 2) != "__";
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  absl::StrAppend(&out, "# HELP ", AV(name), " ", EscapePrometheusHelp(help), "\n", "# TYPE ",
                  AV(name), " ", AV(type), "\n");
}

void AppendCounter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  AppendHeader(out, name, help, "counter");
  // Printed from the integer: a double would round byte counts above 2^53.
  absl::StrAppend(&out, AV(name), " ", value, "\n");
}

// The built-in metric names, reserved against AddGauge.
constexpr std::string_view kBuiltinNames[] = {
    "rapport_sessions_open",           "rapport_sessions_total",       "rapport_push_batches_total",
    "rapport_pull_batches_total",      "rapport_deltas_applied_total", "rapport_rejections_total",
    "rapport_conflicts_created_total", "rapport_received_bytes_total", "rapport_sent_bytes_total",
};

}  // namespace

std::string EscapePrometheusLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapePrometheusHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatPrometheusValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers (counts, bytes, seconds) read best without an exponent or ".0".
  if (value == std::trunc(value) && std::fabs(value) < 9.0e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return "NaN";  // cannot happen: 64 bytes hold any double
  return std::string(buffer, end);
}

void SyncMetrics::SessionStarted() {
  sessions_open_.fetch_add(1, std::memory_order_relaxed);
  sessions_.fetch_add(1, std::memory_order_relaxed);
}

void SyncMetrics::SessionEnded() { sessions_open_.fetch_sub(1, std::memory_order_relaxed); }

SyncMetrics::Counters SyncMetrics::Snapshot() const {
  Counters c;
  c.sessions_open = sessions_open_.load(std::memory_order_relaxed);
  c.sessions = sessions_.load(std::memory_order_relaxed);
  c.push_batches = push_batches_.load(std::memory_order_relaxed);
  c.pull_batches = pull_batches_.load(std::memory_order_relaxed);
  c.deltas_applied = deltas_applied_.load(std::memory_order_relaxed);
  c.rejections = rejections_.load(std::memory_order_relaxed);
  c.conflicts_created = conflicts_created_.load(std::memory_order_relaxed);
  c.bytes_received = bytes_received_.load(std::memory_order_relaxed);
  c.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  return c;
}

absl::Status SyncMetrics::AddGauge(std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   std::function<std::vector<GaugeSample>()> samples) {
  if (!samples) {
    return absl::InvalidArgumentError(absl::StrCat("gauge ", name, ": no callback given"));
  }
  GaugeCollector collector;
  collector.families.push_back({std::move(name), std::move(help), std::move(label_names)});
  collector.collect = [samples = std::move(samples)] {
    return std::vector<std::vector<GaugeSample>>{samples()};
  };
  return AddCollector(std::move(collector));
}

absl::Status SyncMetrics::AddCollector(GaugeCollector collector) {
  for (const GaugeFamily& family : collector.families) {
    const std::string& name = family.name;
    if (!IsMetricName(name) || name.substr(0, kNamePrefix.size()) != kNamePrefix) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gauge name \"", name,
          "\" must start with \"rapport_\" and hold only letters, digits, '_' and ':'"));
    }
    for (const std::string& label : family.label_names) {
      if (!IsLabelName(label)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "gauge ", name, ": label name \"", label,
            "\" must hold only letters, digits and '_', not start with a digit or \"__\""));
      }
    }
    for (const std::string_view builtin : kBuiltinNames) {
      if (name == builtin) {
        return absl::AlreadyExistsError(
            absl::StrCat("gauge ", name, ": the name is a built-in sync metric"));
      }
    }
  }
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < collector.families.size(); ++i) {
    const std::string& name = collector.families[i].name;
    for (size_t j = 0; j < i; ++j) {
      if (collector.families[j].name == name) {
        return absl::AlreadyExistsError(absl::StrCat("gauge ", name, " is given twice"));
      }
    }
    for (const GaugeCollector& existing : collectors_) {
      for (const GaugeFamily& family : existing.families) {
        if (family.name == name) {
          return absl::AlreadyExistsError(absl::StrCat("gauge ", name, " is already registered"));
        }
      }
    }
  }
  collectors_.push_back(std::move(collector));
  return absl::OkStatus();
}

absl::Status SyncMetrics::SetPeerStats(std::function<std::vector<PeerStats>()> peers) {
  if (!peers) return absl::InvalidArgumentError("SetPeerStats: no callback given");
  GaugeCollector collector;
  collector.families = {
      {"rapport_peer_checkpoint_lag",
       "Server seqs a peer's pull checkpoint is behind the server's head, per peer.",
       {"peer"}},
      {"rapport_peer_last_seen_timestamp_seconds",
       "When a peer was last seen in a sync session, Unix time in seconds.",
       {"peer"}},
  };
  collector.collect = [peers = std::move(peers)] {
    std::vector<std::vector<GaugeSample>> samples(2);
    for (const PeerStats& peer : peers()) {
      samples[0].push_back({{peer.peer}, static_cast<double>(peer.checkpoint_lag)});
      samples[1].push_back({{peer.peer}, peer.last_seen_unix_seconds});
    }
    return samples;
  };
  return AddCollector(std::move(collector));
}

absl::Status SyncMetrics::SetStoreStats(std::function<StoreStats()> store) {
  if (!store) return absl::InvalidArgumentError("SetStoreStats: no callback given");
  GaugeCollector collector;
  collector.families = {
      {"rapport_store_size_bytes", "Bytes the server's record store takes on disk.", {}},
      {"rapport_store_records", "Records in the server's store.", {}},
  };
  collector.collect = [store = std::move(store)] {
    const StoreStats stats = store();
    return std::vector<std::vector<GaugeSample>>{
        {{{}, static_cast<double>(stats.size_bytes)}},
        {{{}, static_cast<double>(stats.records)}},
    };
  };
  return AddCollector(std::move(collector));
}

std::string SyncMetrics::RenderPrometheus() const {
  const Counters c = Snapshot();
  std::string out;
  AppendHeader(out, "rapport_sessions_open", "Sync sessions currently open.", "gauge");
  absl::StrAppend(&out, "rapport_sessions_open ", c.sessions_open, "\n");
  AppendCounter(out, "rapport_sessions_total", "Sync sessions started.", c.sessions);
  AppendCounter(out, "rapport_push_batches_total", "Push batches received from clients.",
                c.push_batches);
  AppendCounter(out, "rapport_pull_batches_total", "Pull batches sent to clients.", c.pull_batches);
  AppendCounter(out, "rapport_deltas_applied_total", "Pushed record deltas joined into the store.",
                c.deltas_applied);
  AppendCounter(out, "rapport_rejections_total", "Pushed record deltas refused.", c.rejections);
  AppendCounter(out, "rapport_conflicts_created_total",
                "Value fields that gained concurrent versions through a push.",
                c.conflicts_created);
  AppendCounter(out, "rapport_received_bytes_total",
                "Serialized sync message bytes received from clients.", c.bytes_received);
  AppendCounter(out, "rapport_sent_bytes_total", "Serialized sync message bytes sent to clients.",
                c.bytes_sent);

  // Copied so that callbacks run without the lock: one may be slow, or register a gauge.
  std::vector<GaugeCollector> collectors;
  {
    absl::MutexLock lock(&mutex_);
    collectors = collectors_;
  }
  for (const GaugeCollector& collector : collectors) {
    std::vector<std::vector<GaugeSample>> samples = collector.collect();
    samples.resize(collector.families.size());  // only internal collectors could get this wrong
    for (size_t f = 0; f < collector.families.size(); ++f) {
      const GaugeFamily& family = collector.families[f];
      AppendHeader(out, family.name, family.help, "gauge");
      for (const GaugeSample& sample : samples[f]) {
        if (sample.label_values.size() != family.label_names.size()) {
          // A comment, not an error: one bad callback must not take the whole scrape down.
          absl::StrAppend(&out, "# rapport: left out a sample of ", family.name, " with ",
                          sample.label_values.size(), " label values for ",
                          family.label_names.size(), " label names\n");
          continue;
        }
        out += family.name;
        if (!family.label_names.empty()) {
          out += '{';
          for (size_t i = 0; i < family.label_names.size(); ++i) {
            if (i > 0) out += ',';
            absl::StrAppend(&out, family.label_names[i], "=\"",
                            EscapePrometheusLabelValue(sample.label_values[i]), "\"");
          }
          out += '}';
        }
        absl::StrAppend(&out, " ", FormatPrometheusValue(sample.value), "\n");
      }
    }
  }
  return out;
}

}  // namespace rapport::server
