// A fault-injecting TCP proxy for loopback tests: it listens on 127.0.0.1 (OS-chosen port) and
// forwards every connection to a target host:port, while injecting the network faults a field
// device meets: latency, low bandwidth, connections cut mid-stream (FIN) or reset (RST), and dead
// links that stay open but carry nothing (blackhole). The kernels we run on have no `tc netem`
// (ARCHITECTURE.md), so faults are made here, in user space.
//
// Determinism: each accepted connection draws its fate from a generator seeded by
// (FaultPlan::seed, connection number): whether it is cut, after how many forwarded bytes, and by
// FIN or RST. A cut is placed by byte count, not by time, so the same traffic through the same
// plan is cut at the same byte. Delays are drawn per chunk read, and chunk boundaries depend on
// the kernel, so timings are seeded but not reproducible.
//
// Threads: one acceptor thread plus one thread per open connection (at most
// ProxyOptions::max_connections; further connections are refused by closing them). Every thread
// waits in poll(); control calls wake them through a per-connection pipe.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rapport::fault {

enum class CutKind {
  kClose,  // orderly close (FIN) of both sides: the peers see end of stream
  kReset,  // SO_LINGER 0 then close: the peers see ECONNRESET
};

// The faults applied to connections. SetFaults applies the cut plan to connections accepted
// afterwards, and delay and bandwidth to every connection from its next chunk on.
struct FaultPlan {
  uint64_t seed = 1;
  // Chance that a connection is cut at some point.
  double cut_probability = 0.0;
  // A cut connection is cut once this many bytes, drawn uniformly from [0, cut_within_bytes),
  // have been forwarded (both directions counted together), i.e. mid-stream.
  uint64_t cut_within_bytes = 64 << 10;
  // Of the cuts, the share made by RST rather than FIN.
  double reset_share = 0.5;
  // Every chunk read from either side is held for a delay drawn from [0, max_delay_ms].
  int max_delay_ms = 0;
  // Bandwidth of each direction of each connection; 0 is unlimited.
  size_t bytes_per_second = 0;
};

struct ProxyOptions {
  size_t max_connections = 64;
  size_t chunk_bytes = 16 << 10;  // largest read; also the buffer per direction
};

struct ProxyStats {
  uint64_t accepted = 0;
  uint64_t refused = 0;  // over max_connections, or the target would not accept
  uint64_t cut_by_plan = 0;
  uint64_t cut_by_request = 0;    // CutAll
  uint64_t bytes_forwarded = 0;   // both directions
  uint64_t bytes_to_clients = 0;  // of those, from the target to the clients
};

class FaultProxy {
 public:
  // Starts forwarding to `target` ("host:port"). The target need not be up yet: each connection
  // connects when accepted, and is closed if that fails. Unavailable if nothing can be bound,
  // InvalidArgument for a malformed target.
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(const std::string& target,
                                                           ProxyOptions options = {});
  // Closes every connection (FIN) and joins every thread.
  ~FaultProxy();

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const;
  // "127.0.0.1:<port>", for a client's address.
  std::string address() const;

  // Forwards to another target from the next connection on (a restarted server's new port).
  void SetTarget(const std::string& target);
  void SetFaults(const FaultPlan& plan);
  // Cuts every open connection now.
  void CutAll(CutKind kind = CutKind::kReset);
  // While on, open and new connections stay open but nothing is forwarded in either direction
  // (a dead link: only timeouts and keepalive notice it). Held data flows again when turned off.
  void Blackhole(bool on);
  // No more faults from now on (cut plans of open connections included) and no blackhole.
  void Heal();

  ProxyStats stats() const;
  // Waits until `reached(stats())` holds, re-checked whenever the stats change (bytes forwarded,
  // cuts); false if `timeout` passes first. For a test that acts at a point of a stream, e.g.
  // kills a server once so many bytes of a reply have passed.
  bool WaitFor(const std::function<bool(const ProxyStats&)>& reached,
               std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rapport::fault
