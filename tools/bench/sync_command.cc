#include "tools/bench/sync_command.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client-lib/src/replica_internal.h"
#include "core/status_macros.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tools/bench/scoped_sync_part.h"
#include "tools/bench/sync_bench_util.h"

namespace rapport::bench {
namespace {

struct Args {
  std::string rapportd = DefaultRapportdPath();
  std::string tmp = std::filesystem::temp_directory_path().string();
  std::string device_tmp = "/dev/shm";
  uint64_t customers = 100000;
  int interactions = 10;
  int devices = 200;
  int owned = 5;
  int rounds = 5;
  int edits_per_round = 10;
  int threads = 32;
  int live_clients = 200;
  int live_commits = 20;
  int live_gap_ms = 200;
  int reps = 200;
  int keepalive_timeout_ms = SyncOptions{}.keepalive_timeout_ms;
  bool shared_connection = false;
  bool steady_scoped = false;
  uint64_t seed = 1;
  std::vector<std::string> skip;

  bool Skipped(const std::string& part) const {
    return std::find(skip.begin(), skip.end(), part) != skip.end();
  }
};

void Progress(const std::string& line) {
  std::fprintf(stderr, "rapport-bench sync: %s\n", line.c_str());
}

// The server's memory as JSON; read while it still runs.
std::string ServerMemoryJson(const RapportdProcess& server) {
  return absl::StrCat("{\"peak_rss_mb\":", ProcStatusMb(server.pid(), "VmHWM"),
                      ",\"rss_mb\":", ProcStatusMb(server.pid(), "VmRSS"),
                      ",\"rss_anon_mb\":", ProcStatusMb(server.pid(), "RssAnon"),
                      ",\"rss_file_mb\":", ProcStatusMb(server.pid(), "RssFile"), "}");
}

// The token subject of steady-state device `i` when devices are reps.
std::string DeviceSubject(size_t i) { return absl::StrCat("user:device-", i); }

// Options giving this simulated device its own TCP connection. gRPC shares one connection
// (subchannel) between channels with identical arguments in a process, so without this every
// simulated device would multiplex on one HTTP/2 connection, capped by the server's
// max_concurrent_streams (100): unlike real phones. A distinct, harmless receive limit makes
// each device's channel arguments unique.
SyncOptions DeviceSyncOptions(size_t device, bool shared_connection) {
  SyncOptions options;
  if (!shared_connection) options.max_receive_message_bytes += static_cast<int>(device);
  return options;
}

// A rapportd in work/name; it asks for tokens signed with `key_file` if one is given.
absl::StatusOr<RapportdProcess> StartServer(const Args& args, const TempDir& work,
                                            const std::string& name,
                                            const std::string& key_file = "") {
  const std::string dir = work.Sub(name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  return RapportdProcess::Start({.binary = args.rapportd,
                                 .data_dir = dir + "/data",
                                 .work_dir = dir,
                                 .auth_key_file = key_file});
}

// ---- Initial sync: N customers seeded into the server, then pulled by an empty device. ----
absl::StatusOr<std::string> MeasureInitialSync(const Args& args, const TempDir& work) {
  ASSIGN_OR_RETURN(RapportdProcess server, StartServer(args, work, "server-initial"));
  Progress(absl::StrCat("initial: rapportd at ", server.address(), ", seeding ", args.customers,
                        " customers"));
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> seed, Replica::Open(work.Sub("seed-device")));
  Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   CreateCustomers(*seed, args.customers, 0, args.interactions, args.seed));
  const double seed_local_s = SecondsSince(start);
  Progress(absl::StrCat("initial: created locally in ", seed_local_s, " s; pushing"));

  const double server_cpu_at_push = ProcCpuSeconds(server.pid());
  start = Clock::now();
  absl::StatusOr<SyncSummary> push_result = SyncOnce(*seed, server.address());
  RETURN_IF_ERROR(server.CheckRunning());
  ASSIGN_OR_RETURN(SyncSummary pushed, std::move(push_result));
  const double push_s = SecondsSince(start);
  const double push_server_cpu_s = ProcCpuSeconds(server.pid()) - server_cpu_at_push;
  if (pushed.pushed != args.customers || pushed.rejected != 0) {
    return absl::InternalError(absl::StrCat("seed push sent ", pushed.pushed, " records, ",
                                            pushed.rejected, " rejected; expected ", args.customers,
                                            " and 0"));
  }
  seed.reset();
  Progress(absl::StrCat("initial: pushed in ", push_s, " s; syncing an empty device"));

  ASSIGN_OR_RETURN(std::unique_ptr<Replica> fresh, Replica::Open(work.Sub("fresh-device")));
  SyncOptions options;
  Clock::time_point first_data{};
  std::atomic<bool> got_data{false};
  options.on_progress = [&](const SyncProgress& p) {
    if (p.pulled > 0 && !got_data.exchange(true)) first_data = Clock::now();
  };
  options.keepalive_timeout_ms = args.keepalive_timeout_ms;
  // CPU time of each side during the sync: where the seconds go.
  const double server_cpu_before = ProcCpuSeconds(server.pid());
  const double client_cpu_before = ProcCpuSeconds(0);
  start = Clock::now();
  // A failed session resumes where it stopped (docs/protocol.md): retry, and report each failure.
  SyncSummary pulled;
  std::vector<std::string> failures;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    absl::StatusOr<SyncSummary> s = SyncOnce(*fresh, server.address(), options);
    if (s.ok()) {
      pulled.pulled += s->pulled;
      pulled.bytes += s->bytes;
      break;
    }
    failures.push_back(
        JsonQuote(absl::StrCat("after ", SecondsSince(start), " s: ", s.status().ToString())));
    Progress(absl::StrCat("initial: sync attempt ", attempt, " failed after ", SecondsSince(start),
                          " s: ", s.status().ToString(), "; resuming"));
  }
  const double sync_s = SecondsSince(start);
  RETURN_IF_ERROR(server.CheckRunning());
  const double server_cpu_s = ProcCpuSeconds(server.pid()) - server_cpu_before;
  const double client_cpu_s = ProcCpuSeconds(0) - client_cpu_before;
  ASSIGN_OR_RETURN(store::StoreStats stats, ReplicaInternal::Store(*fresh).Stats());
  if (stats.records != args.customers) {
    return absl::InternalError(absl::StrCat("the empty device holds ", stats.records,
                                            " records after syncing, expected ", args.customers,
                                            "; failures: ", absl::StrJoin(failures, "; ")));
  }
  const std::string memory = ServerMemoryJson(server);
  fresh.reset();
  RETURN_IF_ERROR(server.Stop());
  const double n = static_cast<double>(args.customers);
  return absl::StrCat(
      "{\"customers\":", args.customers, ",\"interactions_per_customer\":", args.interactions,
      ",\"seed_create_local_s\":", seed_local_s, ",\"seed_push\":{\"seconds\":", push_s,
      ",\"server_cpu_s\":", push_server_cpu_s, ",\"records_per_s\":", n / push_s,
      ",\"bytes\":", pushed.bytes, ",\"pulled_back\":", pushed.pulled,
      ",\"pulled_back_changed\":", pushed.pulled_changed,
      "},\"keepalive_timeout_ms\":", args.keepalive_timeout_ms, ",\"failed_attempts\":[",
      absl::StrJoin(failures, ","), "],\"seconds\":", sync_s, ",\"records_per_s\":", n / sync_s,
      ",\"first_data_ms\":", got_data ? MillisBetween(start, first_data) : -1.0,
      ",\"bytes\":", pulled.bytes,
      ",\"bytes_per_customer\":", static_cast<double>(pulled.bytes) / n,
      ",\"server_cpu_s\":", server_cpu_s, ",\"device_cpu_s\":", client_cpu_s,
      ",\"device_store_used_bytes\":", stats.used_bytes, ",\"server_memory\":", memory, "}");
}

// ---- Steady state: D devices edit offline and sync in concurrent rounds. ----
struct Device {
  std::unique_ptr<Replica> replica;
  std::vector<std::string> own;  // customers this device created
};

absl::StatusOr<std::string> MeasureSteadyState(const Args& args, const TempDir& work,
                                               const TempDir& devices_dir, int& problems) {
  // Scoped: each device is a rep who owns the customers it creates and sees only those.
  std::string key_file;
  std::vector<std::string> tokens(static_cast<size_t>(args.devices));
  if (args.steady_scoped) {
    key_file = work.Sub("steady-auth.key");
    ASSIGN_OR_RETURN(const auth::SigningKey key, NewBenchKey(key_file));
    for (size_t i = 0; i < tokens.size(); ++i) {
      ASSIGN_OR_RETURN(tokens[i], BenchToken(key, auth::Role::kRep, DeviceSubject(i)));
    }
  }
  auto device_options = [&](size_t i) {
    SyncOptions options = DeviceSyncOptions(i, args.shared_connection);
    options.token = tokens[i];
    return options;
  };
  ASSIGN_OR_RETURN(RapportdProcess server, StartServer(args, work, "server-steady", key_file));
  Progress(absl::StrCat("steady: rapportd at ", server.address(), "; ", args.devices,
                        " devices with ", args.owned, " customers each",
                        args.steady_scoped ? ", each device a rep seeing its own" : ""));
  std::vector<Device> devices(static_cast<size_t>(args.devices));
  for (size_t i = 0; i < devices.size(); ++i) {
    ASSIGN_OR_RETURN(devices[i].replica,
                     Replica::Open(devices_dir.Sub(absl::StrCat("steady-", i))));
    ASSIGN_OR_RETURN(devices[i].own,
                     CreateCustomers(*devices[i].replica, static_cast<uint64_t>(args.owned),
                                     1'000'000 + i * static_cast<uint64_t>(args.owned),
                                     args.interactions, args.seed));
    if (args.steady_scoped) {
      std::vector<Mutation> own;
      for (const std::string& id : devices[i].own) {
        own.push_back(Mutation::Set(id, "owner", DeviceSubject(i)));
      }
      RETURN_IF_ERROR(devices[i].replica->Apply(own).status());
    }
  }
  std::mutex errors_mu;
  std::vector<std::string> errors;
  auto note_error = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(errors_mu);
    if (errors.size() < 20) errors.push_back(what);
  };
  // Every device syncs twice so that each holds every device's customers before the rounds.
  const Clock::time_point setup_start = Clock::now();
  for (int pass = 0; pass < 2; ++pass) {
    ParallelFor(devices.size(), args.threads, [&](size_t i) {
      absl::StatusOr<SyncSummary> s =
          SyncOnce(*devices[i].replica, server.address(), device_options(i));
      if (!s.ok())
        note_error(absl::StrCat("setup sync of device ", i, ": ", s.status().ToString()));
    });
  }
  const double setup_s = SecondsSince(setup_start);
  RETURN_IF_ERROR(server.CheckRunning());
  Progress(
      absl::StrCat("steady: setup syncs took ", setup_s, " s; running ", args.rounds, " rounds"));

  std::vector<double> latency_ms;
  std::mutex latency_mu;
  std::atomic<uint64_t> bytes{0}, pushed{0}, pushed_back{0}, pulled{0}, sync_errors{0};
  uint64_t edits = 0;
  double sync_wall_s = 0;
  Rng rng(args.seed ^ 0x57EAD);
  double server_cpu_s = 0, devices_cpu_s = 0;
  for (int round = 0; round < args.rounds; ++round) {
    // Offline: single-field edits, each its own commit, alternately a new phone number and
    // loyalty points on one of the device's own customers.
    std::vector<size_t> records_edited(devices.size());
    for (size_t i = 0; i < devices.size(); ++i) {
      Device& d = devices[i];
      std::vector<std::string> edited;
      for (int e = 0; e < args.edits_per_round; ++e) {
        const std::string& id = d.own[rng.Below(d.own.size())];
        if (std::find(edited.begin(), edited.end(), id) == edited.end()) edited.push_back(id);
        const Mutation m = e % 2 == 0
                               ? Mutation::Set(id, "phone", RandomPhone(rng))
                               : Mutation::Increment(id, "loyalty_points",
                                                     1 + static_cast<int64_t>(rng.Below(100)));
        absl::StatusOr<ChangeSummary> applied = d.replica->Apply({m});
        if (!applied.ok()) return applied.status();
        ++edits;
      }
      records_edited[i] = edited.size();
    }
    const double server_cpu_before = ProcCpuSeconds(server.pid());
    const double devices_cpu_before = ProcCpuSeconds(0);
    const Clock::time_point round_start = Clock::now();
    ParallelFor(devices.size(), args.threads, [&](size_t i) {
      const Clock::time_point t = Clock::now();
      absl::StatusOr<SyncSummary> s =
          SyncOnce(*devices[i].replica, server.address(), device_options(i));
      const double ms = MillisBetween(t, Clock::now());
      if (!s.ok()) {
        ++sync_errors;
        note_error(absl::StrCat("round ", round, " device ", i, ": ", s.status().ToString()));
        return;
      }
      bytes += s->bytes;
      pushed += s->pushed;
      // A device's own edits touch records_edited[i] records; anything more it pushes is data it
      // pulled earlier, sent back to the server.
      if (s->pushed > records_edited[i]) pushed_back += s->pushed - records_edited[i];
      pulled += s->pulled;
      std::lock_guard<std::mutex> lock(latency_mu);
      latency_ms.push_back(ms);
    });
    const double round_s = SecondsSince(round_start);
    server_cpu_s += ProcCpuSeconds(server.pid()) - server_cpu_before;
    devices_cpu_s += ProcCpuSeconds(0) - devices_cpu_before;
    sync_wall_s += round_s;
    Progress(absl::StrCat("steady: round ", round + 1, " synced in ", round_s, " s"));
    RETURN_IF_ERROR(server.CheckRunning());
  }

  // Where the bytes of an edit go: sessions of one device against a quiet server, minus the
  // bytes of a session with nothing to exchange.
  ParallelFor(devices.size(), args.threads, [&](size_t i) {
    absl::StatusOr<SyncSummary> s =
        SyncOnce(*devices[i].replica, server.address(), device_options(i));
    if (!s.ok())
      note_error(absl::StrCat("catch-up sync of device ", i, ": ", s.status().ToString()));
  });
  std::string probe = "null";  // scoped devices do not see each other's edits: no probe
  if (devices.size() >= 2 && !args.steady_scoped) {
    Replica& author = *devices[0].replica;
    Replica& reader = *devices[1].replica;
    auto session_bytes = [&](Replica& r) -> absl::StatusOr<size_t> {
      ASSIGN_OR_RETURN(SyncSummary s, SyncOnce(r, server.address()));
      return s.bytes;
    };
    // A session that exchanges no record: sync until one pushes and pulls nothing (after the
    // catch-up pass the first one may still pull what devices pushed after it synced).
    auto quiet_session_bytes = [&](Replica& r, int* sessions) -> absl::StatusOr<size_t> {
      for (*sessions = 1;; ++*sessions) {
        ASSIGN_OR_RETURN(SyncSummary s, SyncOnce(r, server.address()));
        if ((s.pushed == 0 && s.pulled == 0) || *sessions == 5) return s.bytes;
      }
    };
    int author_sessions = 0, reader_sessions = 0;
    ASSIGN_OR_RETURN(const size_t author_empty, quiet_session_bytes(author, &author_sessions));
    ASSIGN_OR_RETURN(const size_t reader_empty, quiet_session_bytes(reader, &reader_sessions));
    const std::string& id = devices[0].own[0];
    ASSIGN_OR_RETURN(ChangeSummary unused,
                     author.Apply({Mutation::Set(id, "phone", "+86 139-0000-0001")}));
    ASSIGN_OR_RETURN(const size_t set_push, session_bytes(author));
    ASSIGN_OR_RETURN(const size_t set_pull, session_bytes(reader));
    ASSIGN_OR_RETURN(unused, author.Apply({Mutation::Increment(id, "loyalty_points", 10)}));
    ASSIGN_OR_RETURN(const size_t inc_push, session_bytes(author));
    ASSIGN_OR_RETURN(const size_t inc_pull, session_bytes(reader));
    ASSIGN_OR_RETURN(const size_t author_after, session_bytes(author));
    probe =
        absl::StrCat("{\"empty_session_bytes\":", author_empty,
                     ",\"sessions_until_quiet\":", std::max(author_sessions, reader_sessions),
                     ",\"set_phone_push_bytes\":",
                     static_cast<int64_t>(set_push) - static_cast<int64_t>(author_empty),
                     ",\"set_phone_pull_bytes\":",
                     static_cast<int64_t>(set_pull) - static_cast<int64_t>(reader_empty),
                     ",\"add_points_push_bytes\":",
                     static_cast<int64_t>(inc_push) - static_cast<int64_t>(author_empty),
                     ",\"add_points_pull_bytes\":",
                     static_cast<int64_t>(inc_pull) - static_cast<int64_t>(reader_empty),
                     ",\"echo_to_author_bytes\":",
                     static_cast<int64_t>(author_after) - static_cast<int64_t>(author_empty), "}");
  }
  const std::string memory = ServerMemoryJson(server);
  devices.clear();
  RETURN_IF_ERROR(server.Stop());
  problems += static_cast<int>(errors.size());
  const Percentiles latency = Summarise(latency_ms);
  const double e = static_cast<double>(std::max<uint64_t>(1, edits));
  std::vector<std::string> quoted;
  for (const std::string& s : errors) quoted.push_back(JsonQuote(s));
  return absl::StrCat(
      "{\"devices\":", args.devices, ",\"scoped\":", args.steady_scoped ? "true" : "false",
      ",\"customers_per_device\":", args.owned, ",\"rounds\":", args.rounds,
      ",\"edits_per_device_per_round\":", args.edits_per_round, ",\"threads\":", args.threads,
      ",\"setup_seconds\":", setup_s, ",\"edits\":", edits, ",\"sync_seconds\":", sync_wall_s,
      ",\"server_cpu_s\":", server_cpu_s, ",\"devices_cpu_s\":", devices_cpu_s,
      ",\"edits_per_s\":", e / sync_wall_s, ",\"deltas_pushed\":", pushed.load(),
      ",\"deltas_pushed_not_edited_by_device\":", pushed_back.load(),
      ",\"deltas_pulled\":", pulled.load(),
      ",\"deltas_pulled_per_s\":", static_cast<double>(pulled.load()) / sync_wall_s,
      ",\"bytes\":", bytes.load(),
      ",\"bytes_per_edit_with_fanout\":", static_cast<double>(bytes.load()) / e,
      ",\"sync_latency\":", PercentilesJson(latency, "ms"), ",\"per_edit_bytes\":", probe,
      ",\"sync_errors\":", sync_errors.load(), ",\"errors\":[", absl::StrJoin(quoted, ","),
      "],\"server_memory\":", memory, "}");
}

// ---- Live fan-out: one writer commits; C live devices observe the arrival. ----
struct Listener {
  std::unique_ptr<Replica> replica;
  std::unique_ptr<ContinuousSync> sync;  // destroyed before the replica
  int observer = -1;
  std::atomic<bool> live{false};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::vector<std::pair<std::string, Clock::time_point>> arrivals;
};

absl::Status StartListener(Listener& l, const std::string& address, size_t index,
                           bool shared_connection, std::atomic<int>* live_count) {
  ContinuousSyncOptions options;
  options.sync = DeviceSyncOptions(index, shared_connection);
  options.sync.on_status = [&l, live_count](SyncState state, const std::string&) {
    if (state == SyncState::kLive && !l.live.exchange(true)) ++*live_count;
    if (state == SyncState::kError) ++l.errors;
  };
  l.observer = l.replica->Observe([&l](const std::vector<std::string>& ids) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(l.mu);
    for (const std::string& id : ids) l.arrivals.emplace_back(id, now);
  });
  ASSIGN_OR_RETURN(l.sync, ContinuousSync::Start(*l.replica, address, std::move(options)));
  return absl::OkStatus();
}

absl::StatusOr<std::string> MeasureLiveFanout(const Args& args, const TempDir& work,
                                              const TempDir& devices_dir, int& problems) {
  ASSIGN_OR_RETURN(RapportdProcess server, StartServer(args, work, "server-live"));
  Progress(absl::StrCat("live: rapportd at ", server.address(), "; connecting ", args.live_clients,
                        " devices"));
  // Declared before the listeners: their sessions' callbacks use it until they are gone.
  std::atomic<int> live_count{0};
  std::vector<std::unique_ptr<Listener>> listeners;
  const Clock::time_point connect_start = Clock::now();
  for (int i = 0; i < args.live_clients; ++i) {
    auto l = std::make_unique<Listener>();
    ASSIGN_OR_RETURN(l->replica, Replica::Open(devices_dir.Sub(absl::StrCat("live-", i))));
    RETURN_IF_ERROR(StartListener(*l, server.address(), static_cast<size_t>(i),
                                  args.shared_connection, &live_count));
    listeners.push_back(std::move(l));
  }
  const Clock::time_point connect_deadline = connect_start + std::chrono::seconds(120);
  while (live_count < args.live_clients && Clock::now() < connect_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double connect_s = SecondsSince(connect_start);
  const int live_listeners = live_count.load();
  RETURN_IF_ERROR(server.CheckRunning());
  Progress(absl::StrCat("live: ", live_listeners, " of ", args.live_clients, " live after ",
                        connect_s, " s"));
  const std::string memory_live = ServerMemoryJson(server);

  // The writer is a live device too: its commits are pushed as they happen.
  std::atomic<int> writer_live{0};
  Listener writer;
  ASSIGN_OR_RETURN(writer.replica, Replica::Open(devices_dir.Sub("live-writer")));
  RETURN_IF_ERROR(StartListener(writer, server.address(), static_cast<size_t>(args.live_clients),
                                args.shared_connection, &writer_live));
  while (writer_live == 0 && Clock::now() < connect_deadline + std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::map<std::string, Clock::time_point> committed;
  std::string first_probe_id;
  for (int k = 0; k < args.live_commits && writer_live > 0; ++k) {
    ASSIGN_OR_RETURN(ChangeSummary created,
                     writer.replica->Apply(
                         {Mutation::Create("customer", {{"name", absl::StrCat("live probe ", k)},
                                                        {"phone", "+86 138-0000-0000"}})}));
    committed[created.created.at(0)] = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(args.live_gap_ms));
  }
  // Wait for the stragglers (up to 10 s).
  auto arrived = [&] {
    size_t n = 0;
    for (auto& l : listeners) {
      std::lock_guard<std::mutex> lock(l->mu);
      n += l->arrivals.size();
    }
    return n;
  };
  const size_t expected = committed.size() * listeners.size();
  const Clock::time_point wait_deadline = Clock::now() + std::chrono::seconds(10);
  while (arrived() < expected && Clock::now() < wait_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<double> latency_ms;
  int errors = writer.errors;
  for (auto& l : listeners) {
    errors += l->errors;
    std::lock_guard<std::mutex> lock(l->mu);
    for (const auto& [id, at] : l->arrivals) {
      auto it = committed.find(id);
      if (it != committed.end()) latency_ms.push_back(MillisBetween(it->second, at));
    }
  }
  const size_t delivered = latency_ms.size();
  RETURN_IF_ERROR(server.CheckRunning());
  const std::string memory_end = ServerMemoryJson(server);
  Progress(absl::StrCat("live: ", delivered, " of ", expected, " arrivals; stopping"));
  // Stop every live session (in parallel: each stop waits for its server to finish the call).
  auto stop = [](Listener& l) {
    if (l.observer >= 0) l.replica->Unobserve(l.observer);
    if (l.sync) l.sync->Stop();
  };
  ParallelFor(listeners.size(), 32, [&](size_t i) { stop(*listeners[i]); });
  stop(writer);
  listeners.clear();
  RETURN_IF_ERROR(server.Stop());
  if (errors > 0 || delivered < expected || live_listeners < args.live_clients) ++problems;
  const Percentiles latency = Summarise(latency_ms);
  return absl::StrCat("{\"clients\":", args.live_clients, ",\"clients_live\":", live_listeners,
                      ",\"seconds_until_all_live\":", connect_s, ",\"commits\":", committed.size(),
                      ",\"arrivals_expected\":", expected, ",\"arrivals\":", delivered,
                      ",\"latency\":", PercentilesJson(latency, "ms"),
                      ",\"session_errors\":", errors, ",\"server_memory_all_live\":", memory_live,
                      ",\"server_memory_end\":", memory_end, "}");
}

absl::StatusOr<std::string> Run(const Args& args, int& problems) {
  ASSIGN_OR_RETURN(TempDir work, TempDir::Create(args.tmp, "rapport-bench-sync"));
  const std::string device_parent =
      std::filesystem::is_directory(args.device_tmp) ? args.device_tmp : args.tmp;
  ASSIGN_OR_RETURN(TempDir devices_dir, TempDir::Create(device_parent, "rapport-bench-devices"));
  std::string out =
      absl::StrCat("{\"machine\":", MachineJson(), ",\"rapportd\":", JsonQuote(args.rapportd),
                   ",\"device_dir\":", JsonQuote(device_parent),
                   ",\"shared_connection\":", args.shared_connection ? "true" : "false");
  if (!args.Skipped("initial")) {
    ASSIGN_OR_RETURN(std::string initial, MeasureInitialSync(args, work));
    absl::StrAppend(&out, ",\"initial\":", initial);
  }
  if (!args.Skipped("steady")) {
    ASSIGN_OR_RETURN(std::string steady, MeasureSteadyState(args, work, devices_dir, problems));
    absl::StrAppend(&out, ",\"steady\":", steady);
  }
  if (!args.Skipped("live")) {
    ASSIGN_OR_RETURN(std::string live, MeasureLiveFanout(args, work, devices_dir, problems));
    absl::StrAppend(&out, ",\"live\":", live);
  }
  if (!args.Skipped("scoped")) {
    ASSIGN_OR_RETURN(std::string scoped, MeasureScopedSync({.rapportd = args.rapportd,
                                                            .work_dir = work.path(),
                                                            .device_dir = devices_dir.path(),
                                                            .customers = args.customers,
                                                            .interactions = args.interactions,
                                                            .reps = args.reps,
                                                            .seed = args.seed}));
    absl::StrAppend(&out, ",\"scoped\":", scoped);
  }
  return out + "}";
}

}  // namespace

void AddSyncCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "sync",
      "Sync figures against a real rapportd it starts: initial sync of N customers to an empty "
      "device, steady-state edits from D devices syncing in rounds, live fan-out latency to C "
      "connected devices, initial syncs of reps who see only their own customers, server "
      "memory. Prints one JSON object; exits non-zero on any error.");
  auto args = std::make_shared<Args>();
  cmd->add_option("--rapportd", args->rapportd, "rapportd executable")->capture_default_str();
  cmd->add_option("--customers", args->customers, "customers of the initial sync")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}))
      ->capture_default_str();
  cmd->add_option("--interactions", args->interactions, "interactions per customer")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--keepalive-timeout-ms", args->keepalive_timeout_ms,
                  "initial sync: SyncOptions::keepalive_timeout_ms of the empty device")
      ->capture_default_str();
  cmd->add_option("--devices", args->devices, "steady state: simulated devices")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  cmd->add_option("--owned", args->owned, "steady state: customers each device creates")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--rounds", args->rounds, "steady state: rounds of offline edits and syncs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--edits", args->edits_per_round,
                  "steady state: single-field edits per device per round")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--steady-scoped", args->steady_scoped,
                "steady state: each device is a rep (its own token) who owns its customers and "
                "sees only those, so a round's sync moves its own edits, not everyone's");
  cmd->add_option("--threads", args->threads, "steady state: devices syncing at once")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--live-clients", args->live_clients, "live: connected devices")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--live-commits", args->live_commits, "live: commits timed")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--live-gap-ms", args->live_gap_ms, "live: pause between commits")
      ->capture_default_str();
  cmd->add_flag("--shared-connection", args->shared_connection,
                "let gRPC multiplex all simulated devices on one connection (default: one "
                "connection per device, as separate phones have)");
  cmd->add_option("--tmp", args->tmp, "parent of the server and initial-sync directories")
      ->capture_default_str();
  cmd->add_option("--device-tmp", args->device_tmp,
                  "parent of the simulated devices' stores (tmpfs keeps 200 devices' fsyncs off "
                  "the disk the server uses)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the generated values")->capture_default_str();
  cmd->add_option("--reps", args->reps,
                  "scoped: reps who each sync their own customers (of --customers) to an empty "
                  "device, with a rep token")
      ->check(CLI::Range(1, 200))
      ->capture_default_str();
  cmd->add_option("--skip", args->skip, "parts to skip: initial, steady, live, scoped")
      ->check(CLI::IsMember({"initial", "steady", "live", "scoped"}));
  cmd->callback([args, exit_code] {
    int problems = 0;
    const absl::StatusOr<std::string> result = Run(*args, problems);
    if (!result.ok()) {
      std::fprintf(stderr, "rapport-bench sync: %s\n", result.status().ToString().c_str());
      *exit_code = 1;
      return;
    }
    std::printf("%s\n", result->c_str());
    *exit_code = problems == 0 ? 0 : 1;
  });
}

}  // namespace rapport::bench
