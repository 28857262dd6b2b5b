#include "tests/fault/fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <list>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/string_view_compat.h"
#include "tests/fault/unique_fd.h"

namespace rapport::fault {
namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
};

absl::StatusOr<Target> Resolve(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(AV(host_port).substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("fault proxy target \"", AV(host_port), "\" is not host:port"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("fault proxy target \"", AV(host_port),
                                                   "\" does not resolve: ", gai_strerror(rc)));
  }
  Target target;
  std::memcpy(&target.address, found->ai_addr, found->ai_addrlen);
  target.length = found->ai_addrlen;
  freeaddrinfo(found);
  return target;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Makes the next close() send RST instead of FIN.
void ArmReset(int fd) {
  linger no_linger{};
  no_linger.l_onoff = 1;
  no_linger.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
}

// Both ends of a self-pipe: written to wake a thread blocked in poll().
struct WakePipe {
  UniqueFd read_end, write_end;
  static std::optional<WakePipe> Make() {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    return WakePipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
  void Wake() const {
    const char byte = 1;
    // A full pipe already means "wake up"; nothing else can fail here that matters.
    [[maybe_unused]] ssize_t n = write(write_end.get(), &byte, 1);
  }
  void Drain() const {
    std::array<char, 64> sink;
    while (read(read_end.get(), sink.data(), sink.size()) > 0) {
    }
  }
};

}  // namespace

// One proxied connection. Its sockets belong to its thread; the wake pipe and the control
// fields are shared with the control calls, under Impl::mu.
struct Connection {
  uint64_t number = 0;
  UniqueFd client, upstream;
  WakePipe wake;
  std::optional<uint64_t> cut_at_byte;  // the plan's cut, if this connection draws one
  CutKind planned_kind = CutKind::kClose;
  std::mt19937_64 rng;
  std::thread thread;
  std::atomic<bool> finished{false};
};

struct FaultProxy::Impl {
  ProxyOptions options;
  UniqueFd listener;
  int port = 0;
  WakePipe stop;
  std::thread acceptor;

  mutable absl::Mutex mu;
  Target target ABSL_GUARDED_BY(mu);
  FaultPlan plan ABSL_GUARDED_BY(mu);
  bool blackhole ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  uint64_t heal_generation ABSL_GUARDED_BY(mu) = 0;
  // Connections whose CutAll is pending, by number, and the kind requested.
  std::list<std::pair<uint64_t, CutKind>> cut_requests ABSL_GUARDED_BY(mu);
  std::list<std::unique_ptr<Connection>> connections ABSL_GUARDED_BY(mu);
  ProxyStats stats ABSL_GUARDED_BY(mu);
  uint64_t next_number ABSL_GUARDED_BY(mu) = 0;

  void WakeAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const auto& c : connections) c->wake.Wake();
  }
  void AcceptLoop();
  void Accept();
  void ReapFinished();
  void Serve(Connection& c);
};

namespace {

// One direction of a connection: bytes read from `from`, held until `release`, written to `to`.
struct Direction {
  int from = -1, to = -1;
  std::vector<char> buffer;
  size_t begin = 0, end = 0;  // the held bytes are buffer[begin, end)
  Clock::time_point release;
  Clock::time_point bandwidth_free;  // when the bandwidth budget allows the next chunk
  bool eof = false;                  // `from` has closed its side
  bool shut = false;                 // and that close was passed on to `to`
  bool held() const { return begin < end; }
};

int MillisUntil(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(when - now).count());
}

}  // namespace

void FaultProxy::Impl::Serve(Connection& c) {
  std::array<Direction, 2> dirs;
  dirs[0].from = c.client.get();
  dirs[0].to = c.upstream.get();
  dirs[1].from = c.upstream.get();
  dirs[1].to = c.client.get();
  for (Direction& d : dirs) d.buffer.resize(options.chunk_bytes);
  uint64_t taken = 0;  // bytes read from either side: the plan's cut point counts these
  uint64_t seen_heal_generation = 0;
  {
    absl::MutexLock lock(&mu);
    seen_heal_generation = heal_generation;
  }
  bool cut_due = false;  // the planned cut byte has been reached

  auto cut = [&](CutKind kind, bool by_plan) {
    {
      // Counted before the peers can see the cut, so a test that saw it reads the count.
      absl::MutexLock lock(&mu);
      (by_plan ? stats.cut_by_plan : stats.cut_by_request) += 1;
    }
    if (kind == CutKind::kReset) {
      ArmReset(c.client.get());
      ArmReset(c.upstream.get());
    } else {
      shutdown(c.client.get(), SHUT_RDWR);
      shutdown(c.upstream.get(), SHUT_RDWR);
    }
    c.client.Reset();
    c.upstream.Reset();
  };

  for (;;) {
    bool blackholed = false;
    int max_delay_ms = 0;
    size_t bytes_per_second = 0;
    std::optional<CutKind> requested;
    {
      absl::MutexLock lock(&mu);
      if (stopping) break;
      blackholed = blackhole;
      max_delay_ms = plan.max_delay_ms;
      bytes_per_second = plan.bytes_per_second;
      if (heal_generation != seen_heal_generation) {
        seen_heal_generation = heal_generation;
        c.cut_at_byte.reset();
        cut_due = false;
      }
      for (auto it = cut_requests.begin(); it != cut_requests.end(); ++it) {
        if (it->first == c.number) {
          requested = it->second;
          cut_requests.erase(it);
          break;
        }
      }
    }
    if (requested) {
      cut(*requested, /*by_plan=*/false);
      return;
    }
    if (cut_due && !dirs[0].held() && !dirs[1].held()) {
      cut(c.planned_kind, /*by_plan=*/true);
      return;
    }
    if (dirs[0].shut && dirs[1].shut) break;

    const Clock::time_point now = Clock::now();
    std::array<pollfd, 5> fds;
    for (pollfd& p : fds) p = pollfd{-1, 0, 0};
    fds[0] = pollfd{c.wake.read_end.get(), POLLIN, 0};
    int timeout_ms = -1;
    if (!blackholed) {
      for (size_t i = 0; i < 2; ++i) {
        Direction& d = dirs[i];
        if (d.held()) {
          if (d.release <= now) {
            fds[1 + 2 * i + 1] = pollfd{d.to, POLLOUT, 0};
          } else {
            const int wait = MillisUntil(d.release, now);
            timeout_ms = timeout_ms < 0 ? wait : std::min(timeout_ms, wait);
          }
        } else if (!d.eof && !cut_due) {
          fds[1 + 2 * i] = pollfd{d.from, POLLIN, 0};
        }
      }
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) c.wake.Drain();
    if (blackholed) continue;

    bool failed = false;
    for (size_t i = 0; i < 2 && !failed; ++i) {
      Direction& d = dirs[i];
      if (fds[1 + 2 * i].revents != 0) {
        size_t want = d.buffer.size();
        if (c.cut_at_byte) want = std::min<uint64_t>(want, *c.cut_at_byte - taken);
        const ssize_t n = want == 0 ? 0 : read(d.from, d.buffer.data(), want);
        if (want == 0) {
          cut_due = true;
        } else if (n > 0) {
          taken += static_cast<uint64_t>(n);
          if (c.cut_at_byte && taken >= *c.cut_at_byte) cut_due = true;
          d.begin = 0;
          d.end = static_cast<size_t>(n);
          std::uniform_int_distribution<int> delay(0, std::max(0, max_delay_ms));
          Clock::time_point release = Clock::now() + std::chrono::milliseconds(delay(c.rng));
          if (bytes_per_second > 0) {
            release = std::max(release, d.bandwidth_free);
            d.bandwidth_free =
                release + std::chrono::microseconds(static_cast<int64_t>(n) * 1000000 /
                                                    static_cast<int64_t>(bytes_per_second));
          }
          d.release = release;
        } else if (n == 0) {
          d.eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if (fds[1 + 2 * i + 1].revents != 0 && d.held()) {
        const ssize_t n = send(d.to, d.buffer.data() + d.begin, d.end - d.begin, MSG_NOSIGNAL);
        if (n > 0) {
          d.begin += static_cast<size_t>(n);
          absl::MutexLock lock(&mu);
          stats.bytes_forwarded += static_cast<uint64_t>(n);
          if (i == 1) stats.bytes_to_clients += static_cast<uint64_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if (d.eof && !d.held() && !d.shut) {
        shutdown(d.to, SHUT_WR);
        d.shut = true;
      }
    }
    if (failed) {
      // One side reset or broke: pass the reset on, as a network would.
      ArmReset(c.client.get());
      ArmReset(c.upstream.get());
      break;
    }
  }
  c.client.Reset();
  c.upstream.Reset();
}

void FaultProxy::Impl::ReapFinished() {
  std::list<std::unique_ptr<Connection>> done;
  {
    absl::MutexLock lock(&mu);
    for (auto it = connections.begin(); it != connections.end();) {
      if ((*it)->finished.load()) {
        done.push_back(std::move(*it));
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : done) {
    c->thread.join();
    absl::MutexLock lock(&mu);
    cut_requests.remove_if([&](const auto& request) { return request.first == c->number; });
  }
}

void FaultProxy::Impl::Accept() {
  UniqueFd client(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client.valid()) return;
  ReapFinished();
  auto c = std::make_unique<Connection>();
  Target to;
  FaultPlan fate_plan;
  {
    absl::MutexLock lock(&mu);
    if (connections.size() >= options.max_connections) {
      ++stats.refused;
      return;
    }
    to = target;
    fate_plan = plan;
    c->number = next_number++;
  }
  UniqueFd upstream(socket(to.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!upstream.valid() ||
      connect(upstream.get(), reinterpret_cast<const sockaddr*>(&to.address), to.length) != 0) {
    absl::MutexLock lock(&mu);
    ++stats.refused;
    return;  // the client sees its connection closed, as with a server that is down
  }
  std::optional<WakePipe> wake = WakePipe::Make();
  if (!wake) return;
  for (int fd : {client.get(), upstream.get()}) {
    SetNonBlocking(fd);
    SetNoDelay(fd);
  }
  c->client = std::move(client);
  c->upstream = std::move(upstream);
  c->wake = std::move(*wake);
  // The connection's fate, from (seed, connection number) only.
  c->rng.seed(fate_plan.seed * 0x9E3779B97F4A7C15ULL + c->number);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (unit(c->rng) < fate_plan.cut_probability) {
    std::uniform_int_distribution<uint64_t> at(
        0, std::max<uint64_t>(fate_plan.cut_within_bytes, 1) - 1);
    c->cut_at_byte = at(c->rng);
    c->planned_kind = unit(c->rng) < fate_plan.reset_share ? CutKind::kReset : CutKind::kClose;
  }
  Connection* raw = c.get();
  absl::MutexLock lock(&mu);
  if (stopping) return;
  ++stats.accepted;
  connections.push_back(std::move(c));
  raw->thread = std::thread([this, raw] {
    Serve(*raw);
    raw->finished.store(true);
  });
}

void FaultProxy::Impl::AcceptLoop() {
  for (;;) {
    std::array<pollfd, 2> fds = {pollfd{listener.get(), POLLIN, 0},
                                 pollfd{stop.read_end.get(), POLLIN, 0}};
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0) Accept();
  }
}

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(const std::string& target,
                                                              ProxyOptions options) {
  auto resolved = Resolve(target);
  if (!resolved.ok()) return resolved.status();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  {
    absl::MutexLock lock(&impl->mu);
    impl->target = *resolved;
  }
  impl->listener = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (!impl->listener.valid() ||
      bind(impl->listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(impl->listener.get(), 64) != 0 ||
      getsockname(impl->listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::UnavailableError(
        absl::StrCat("fault proxy cannot listen on 127.0.0.1: ", std::strerror(errno)));
  }
  impl->port = ntohs(address.sin_port);
  std::optional<WakePipe> stop = WakePipe::Make();
  if (!stop) return absl::InternalError("fault proxy: pipe2 failed");
  impl->stop = std::move(*stop);
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
    impl_->WakeAll();
  }
  impl_->stop.Wake();
  impl_->acceptor.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&impl_->mu);
    connections.swap(impl_->connections);
  }
  for (auto& c : connections) c->thread.join();
}

int FaultProxy::port() const { return impl_->port; }

std::string FaultProxy::address() const { return absl::StrCat("127.0.0.1:", impl_->port); }

void FaultProxy::SetTarget(const std::string& target) {
  auto resolved = Resolve(target);
  if (!resolved.ok()) return;
  absl::MutexLock lock(&impl_->mu);
  impl_->target = *resolved;
}

void FaultProxy::SetFaults(const FaultPlan& plan) {
  absl::MutexLock lock(&impl_->mu);
  impl_->plan = plan;
  impl_->WakeAll();
}

void FaultProxy::CutAll(CutKind kind) {
  absl::MutexLock lock(&impl_->mu);
  for (const auto& c : impl_->connections) {
    if (!c->finished.load()) impl_->cut_requests.emplace_back(c->number, kind);
  }
  impl_->WakeAll();
}

void FaultProxy::Blackhole(bool on) {
  absl::MutexLock lock(&impl_->mu);
  impl_->blackhole = on;
  impl_->WakeAll();
}

void FaultProxy::Heal() {
  absl::MutexLock lock(&impl_->mu);
  impl_->plan = FaultPlan{.seed = impl_->plan.seed};
  impl_->blackhole = false;
  ++impl_->heal_generation;
  impl_->WakeAll();
}

ProxyStats FaultProxy::stats() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->stats;
}

bool FaultProxy::WaitFor(const std::function<bool(const ProxyStats&)>& reached,
                         std::chrono::milliseconds timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto condition = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->mu) { return reached(impl_->stats); };
  return impl_->mu.AwaitWithTimeout(absl::Condition(&condition), absl::FromChrono(timeout));
}

}  // namespace rapport::fault
