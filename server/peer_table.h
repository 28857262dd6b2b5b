// The clients this server has seen since it started: replica, token subject, pull checkpoint
// and when. Feeds the admin ListPeers call and the per-peer metrics (checkpoint lag, last seen).
// In memory on purpose: writing it to the store on every CaughtUp would cost a durable commit
// per change per live client.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rapport::server {

struct ClientPeer {
  std::string replica;  // 16 hex digits
  std::string subject;  // of its last session's token; empty when auth is off
  uint64_t pull_checkpoint = 0;
  absl::Time last_seen;
};

class PeerTable {
 public:
  void Seen(const std::string& replica, const std::string& subject, uint64_t pull_checkpoint);
  std::vector<ClientPeer> Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, ClientPeer> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::server
