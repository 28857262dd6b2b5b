#include "tools/bench/soak_command.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "core/schema/schema.h"
#include "core/status_macros.h"
#include "core/store/record_store.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tools/bench/sync_bench_util.h"

namespace rapport::bench {
namespace {

struct Args {
  std::string rapportd = DefaultRapportdPath();
  std::string tmp = std::filesystem::temp_directory_path().string();
  std::string device_tmp = "/dev/shm";
  int devices = 1000;
  double minutes = 10;
  double edit_rate = 50;  // edits per second, all devices together
  int writers = 4;
  int sample_seconds = 5;
  int settle_passes = 6;
  int max_concurrent_streams = 0;     // 0: the server's default
  uint64_t max_pull_batch_bytes = 0;  // 0: the server's default
  int keepalive_timeout_ms = SyncOptions{}.keepalive_timeout_ms;
  bool shared_connection = false;
  uint64_t seed = 1;
};

void Progress(const std::string& line) {
  std::fprintf(stderr, "rapport-bench soak: %s\n", line.c_str());
}

// Counted problems, with the first few messages kept for the report.
class ErrorLog {
 public:
  void Add(const std::string& kind, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[kind];
    if (samples_.size() < 20) samples_.push_back(absl::StrCat(kind, ": ", message));
  }
  uint64_t Total() const {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t n = 0;
    for (const auto& [kind, count] : counts_) n += count;
    return n;
  }
  std::string Json() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> counts, samples;
    for (const auto& [kind, count] : counts_)
      counts.push_back(absl::StrCat(JsonQuote(kind), ":", count));
    for (const std::string& s : samples_) samples.push_back(JsonQuote(s));
    return absl::StrCat("{\"counts\":{", absl::StrJoin(counts, ","), "},\"samples\":[",
                        absl::StrJoin(samples, ","), "]}");
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> counts_;
  std::vector<std::string> samples_;
};

// What every successful edit added that must survive: loyalty points and interaction entries per
// customer (a lost write shows as a smaller sum or count at the end).
class Ledger {
 public:
  void Created(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[id];
    ids_.push_back(id);
  }
  void Points(const std::string& id, int64_t amount) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[id].points += amount;
  }
  void Interaction(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ++entries_[id].interactions;
  }
  std::string RandomId(Rng& rng) const {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_[rng.Below(ids_.size())];
  }
  struct Entry {
    int64_t points = 0;
    size_t interactions = 0;
  };
  absl::flat_hash_map<std::string, Entry> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;
  std::vector<std::string> ids_;
};

struct Device {
  std::unique_ptr<Replica> replica;
  std::unique_ptr<ContinuousSync> sync;  // destroyed before the replica
  std::string own;                       // the customer this device created first
  std::atomic<bool> live{false};
};

// Every record of `store` in canonical encoding, in id order (as the sync tests' Archive()).
absl::StatusOr<std::vector<std::string>> Archive(const store::RecordStore& store) {
  std::vector<std::pair<crdt::RecordId, std::string>> records;
  RETURN_IF_ERROR(store.ChangesSince(0, size_t{1} << 30, [&](const crdt::Record& r, uint64_t) {
    records.emplace_back(r.id(), crdt::EncodeRecord(r));
    return true;
  }));
  std::sort(records.begin(), records.end());
  std::vector<std::string> out;
  out.reserve(records.size());
  for (auto& [id, bytes] : records) out.push_back(std::move(bytes));
  return out;
}

// How a device's archive differs from the server's: how many records, and for the first one
// whether each side lacks something the other has (a join that changes it).
std::string Difference(const std::vector<std::string>& device,
                       const std::vector<std::string>& server) {
  if (device.size() != server.size()) {
    return absl::StrCat(device.size(), " records where the server has ", server.size());
  }
  size_t differing = 0, first = device.size();
  for (size_t k = 0; k < device.size(); ++k) {
    if (device[k] == server[k]) continue;
    if (differing++ == 0) first = k;
  }
  std::string out = absl::StrCat(differing, " of ", device.size(), " records differ");
  absl::StatusOr<crdt::Record> d = crdt::DecodeRecord(device[first]);
  absl::StatusOr<crdt::Record> v = crdt::DecodeRecord(server[first]);
  if (!d.ok() || !v.ok()) return out;
  crdt::Record device_plus = *d, server_plus = *v;
  const bool device_lacks = device_plus.Join(*v, 0);
  const bool server_lacks = server_plus.Join(*d, 0);
  absl::StrAppend(&out, "; first ", d->id().ToString(),
                  ": device lacks server data: ", device_lacks ? "yes" : "no",
                  ", server lacks device data: ", server_lacks ? "yes" : "no");
  return out;
}

struct RssSample {
  double t_s, rss_mb;
};

// Samples the server's VmRSS every `period` until stopped.
class RssSampler {
 public:
  RssSampler(pid_t pid, int period_s) : pid_(pid), period_s_(period_s), start_(Clock::now()) {
    thread_ = std::thread([this] { Run(); });
  }
  ~RssSampler() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void SampleNow() {
    std::lock_guard<std::mutex> lock(mu_);
    samples_.push_back({SecondsSince(start_), ProcStatusMb(pid_, "VmRSS")});
  }
  std::vector<RssSample> samples() const {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      samples_.push_back({SecondsSince(start_), ProcStatusMb(pid_, "VmRSS")});
      cv_.wait_for(lock, std::chrono::seconds(period_s_), [this] { return stop_; });
    }
  }
  const pid_t pid_;
  const int period_s_;
  const Clock::time_point start_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<RssSample> samples_;
  std::thread thread_;
};

// One random edit on device `d`: mostly single-field edits of a random customer the device
// already holds (a customer another device created may not have arrived yet: then its own),
// sometimes a new customer.
void RandomEdit(Device& d, Rng& rng, Ledger& ledger, ErrorLog& errors, std::atomic<uint64_t>& edits,
                std::atomic<uint64_t>& not_arrived) {
  const uint64_t op = rng.Below(100);
  if (op < 5) {
    absl::StatusOr<ChangeSummary> done = d.replica->Apply({Mutation::Create(
        "customer", {{"name", absl::StrCat("soak customer ", rng.Next() % 1000000)},
                     {"phone", RandomPhone(rng)}})});
    if (!done.ok()) return errors.Add("apply", done.status().ToString());
    ledger.Created(done->created.at(0));
    ++edits;
    return;
  }
  std::string id = ledger.RandomId(rng);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Mutation m;
    int64_t points = 0;
    bool interaction = false;
    if (op < 40) {
      m = Mutation::Set(id, "phone", RandomPhone(rng));
    } else if (op < 75) {
      points = 1 + static_cast<int64_t>(rng.Below(100));
      m = Mutation::Increment(id, "loyalty_points", points);
    } else if (op < 90) {
      interaction = true;
      m = Mutation::AppendEntry(id, "interactions", Timestamp{1'800'000'000'000},
                                {{"kind", EnumValue{"visit"}}, {"summary", "Soak visit."}});
    } else {
      m = Mutation::AddElement(id, "tags", absl::StrCat("soak-", rng.Below(20)));
    }
    absl::StatusOr<ChangeSummary> done = d.replica->Apply({m});
    if (done.ok()) {
      if (points != 0) ledger.Points(id, points);
      if (interaction) ledger.Interaction(id);
      ++edits;
      return;
    }
    if (done.status().code() == absl::StatusCode::kNotFound && attempt == 0) {
      ++not_arrived;
      id = d.own;
      continue;
    }
    return errors.Add("apply", done.status().ToString());
  }
}

absl::StatusOr<std::pair<std::string, bool>> Run(const Args& args) {
  ASSIGN_OR_RETURN(TempDir work, TempDir::Create(args.tmp, "rapport-bench-soak"));
  const std::string device_parent =
      std::filesystem::is_directory(args.device_tmp) ? args.device_tmp : args.tmp;
  ASSIGN_OR_RETURN(TempDir devices_dir, TempDir::Create(device_parent, "rapport-bench-devices"));
  const std::string server_data = work.Sub("data");
  ASSIGN_OR_RETURN(RapportdProcess server,
                   RapportdProcess::Start({.binary = args.rapportd,
                                           .data_dir = server_data,
                                           .work_dir = work.path(),
                                           .max_concurrent_streams = args.max_concurrent_streams,
                                           .max_pull_batch_bytes = args.max_pull_batch_bytes}));
  Progress(absl::StrCat("rapportd at ", server.address(), "; opening ", args.devices, " devices"));
  RssSampler sampler(server.pid(), args.sample_seconds);
  ErrorLog errors;
  Ledger ledger;

  // Declared before the devices: their sessions' callbacks use these until the devices are gone.
  std::atomic<int> live_count{0};
  // Which phase a session error happened in: connecting, editing, or stopping (after the edits).
  std::atomic<const char*> phase{"session while connecting"};
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < args.devices; ++i) {
    auto d = std::make_unique<Device>();
    ASSIGN_OR_RETURN(d->replica, Replica::Open(devices_dir.Sub(absl::StrCat("soak-", i))));
    ASSIGN_OR_RETURN(ChangeSummary created,
                     d->replica->Apply({Mutation::Create(
                         "customer", {{"name", absl::StrCat("device ", i, " customer")},
                                      {"phone", "+86 137-0000-0000"}})}));
    d->own = created.created.at(0);
    ledger.Created(d->own);
    devices.push_back(std::move(d));
  }
  // Live sessions. Each device has its own channel and (through distinct channel arguments) its
  // own TCP connection, as separate phones would; the server's max_concurrent_streams is per
  // connection, so 1000 devices hold 1000 connections of one stream each.
  const Clock::time_point connect_start = Clock::now();
  for (size_t i = 0; i < devices.size(); ++i) {
    Device& d = *devices[i];
    ContinuousSyncOptions options;
    options.sync.keepalive_timeout_ms = args.keepalive_timeout_ms;
    if (!args.shared_connection) options.sync.max_receive_message_bytes += static_cast<int>(i);
    options.sync.on_status = [&d, &live_count, &errors, &phase, i](SyncState state,
                                                                   const std::string& message) {
      if (state == SyncState::kLive && !d.live.exchange(true)) ++live_count;
      if (state == SyncState::kError) {
        errors.Add(phase.load(), absl::StrCat("device ", i, ": ", message));
      }
    };
    ASSIGN_OR_RETURN(d.sync, ContinuousSync::Start(*d.replica, server.address(), options));
  }
  const Clock::time_point connect_deadline = connect_start + std::chrono::seconds(300);
  while (live_count < args.devices && Clock::now() < connect_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double connect_s = SecondsSince(connect_start);
  Progress(absl::StrCat(live_count.load(), " of ", args.devices, " devices live after ", connect_s,
                        " s; editing for ", args.minutes, " min at ", args.edit_rate, " edits/s"));
  if (live_count < args.devices) {
    errors.Add("connect",
               absl::StrCat(args.devices - live_count.load(), " devices not live within 300 s"));
  }
  RETURN_IF_ERROR(server.CheckRunning());
  sampler.SampleNow();
  const double rss_all_live = ProcStatusMb(server.pid(), "VmRSS");

  // Random edits at a fixed total rate, from a few writer threads.
  phase = "session while editing";
  std::atomic<uint64_t> edits{0}, not_arrived{0};
  const Clock::time_point edit_start = Clock::now();
  const Clock::time_point edit_end =
      edit_start + std::chrono::milliseconds(static_cast<int64_t>(args.minutes * 60'000));
  std::vector<std::thread> writers;
  for (int w = 0; w < args.writers; ++w) {
    writers.emplace_back([&, w] {
      Rng rng(args.seed * 7919 + static_cast<uint64_t>(w));
      const double per_writer = args.edit_rate / args.writers;
      uint64_t done = 0;
      while (Clock::now() < edit_end) {
        RandomEdit(*devices[rng.Below(devices.size())], rng, ledger, errors, edits, not_arrived);
        ++done;
        const Clock::time_point due =
            edit_start + std::chrono::microseconds(static_cast<int64_t>(done * 1e6 / per_writer));
        std::this_thread::sleep_until(std::min(due, edit_end));
      }
    });
  }
  int last_minute = 0;
  while (Clock::now() < edit_end) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const int minute = static_cast<int>(SecondsSince(edit_start) / 60);
    if (minute > last_minute) {
      last_minute = minute;
      Progress(absl::StrCat(minute, " min: ", edits.load(), " edits, server RSS ",
                            ProcStatusMb(server.pid(), "VmRSS"), " MB, errors ", errors.Total()));
    }
  }
  for (std::thread& t : writers) t.join();
  RETURN_IF_ERROR(server.CheckRunning());
  const double edit_s = SecondsSince(edit_start);

  // Settle: stop the live sessions, then sync everyone once per pass until a pass moves nothing.
  Progress(absl::StrCat(edits.load(), " edits in ", edit_s, " s; stopping live sessions"));
  phase = "session while stopping";
  ParallelFor(devices.size(), 64, [&](size_t i) { devices[i]->sync->Stop(); });
  const Clock::time_point settle_start = Clock::now();
  int passes = 0;
  bool quiet = false;
  while (!quiet && passes < args.settle_passes) {
    ++passes;
    std::atomic<uint64_t> moved{0};
    ParallelFor(devices.size(), 32, [&](size_t i) {
      SyncOptions options;
      options.keepalive_timeout_ms = args.keepalive_timeout_ms;
      if (!args.shared_connection) options.max_receive_message_bytes += static_cast<int>(i);
      absl::StatusOr<SyncSummary> s = SyncOnce(*devices[i]->replica, server.address(), options);
      if (!s.ok()) {
        errors.Add("settle sync", absl::StrCat("device ", i, ": ", s.status().ToString()));
        ++moved;  // not quiet until it succeeds
        return;
      }
      moved += s->pushed + s->pulled_changed;
    });
    quiet = moved == 0;
    Progress(absl::StrCat("settle pass ", passes, ": ", moved.load(), " records moved"));
  }
  const double settle_s = SecondsSince(settle_start);
  RETURN_IF_ERROR(server.CheckRunning());
  sampler.Stop();
  const double peak_mb = ProcStatusMb(server.pid(), "VmHWM");
  const double end_mb = ProcStatusMb(server.pid(), "VmRSS");
  const double end_anon_mb = ProcStatusMb(server.pid(), "RssAnon");
  RETURN_IF_ERROR(server.Stop());

  // Convergence: every replica's records, in canonical encoding, equal the server's.
  store::StoreOptions store_options;
  store_options.indexes = schema::Schema::DefaultCustomer().Indexer();
  store_options.schema_hash = schema::Schema::DefaultCustomer().Hash();
  std::vector<std::string> server_archive;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<store::RecordStore> server_store,
                     store::RecordStore::Open(server_data, std::move(store_options)));
    ASSIGN_OR_RETURN(server_archive, Archive(*server_store));
  }
  std::atomic<uint64_t> diverged{0};
  ParallelFor(devices.size(), 2, [&](size_t i) {
    absl::StatusOr<std::vector<std::string>> a =
        Archive(ReplicaInternal::Store(*devices[i]->replica));
    if (!a.ok() || *a != server_archive) {
      if (diverged++ < 5) {
        errors.Add("diverged",
                   absl::StrCat("device ", i, ": ",
                                a.ok() ? Difference(*a, server_archive) : a.status().ToString()));
      }
    }
  });
  // Lost writes: every loyalty point and interaction of the ledger is in the converged records.
  uint64_t lost = 0;
  const auto expected = ledger.Snapshot();
  for (const auto& [id, entry] : expected) {
    absl::StatusOr<std::optional<RecordView>> view = devices[0]->replica->Get(id);
    if (!view.ok() || !view->has_value()) {
      ++lost;
      errors.Add("lost", absl::StrCat("customer ", id, " is missing"));
      continue;
    }
    const RecordView& r = **view;
    const auto points = r.counters.find("loyalty_points");
    const int64_t have_points = points == r.counters.end() ? 0 : points->second;
    const auto timeline = r.timelines.find("interactions");
    const size_t have_entries = timeline == r.timelines.end() ? 0 : timeline->second.size();
    if (have_points != entry.points || have_entries != entry.interactions) {
      ++lost;
      errors.Add("lost", absl::StrCat("customer ", id, ": points ", have_points, " (expected ",
                                      entry.points, "), interactions ", have_entries, " (expected ",
                                      entry.interactions, ")"));
    }
  }
  for (auto& d : devices) d->sync.reset();
  devices.clear();

  const std::vector<RssSample> samples = sampler.samples();
  double start_mb = 0, sampled_peak_mb = 0;
  for (const RssSample& s : samples) sampled_peak_mb = std::max(sampled_peak_mb, s.rss_mb);
  start_mb = rss_all_live;
  std::vector<std::string> series;
  const size_t stride = std::max<size_t>(1, samples.size() / 40);
  for (size_t i = 0; i < samples.size(); i += stride) {
    series.push_back(absl::StrCat("[", static_cast<int64_t>(samples[i].t_s), ",",
                                  static_cast<int64_t>(samples[i].rss_mb), "]"));
  }
  const bool converged = diverged == 0 && quiet;
  const bool ok = converged && lost == 0 && errors.Total() == 0;
  std::string json = absl::StrCat(
      "{\"machine\":", MachineJson(), ",\"devices\":", args.devices,
      ",\"devices_live\":", live_count.load(), ",\"seconds_until_all_live\":", connect_s,
      ",\"minutes\":", args.minutes, ",\"keepalive_timeout_ms\":", args.keepalive_timeout_ms,
      ",\"max_pull_batch_bytes\":", args.max_pull_batch_bytes,
      ",\"edit_rate_target\":", args.edit_rate, ",\"edits\":", edits.load(),
      ",\"edits_per_s\":", static_cast<double>(edits.load()) / edit_s,
      ",\"edits_redirected_not_yet_arrived\":", not_arrived.load(),
      ",\"customers\":", expected.size(), ",\"settle\":{\"passes\":", passes,
      ",\"quiet\":", quiet ? "true" : "false", ",\"seconds\":", settle_s,
      "},\"converged\":", converged ? "true" : "false", ",\"diverged_devices\":", diverged.load(),
      ",\"lost_writes\":", lost, ",\"records\":", server_archive.size(),
      ",\"server_rss_mb\":{\"all_live\":", start_mb, ",\"sampled_peak\":", sampled_peak_mb,
      ",\"peak_vmhwm\":", peak_mb, ",\"end\":", end_mb, ",\"end_anon\":", end_anon_mb,
      ",\"growth_from_all_live\":", end_mb - start_mb, ",\"sample_seconds\":", args.sample_seconds,
      ",\"series_t_s_mb\":[", absl::StrJoin(series, ","), "]},\"errors\":", errors.Json(), "}");
  return std::make_pair(std::move(json), ok);
}

}  // namespace

void AddSoakCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "soak",
      "Many live devices edit at random against a real rapportd it starts; counts errors, samples "
      "the server's RSS, then settles and checks that every replica holds exactly the server's "
      "records with no write lost. Prints one JSON object; exits non-zero if not converged, a "
      "write was lost or any error occurred.");
  auto args = std::make_shared<Args>();
  cmd->add_option("--rapportd", args->rapportd, "rapportd executable")->capture_default_str();
  cmd->add_option("--devices", args->devices, "simulated devices, each with a live session")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  cmd->add_option("--minutes", args->minutes, "duration of the random edits")
      ->check(CLI::Range(0.0, 1440.0))
      ->capture_default_str();
  cmd->add_option("--edit-rate", args->edit_rate, "edits per second, all devices together")
      ->check(CLI::Range(0.1, 1e6))
      ->capture_default_str();
  cmd->add_option("--writers", args->writers, "threads making the edits")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--sample-seconds", args->sample_seconds, "period of the server RSS samples")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--settle-passes", args->settle_passes,
                  "at most this many sync-everyone passes to reach quiet")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--max-concurrent-streams", args->max_concurrent_streams,
                  "rapportd's max_concurrent_streams (per connection); 0: its default")
      ->capture_default_str();
  cmd->add_option("--max-pull-batch-bytes", args->max_pull_batch_bytes,
                  "rapportd's max_pull_batch_bytes; 0: its default (1 MiB)")
      ->capture_default_str();
  cmd->add_option("--keepalive-timeout-ms", args->keepalive_timeout_ms,
                  "SyncOptions::keepalive_timeout_ms of every device")
      ->capture_default_str();
  cmd->add_flag("--shared-connection", args->shared_connection,
                "let gRPC multiplex all devices on one connection (default: one each)");
  cmd->add_option("--tmp", args->tmp, "parent of the server's directory")->capture_default_str();
  cmd->add_option("--device-tmp", args->device_tmp, "parent of the devices' stores")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the random edits")->capture_default_str();
  cmd->callback([args, exit_code] {
    const absl::StatusOr<std::pair<std::string, bool>> result = Run(*args);
    if (!result.ok()) {
      std::fprintf(stderr, "rapport-bench soak: %s\n", result.status().ToString().c_str());
      *exit_code = 1;
      return;
    }
    std::printf("%s\n", result->first.c_str());
    *exit_code = result->second ? 0 : 1;
  });
}

}  // namespace rapport::bench
