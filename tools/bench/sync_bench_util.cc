#include "tools/bench/sync_bench_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/auth/token_issuer.h"
#include "core/status_macros.h"

extern char** environ;

namespace rapport::bench {
namespace {

constexpr std::array<const char*, 20> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄",
                                                   "赵", "吴", "周", "徐", "孙", "马", "朱",
                                                   "胡", "郭", "何", "高", "林", "罗"};
constexpr std::array<const char*, 16> kGiven = {"小明", "伟", "芳", "娜",  "秀英", "敏",
                                                "静",   "丽", "强", "磊",  "军",   "洋",
                                                "勇",   "艳", "杰", "晓峰"};
constexpr std::array<const char*, 12> kFirst = {"Anna",  "Ben",   "Carla", "David",
                                                "Elena", "Felix", "Grace", "Hugo",
                                                "Irene", "Jonas", "Karin", "Lukas"};
constexpr std::array<const char*, 12> kLast = {"Schmidt", "Rossi",   "Novak",    "Garcia",
                                               "Muller",  "Bianchi", "Kowalski", "Dubois",
                                               "Jensen",  "Silva",   "Berger",   "Ferrari"};
constexpr std::array<const char*, 6> kCompanySuffix = {"Trading Co.", "GmbH",     "Ltd.",
                                                       "Logistics",   "Hardware", "Foods"};
constexpr std::array<const char*, 12> kCities = {"Shanghai", "Beijing", "Shenzhen", "Guangzhou",
                                                 "Hangzhou", "Chengdu", "Milan",    "Munich",
                                                 "Lyon",     "Vienna",  "Madrid",   "Porto"};
constexpr std::array<const char*, 5> kLifecycle = {"non_customer", "potential", "target", "current",
                                                   "lost"};
constexpr std::array<const char*, 4> kTiers = {"key", "important", "ordinary", "small"};
constexpr std::array<const char*, 12> kTags = {"vip",        "wholesale", "retail",  "online",
                                               "trade-fair", "referral",  "prepaid", "export",
                                               "bulk",       "premium",   "partner", "chain"};
constexpr std::array<const char*, 11> kKinds = {
    "visit",           "call",      "email",     "message", "meeting", "demonstration", "order",
    "service_request", "complaint", "follow_up", "survey"};
constexpr std::array<const char*, 8> kSummaries = {
    "Visited the shop; owner wants a quote for 200 units before the spring season.",
    "Called about the late delivery; promised a credit note for the freight.",
    "客户反映上批货包装破损，已安排补发并跟进物流。",
    "Demonstrated the new model to the purchasing manager and two engineers.",
    "Order confirmed: 48 cartons, payment 30 days net, delivery to the north warehouse.",
    "回访满意度调查：对服务响应速度满意，希望增加夜间配送。",
    "Sent the updated price list and the catalogue; follow up next week.",
    "与采购负责人面谈，讨论明年框架协议和返点政策。"};

template <typename T, size_t N>
const T& Pick(Rng& rng, const std::array<T, N>& items) {
  return items[rng.Below(N)];
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<TempDir> TempDir::Create(const std::string& parent, const std::string& prefix) {
  std::string pattern = absl::StrCat(parent, "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return Errno(absl::StrCat("cannot create a temporary directory ", pattern));
  }
  return TempDir(std::move(pattern));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir old(std::move(*this));
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<auth::SigningKey> NewBenchKey(const std::string& path) {
  RETURN_IF_ERROR(auth::GenerateHs256KeyFile(path));
  return auth::LoadSigningKey(path);
}

absl::StatusOr<std::string> BenchToken(const auth::SigningKey& key, auth::Role role,
                                       const std::string& subject) {
  auth::Claims claims;
  claims.subject = subject;
  claims.role = role;
  claims.expires_at = absl::ToUnixSeconds(absl::Now()) + 24 * 3600;
  // rapportd's default issuer and audience (ServerConfig.auth; server/server_auth.h).
  claims.issuer = "rapportd";
  claims.audience = "rapport";
  return auth::IssueToken(key, claims);
}

std::string DefaultRapportdPath() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "rapportd";
  // <build>/tools/rapport-bench -> <build>/server/rapportd
  return (self.parent_path().parent_path() / "server" / "rapportd").string();
}

absl::StatusOr<RapportdProcess> RapportdProcess::Start(const Options& options) {
  if (access(options.binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("no rapportd executable at ", options.binary,
                                            "; build the rapportd target or pass --rapportd"));
  }
  // metrics off: several benchmark servers (and other engineers' rapportd) must not compete for
  // the default metrics port.
  const std::string config_path = options.work_dir + "/rapportd.textproto";
  {
    std::ofstream config(config_path);
    config << "metrics_listen: \"off\"\n";
    if (options.auth_key_file.empty()) {
      config << "auth { disabled: true }\n";
    } else {
      config << "auth { key_file: \"" << options.auth_key_file << "\" }\n";
    }
    if (options.max_concurrent_streams > 0) {
      config << "max_concurrent_streams: " << options.max_concurrent_streams << "\n";
    }
    if (options.max_pull_batch_bytes > 0) {
      config << "max_pull_batch_bytes: " << options.max_pull_batch_bytes << "\n";
    }
    if (!config) return absl::InternalError(absl::StrCat("cannot write ", config_path));
  }
  RapportdProcess process;
  process.stderr_path_ = options.work_dir + "/rapportd.stderr";

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Errno("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, process.stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {options.binary,   "--listen", "127.0.0.1:0", "--data",
                                   options.data_dir, "--config", config_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned =
      posix_spawn(&process.pid_, options.binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    process.pid_ = -1;
    return absl::InternalError(
        absl::StrCat("cannot start ", options.binary, ": ", std::strerror(spawned)));
  }

  // Read stdout until the "listening" line (rapportd prints it once it is serving).
  const std::string marker = "rapportd listening on ";
  std::string text;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
  auto has_address_line = [&] {
    const size_t at = text.find(marker);
    return at != std::string::npos && text.find('\n', at) != std::string::npos;
  };
  while (!has_address_line()) {
    const int left_ms = static_cast<int>(MillisBetween(Clock::now(), deadline));
    pollfd p{out[0], POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0) {
      close(out[0]);
      return absl::DeadlineExceededError(absl::StrCat(
          "rapportd did not report its address within 30 s; its stderr: ", process.StderrTail()));
    }
    char buffer[512];
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n <= 0) {
      close(out[0]);
      return absl::InternalError(
          absl::StrCat("rapportd exited before listening; its stderr: ", process.StderrTail()));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  // rapportd writes nothing more to stdout; closing our end is harmless.
  close(out[0]);
  const size_t start = text.find(marker) + marker.size();
  const size_t end = text.find_first_of(" \n", start);
  process.address_ = text.substr(start, end - start);
  if (process.address_.find(':') == std::string::npos) {
    return absl::InternalError(absl::StrCat("cannot parse rapportd's address from: ", text));
  }
  return process;
}

RapportdProcess::RapportdProcess(RapportdProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      address_(std::move(other.address_)),
      stderr_path_(std::move(other.stderr_path_)) {}

RapportdProcess::~RapportdProcess() {
  // Reached without Stop() on error paths: say what happened to the server, since the error
  // that got us here is often only its consequence ("connection refused").
  if (absl::Status stopped = Stop(); !stopped.ok()) {
    std::fprintf(stderr, "rapport-bench: %s\n", stopped.ToString().c_str());
  }
}

absl::Status RapportdProcess::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  // rapportd logs the signals it receives; one before ours came from another process.
  const std::string before = StderrTail();
  const bool signalled_by_others = before.find("shutting down") != std::string::npos;
  kill(pid_, SIGTERM);
  int status = 0;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const pid_t pid = std::exchange(pid_, -1);
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return absl::DeadlineExceededError(
        absl::StrCat("rapportd (pid ", pid, ") did not exit within 15 s of SIGTERM; killed"));
  }
  if (signalled_by_others) {
    return absl::AbortedError(
        absl::StrCat("rapportd (pid ", pid,
                     ") was stopped by a signal from another process before the "
                     "benchmark ended; its stderr: ",
                     before));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("rapportd exited abnormally (status ", status,
                                            "); its stderr: ", StderrTail()));
  }
  return absl::OkStatus();
}

absl::Status RapportdProcess::CheckRunning() {
  if (pid_ <= 0) return absl::FailedPreconditionError("rapportd is not running");
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return absl::OkStatus();
  const pid_t pid = std::exchange(pid_, -1);
  return absl::InternalError(absl::StrCat("rapportd (pid ", pid, ") died: ",
                                          WIFSIGNALED(status)
                                              ? absl::StrCat("signal ", WTERMSIG(status))
                                              : absl::StrCat("exit status ", WEXITSTATUS(status)),
                                          "; the end of its stderr: ", StderrTail()));
}

std::string RapportdProcess::StderrTail(size_t max_bytes) const {
  std::ifstream in(stderr_path_);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

double ProcStatusMb(pid_t pid, const std::string& key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::strtod(line.c_str() + key.size() + 1, nullptr) / 1024.0;
    }
  }
  return 0;
}

double ProcCpuSeconds(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                            : absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::strtod(field.c_str(), nullptr);
    if (n == 15) stime = std::strtod(field.c_str(), nullptr);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Percentiles Summarise(std::vector<double>& values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[std::min(values.size() - 1,
                           static_cast<size_t>(q * static_cast<double>(values.size())))];
  };
  return {at(0.50), at(0.99), values.back(), values.size()};
}

std::string PercentilesJson(const Percentiles& p, const std::string& unit) {
  return absl::StrCat("{\"samples\":", p.samples, ",\"p50_", unit, "\":", p.p50, ",\"p99_", unit,
                      "\":", p.p99, ",\"max_", unit, "\":", p.max, "}");
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string RandomPhone(Rng& rng) {
  return absl::StrCat("+86 1", 30 + rng.Below(70), "-", 1000 + rng.Below(9000), "-",
                      1000 + rng.Below(9000));
}

void AppendCustomerMutations(Rng& rng, uint64_t index, int first_ref, int interactions,
                             std::vector<Mutation>* out) {
  std::string name, mail_user;
  if (rng.Below(10) < 4) {
    name = absl::StrCat(Pick(rng, kSurnames), Pick(rng, kGiven));
    mail_user = absl::StrCat("kh", index);
  } else if (rng.Below(2) == 0) {
    const char* first = Pick(rng, kFirst);
    const char* last = Pick(rng, kLast);
    name = absl::StrCat(first, " ", last);
    mail_user = absl::StrCat(first, ".", last, index);
  } else {
    name = absl::StrCat(Pick(rng, kLast), " ", Pick(rng, kCompanySuffix));
    mail_user = absl::StrCat("info", index);
  }
  const uint64_t owner = rng.Below(200);
  const std::string ref = absl::StrCat("@", first_ref);
  out->push_back(Mutation::Create(
      "customer", {{"name", name},
                   {"phone", RandomPhone(rng)},
                   {"email", absl::StrCat(mail_user, "@example", rng.Below(50), ".com")},
                   {"city", std::string(Pick(rng, kCities))},
                   {"owner", absl::StrCat("user:rep-", owner)},
                   {"territory", absl::StrCat("territory-", rng.Below(100))},
                   {"branch", absl::StrCat("branch-", owner % 10)},
                   {"lifecycle_stage", EnumValue{Pick(rng, kLifecycle)}},
                   {"value_tier", EnumValue{Pick(rng, kTiers)}},
                   {"birthday", Date::FromCivil(1950 + static_cast<int>(rng.Below(55)),
                                                1 + static_cast<unsigned>(rng.Below(12)),
                                                1 + static_cast<unsigned>(rng.Below(28)))},
                   {"next_follow_up", Date::FromCivil(2026 + static_cast<int>(rng.Below(2)),
                                                      1 + static_cast<unsigned>(rng.Below(12)),
                                                      1 + static_cast<unsigned>(rng.Below(28)))}}));
  for (int t = 0; t < 3; ++t) out->push_back(Mutation::AddElement(ref, "tags", Pick(rng, kTags)));
  out->push_back(Mutation::Increment(ref, "loyalty_points", static_cast<int64_t>(rng.Below(5000))));
  int64_t at = 1'700'000'000'000 + static_cast<int64_t>(rng.Below(10'000'000'000));
  for (int i = 0; i < interactions; ++i) {
    at += static_cast<int64_t>(rng.Below(1'000'000'000));
    const uint64_t author = rng.Below(4) == 0 ? rng.Below(200) : owner;
    out->push_back(Mutation::AppendEntry(ref, "interactions", Timestamp{at},
                                         {{"kind", EnumValue{Pick(rng, kKinds)}},
                                          {"author", absl::StrCat("user:rep-", author)},
                                          {"summary", std::string(Pick(rng, kSummaries))}}));
  }
}

absl::StatusOr<std::vector<std::string>> CreateCustomers(Replica& replica, uint64_t count,
                                                         uint64_t first_index, int interactions,
                                                         uint64_t seed, uint64_t batch) {
  std::vector<std::string> ids;
  ids.reserve(count);
  std::vector<Mutation> mutations;
  for (uint64_t first = 0; first < count; first += batch) {
    const uint64_t end = std::min(count, first + batch);
    mutations.clear();
    for (uint64_t i = first; i < end; ++i) {
      Rng rng(seed * 0x100000001B3ull + first_index + i);
      AppendCustomerMutations(rng, first_index + i, static_cast<int>(i - first), interactions,
                              &mutations);
    }
    absl::StatusOr<ChangeSummary> done = replica.Apply(mutations);
    if (!done.ok()) {
      return absl::Status(done.status().code(),
                          absl::StrCat("creating customers ", first_index + first, "..",
                                       first_index + end - 1, ": ", done.status().message()));
    }
    ids.insert(ids.end(), done->created.begin(), done->created.end());
  }
  return ids;
}

void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  const size_t workers = std::min<size_t>(count, static_cast<size_t>(std::max(1, threads)));
  pool.reserve(workers);
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) fn(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

std::string MachineJson() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  double load = 0;
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> load;
  return absl::StrCat("{\"nproc\":", sysconf(_SC_NPROCESSORS_ONLN), ",\"cpu\":", JsonQuote(model),
                      ",\"loadavg_1m_at_start\":", load, "}");
}

}  // namespace rapport::bench
