#include "tools/bench/scoped_sync_part.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client-lib/src/replica_internal.h"
#include "core/status_macros.h"
#include "rapport/query.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tools/bench/sync_bench_util.h"

namespace rapport::bench {
namespace {

void Progress(const std::string& line) {
  std::fprintf(stderr, "rapport-bench sync: scoped: %s\n", line.c_str());
}

}  // namespace

absl::StatusOr<std::string> MeasureScopedSync(const ScopedSyncArgs& args) {
  const std::string dir = args.work_dir + "/server-scoped";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string key_file = dir + "/auth.key";
  ASSIGN_OR_RETURN(const auth::SigningKey key, NewBenchKey(key_file));
  ASSIGN_OR_RETURN(RapportdProcess server, RapportdProcess::Start({.binary = args.rapportd,
                                                                   .data_dir = dir + "/data",
                                                                   .work_dir = dir,
                                                                   .auth_key_file = key_file}));
  Progress(absl::StrCat("rapportd at ", server.address(), ", seeding ", args.customers,
                        " customers owned by 200 reps"));

  // Head office loads the archive.
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> office, Replica::Open(args.work_dir + "/office"));
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   CreateCustomers(*office, args.customers, 0, args.interactions, args.seed));
  SyncOptions admin;
  ASSIGN_OR_RETURN(admin.token, BenchToken(key, auth::Role::kAdmin, "bench-admin"));
  Clock::time_point start = Clock::now();
  absl::StatusOr<SyncSummary> seeded = SyncOnce(*office, server.address(), admin);
  RETURN_IF_ERROR(server.CheckRunning());
  RETURN_IF_ERROR(seeded.status());
  const double seed_s = SecondsSince(start);
  office.reset();
  Progress(absl::StrCat("seeded in ", seed_s, " s; ", args.reps, " reps sync empty devices"));

  // Each rep, one after another (the per-rep time is not shared with other reps' work), syncs an
  // empty phone.
  std::vector<double> rep_ms;
  uint64_t records = 0, bytes = 0;
  const double server_cpu_before = ProcCpuSeconds(server.pid());
  for (int r = 0; r < args.reps; ++r) {
    const std::string subject = absl::StrCat("user:rep-", r);
    SyncOptions options;
    ASSIGN_OR_RETURN(options.token, BenchToken(key, auth::Role::kRep, subject));
    ASSIGN_OR_RETURN(TempDir phone_dir, TempDir::Create(args.device_dir, "scoped-rep"));
    ASSIGN_OR_RETURN(std::unique_ptr<Replica> phone, Replica::Open(phone_dir.Sub("store")));
    const Clock::time_point t = Clock::now();
    absl::StatusOr<SyncSummary> synced = SyncOnce(*phone, server.address(), options);
    rep_ms.push_back(MillisBetween(t, Clock::now()));
    RETURN_IF_ERROR(server.CheckRunning());
    if (!synced.ok()) {
      return absl::Status(synced.status().code(),
                          absl::StrCat("rep ", subject, ": ", synced.status().message()));
    }
    // Only its own customers, every one of them.
    ASSIGN_OR_RETURN(store::StoreStats stats, ReplicaInternal::Store(*phone).Stats());
    Query owned = Query::Equals("owner", subject);
    owned.limit = stats.records + 1;
    ASSIGN_OR_RETURN(QueryResult own, phone->Query(owned));
    if (own.ids.size() != stats.records) {
      return absl::InternalError(absl::StrCat("rep ", subject, " received ",
                                              stats.records - own.ids.size(),
                                              " records it does not own"));
    }
    records += stats.records;
    bytes += synced->bytes;
  }
  const double server_cpu_s = ProcCpuSeconds(server.pid()) - server_cpu_before;
  if (args.reps >= 200 && records != args.customers) {
    return absl::InternalError(absl::StrCat("the 200 reps received ", records, " records in all, ",
                                            "expected each of the ", args.customers, " once"));
  }
  const std::string memory =
      absl::StrCat("{\"peak_rss_mb\":", ProcStatusMb(server.pid(), "VmHWM"),
                   ",\"rss_mb\":", ProcStatusMb(server.pid(), "VmRSS"),
                   ",\"rss_anon_mb\":", ProcStatusMb(server.pid(), "RssAnon"), "}");
  RETURN_IF_ERROR(server.Stop());
  const double reps = static_cast<double>(args.reps);
  const double first_ms = rep_ms.empty() ? 0 : rep_ms.front();
  const Percentiles latency = Summarise(rep_ms);
  return absl::StrCat(
      "{\"customers\":", args.customers, ",\"reps\":", args.reps, ",\"seed_push_s\":", seed_s,
      ",\"records_per_rep\":", static_cast<double>(records) / reps,
      ",\"bytes_per_rep\":", static_cast<double>(bytes) / reps, ",\"first_rep_ms\":", first_ms,
      ",\"rep_initial_sync\":", PercentilesJson(latency, "ms"),
      ",\"server_cpu_ms_per_pull\":", 1000 * server_cpu_s / reps, ",\"server_memory\":", memory,
      "}");
}

}  // namespace rapport::bench
