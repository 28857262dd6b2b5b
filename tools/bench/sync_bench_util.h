// Shared by `rapport-bench sync` and `rapport-bench soak`: a rapportd child process, temporary
// directories, /proc memory figures, latency percentiles, and realistic customers written through
// the public client API.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/auth/claims.h"
#include "core/auth/signing_key.h"
#include "rapport/mutation.h"
#include "rapport/replica.h"

namespace rapport::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
inline double MillisBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A directory created under `parent` (mkdtemp) and removed with everything in it on destruction.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The rapportd next to this build's rapport-bench: <build>/tools/rapport-bench ->
// <build>/server/rapportd (found through /proc/self/exe).
std::string DefaultRapportdPath();

// A rapportd child process on an OS-chosen loopback port, its data in a directory of its own.
// The destructor stops it with SIGTERM (SIGKILL after 15 s) and waits for it.
class RapportdProcess {
 public:
  struct Options {
    std::string binary;    // path of rapportd
    std::string data_dir;  // --data
    std::string work_dir;  // holds the config file and rapportd's stderr log
    // Written to the config file when > 0 (ServerConfig.max_concurrent_streams and
    // max_pull_batch_bytes); 0 keeps rapportd's default.
    int max_concurrent_streams = 0;
    uint64_t max_pull_batch_bytes = 0;
    // A signing key file (auth::GenerateHs256KeyFile): the server asks for tokens signed with
    // it. Empty: auth is off, as in the sync tests (loopback only).
    std::string auth_key_file = {};
  };
  // Starts rapportd and waits (up to 30 s) for its "rapportd listening on HOST:PORT" line.
  static absl::StatusOr<RapportdProcess> Start(const Options& options);
  RapportdProcess(RapportdProcess&& other) noexcept;
  RapportdProcess& operator=(RapportdProcess&&) = delete;
  RapportdProcess(const RapportdProcess&) = delete;
  RapportdProcess& operator=(const RapportdProcess&) = delete;
  ~RapportdProcess();

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // OK while the process runs; otherwise an error with its exit status and the end of its
  // stderr (a crash under load is a finding, not a benchmark figure).
  absl::Status CheckRunning();
  // SIGTERM, then wait for exit; OK if it exited with status 0. Idempotent.
  absl::Status Stop();
  // The last `max_bytes` of what rapportd wrote to stderr (for error messages).
  std::string StderrTail(size_t max_bytes = 2000) const;

 private:
  RapportdProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::string stderr_path_;
};

// A new HS256 signing key, written to `path` for a rapportd to verify with
// (RapportdProcess::Options::auth_key_file).
absl::StatusOr<auth::SigningKey> NewBenchKey(const std::string& path);
// A day-long token for `subject` in `role`, with rapportd's default issuer and audience.
absl::StatusOr<std::string> BenchToken(const auth::SigningKey& key, auth::Role role,
                                       const std::string& subject);

// "VmRSS", "VmHWM", ... of /proc/<pid>/status in MiB; 0 if unreadable.
double ProcStatusMb(pid_t pid, const std::string& key);

// User plus system CPU seconds used so far by process `pid` (0 = this process), from
// /proc/<pid>/stat; 0 if unreadable.
double ProcCpuSeconds(pid_t pid);

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  size_t samples = 0;
};
// Sorts `values` in place.
Percentiles Summarise(std::vector<double>& values);
std::string PercentilesJson(const Percentiles& p, const std::string& unit);

// JSON string literal (escapes quotes, backslashes and control characters).
std::string JsonQuote(const std::string& s);

// Small, fast, seedable generator (SplitMix64).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

// The mutations creating one realistic default-schema customer with `interactions` timeline
// entries, as "@<first_ref>" references in a batch (the customer is the `first_ref`-th Create of
// the batch). Values as in `rapport-bench store`: name, phone, e-mail, city, owner, territory,
// branch, lifecycle stage, value tier, birthday, next follow-up, 3 tags, loyalty points and
// interactions with kind, author and a one-sentence summary.
void AppendCustomerMutations(Rng& rng, uint64_t index, int first_ref, int interactions,
                             std::vector<Mutation>* out);

// A random phone number the schema accepts.
std::string RandomPhone(Rng& rng);

// Creates `count` customers in `replica` in batches of `batch`; returns their ids.
absl::StatusOr<std::vector<std::string>> CreateCustomers(Replica& replica, uint64_t count,
                                                         uint64_t first_index, int interactions,
                                                         uint64_t seed, uint64_t batch = 500);

// Calls fn(0) .. fn(count - 1) from `threads` threads (each takes the next index); returns when
// all calls have returned.
void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& fn);

// The number of logical CPUs and the CPU model name, for the JSON "machine" object.
std::string MachineJson();

}  // namespace rapport::bench
