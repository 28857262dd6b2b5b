// The fault proxy against two tiny loopback servers: an echo server (bytes come back) and a
// source (it sends a fixed stream and closes), so each fault's effect is visible in bytes.
#include "tests/fault/fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <list>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/fault/unique_fd.h"

namespace rapport::fault {
namespace {

using Clock = std::chrono::steady_clock;

// A loopback server on an OS-chosen port: echoes what it reads, or (as a source) writes
// `source_bytes` bytes of a known pattern and closes. One thread per connection.
class TestServer {
 public:
  explicit TestServer(size_t source_bytes = 0) : source_bytes_(source_bytes) {
    listener_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener_.get(), 16), 0);
    EXPECT_EQ(getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestServer() {
    // shutdown() wakes the acceptor's accept(); connections end when their peers close.
    shutdown(listener_.get(), SHUT_RDWR);
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void AcceptLoop() {
    for (;;) {
      UniqueFd fd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) return;
      connections_.emplace_back([this, fd = std::move(fd)] {
        if (source_bytes_ > 0) {
          Source(fd.get());
        } else {
          Echo(fd.get());
        }
      });
    }
  }
  static void Echo(int fd) {
    std::vector<char> buffer(8192);
    for (;;) {
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n <= 0) return;
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t w =
            send(fd, buffer.data() + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0) return;
        sent += w;
      }
    }
  }
  void Source(int fd) const {
    std::string pattern(source_bytes_, '\0');
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>('a' + i % 26);
    for (size_t sent = 0; sent < pattern.size();) {
      const ssize_t w = send(fd, pattern.data() + sent, pattern.size() - sent, MSG_NOSIGNAL);
      if (w <= 0) return;
      sent += static_cast<size_t>(w);
    }
  }

  const size_t source_bytes_;
  UniqueFd listener_;
  int port_ = 0;
  std::thread acceptor_;
  std::list<std::thread> connections_;  // only the acceptor thread adds; joined after it ends
};

UniqueFd Connect(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

struct Outcome {
  std::string received;
  bool eof = false;        // the stream ended with FIN
  int error = 0;           // or with this errno (ECONNRESET for a reset)
  bool timed_out = false;  // neither within the deadline
};

// Sends `payload` (then half-closes) while reading until the stream ends, `expect` bytes have
// arrived, or `timeout` passes.
Outcome Exchange(int fd, const std::string& payload, size_t expect,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  Outcome out;
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t sent = 0;
  bool half_closed = payload.empty();
  if (half_closed) shutdown(fd, SHUT_WR);
  std::vector<char> buffer(16384);
  while (out.received.size() < expect || expect == 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      return out;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (half_closed ? 0 : POLLOUT)), 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) {
        out.eof = true;
        return out;
      }
      if (n < 0 && errno != EAGAIN) {
        out.error = errno;
        return out;
      }
      if (n > 0) out.received.append(buffer.data(), static_cast<size_t>(n));
    }
    if (!half_closed && (p.revents & POLLOUT)) {
      const ssize_t w =
          send(fd, payload.data() + sent, payload.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN) {
        out.error = errno;
        return out;
      }
      if (w > 0) sent += static_cast<size_t>(w);
      if (sent == payload.size()) {
        shutdown(fd, SHUT_WR);
        half_closed = true;
      }
    }
  }
  return out;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + i / 251);
  return s;
}

std::unique_ptr<FaultProxy> StartProxy(const std::string& target) {
  auto proxy = FaultProxy::Start(target);
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  return proxy.ok() ? *std::move(proxy) : nullptr;
}

TEST(FaultProxy, ForwardsEveryByteBothWaysWithoutFaults) {
  TestServer echo;
  auto proxy = StartProxy(echo.address());
  ASSERT_NE(proxy, nullptr);
  ASSERT_GT(proxy->port(), 0);
  const std::string payload = Pattern(1 << 20);
  UniqueFd fd = Connect(proxy->port());
  Outcome out = Exchange(fd.get(), payload, 0);
  EXPECT_TRUE(out.eof) << out.error;
  EXPECT_TRUE(out.received == payload) << out.received.size() << " of " << payload.size();
  EXPECT_EQ(proxy->stats().bytes_forwarded, 2 * payload.size());
}

TEST(FaultProxy, PlannedCutEndsTheStreamMidway) {
  TestServer echo;
  auto proxy = StartProxy(echo.address());
  ASSERT_NE(proxy, nullptr);
  proxy->SetFaults({.seed = 7, .cut_probability = 1.0, .cut_within_bytes = 8192});
  for (int i = 0; i < 4; ++i) {
    UniqueFd fd = Connect(proxy->port());
    Outcome out = Exchange(fd.get(), Pattern(256 << 10), 0);
    EXPECT_FALSE(out.timed_out);
    EXPECT_TRUE(out.eof || out.error != 0);
    EXPECT_LT(out.received.size(), size_t{8192});
  }
  EXPECT_EQ(proxy->stats().cut_by_plan, 4u);
}

TEST(FaultProxy, ResetCutIsSeenAsConnectionReset) {
  TestServer source(1 << 20);
  auto proxy = StartProxy(source.address());
  ASSERT_NE(proxy, nullptr);
  proxy->SetFaults(
      {.seed = 3, .cut_probability = 1.0, .cut_within_bytes = 100000, .reset_share = 1.0});
  UniqueFd fd = Connect(proxy->port());
  Outcome out = Exchange(fd.get(), "", 0);
  EXPECT_EQ(out.error, ECONNRESET);
  EXPECT_LT(out.received.size(), size_t{100000});
}

// A cut is placed by bytes, so the same seed cuts the same traffic at the same byte.
std::vector<size_t> CutPoints(uint64_t seed) {
  TestServer source(64 << 10);
  auto proxy = StartProxy(source.address());
  std::vector<size_t> received;
  if (proxy == nullptr) return received;
  proxy->SetFaults({.seed = seed,
                    .cut_probability = 0.7,
                    .cut_within_bytes = 64 << 10,
                    .reset_share = 0.0,
                    .max_delay_ms = 1});
  for (int i = 0; i < 6; ++i) {
    UniqueFd fd = Connect(proxy->port());
    Outcome out = Exchange(fd.get(), "", 0);
    EXPECT_TRUE(out.eof);
    received.push_back(out.received.size());
  }
  return received;
}

TEST(FaultProxy, SameSeedCutsAtTheSameBytes) {
  const std::vector<size_t> first = CutPoints(42);
  EXPECT_EQ(first, CutPoints(42));
  EXPECT_NE(first, CutPoints(43));
  size_t cut = 0;
  for (size_t n : first) cut += n < (64u << 10) ? 1 : 0;
  EXPECT_GE(cut, 1u);
}

TEST(FaultProxy, BlackholeHoldsDataUntilHealed) {
  TestServer echo;
  auto proxy = StartProxy(echo.address());
  ASSERT_NE(proxy, nullptr);
  UniqueFd fd = Connect(proxy->port());
  proxy->Blackhole(true);
  const std::string hello = "hello through a dead link";
  ASSERT_EQ(send(fd.get(), hello.data(), hello.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(hello.size()));
  // Nothing comes back while the link is dead (a bounded look, not a synchronisation).
  pollfd p{fd.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 300), 0);
  proxy->Heal();
  Outcome out = Exchange(fd.get(), "", hello.size());
  EXPECT_EQ(out.received, hello);
}

TEST(FaultProxy, CutAllEndsOpenConnections) {
  TestServer echo;
  auto proxy = StartProxy(echo.address());
  ASSERT_NE(proxy, nullptr);
  UniqueFd live = Connect(proxy->port());
  const std::string ping = "ping";
  ASSERT_EQ(send(live.get(), ping.data(), ping.size(), MSG_NOSIGNAL), 4);
  std::vector<char> buffer(4);
  ASSERT_EQ(recv(live.get(), buffer.data(), 4, MSG_WAITALL), 4);
  proxy->CutAll(CutKind::kReset);
  pollfd p{live.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  EXPECT_EQ(recv(live.get(), buffer.data(), buffer.size(), 0), -1);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_GE(proxy->stats().cut_by_request, 1u);
}

TEST(FaultProxy, ThrottleLimitsBandwidth) {
  TestServer source(100 << 10);
  auto proxy = StartProxy(source.address());
  ASSERT_NE(proxy, nullptr);
  proxy->SetFaults({.bytes_per_second = 400 << 10});
  const Clock::time_point start = Clock::now();
  UniqueFd fd = Connect(proxy->port());
  Outcome out = Exchange(fd.get(), "", 0);
  EXPECT_TRUE(out.eof);
  EXPECT_EQ(out.received.size(), size_t{100 << 10});
  // 100 KiB at 400 KiB/s: the last chunk is released after at least 100 KiB - 16 KiB were paid.
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(190));
}

TEST(FaultProxy, WaitForWakesWhenTheStreamReachesAPoint) {
  TestServer source(256 << 10);
  auto proxy = StartProxy(source.address());
  ASSERT_NE(proxy, nullptr);
  // 256 KiB at 512 KiB/s in chunks of at most 16 KiB: half a second of stream.
  proxy->SetFaults({.bytes_per_second = 512 << 10});
  Outcome out;
  std::thread reader([&] {
    UniqueFd fd = Connect(proxy->port());
    out = Exchange(fd.get(), "", 0);
  });
  auto past = [](uint64_t n) {
    return [n](const ProxyStats& s) { return s.bytes_to_clients >= n; };
  };
  EXPECT_TRUE(proxy->WaitFor(past(32 << 10), std::chrono::seconds(10)));
  const uint64_t at_wake = proxy->stats().bytes_to_clients;
  EXPECT_GE(at_wake, uint64_t{32 << 10});
  EXPECT_LT(at_wake, uint64_t{256 << 10}) << "woken only at the end of the stream";
  EXPECT_FALSE(proxy->WaitFor(past(1 << 30), std::chrono::milliseconds(50)));
  reader.join();
  EXPECT_TRUE(out.eof);
  EXPECT_EQ(proxy->stats().bytes_to_clients, uint64_t{256 << 10});
}

TEST(FaultProxy, TargetDownClosesTheClient) {
  // A port that was free a moment ago: nothing listens there.
  int free_port = 0;
  {
    TestServer gone;
    free_port = std::stoi(gone.address().substr(gone.address().rfind(':') + 1));
  }
  auto proxy = StartProxy("127.0.0.1:" + std::to_string(free_port));
  ASSERT_NE(proxy, nullptr);
  UniqueFd fd = Connect(proxy->port());
  Outcome out = Exchange(fd.get(), "x", 0);
  EXPECT_FALSE(out.timed_out);
  EXPECT_EQ(out.received, "");
  EXPECT_EQ(proxy->stats().refused, 1u);
}

TEST(FaultProxy, MalformedTargetIsInvalidArgument) {
  EXPECT_EQ(FaultProxy::Start("no-port").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FaultProxy::Start("127.0.0.1:99999").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport::fault
