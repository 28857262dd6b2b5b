#include "server/peer_table.h"

#include "absl/time/clock.h"

namespace rapport::server {

void PeerTable::Seen(const std::string& replica, const std::string& subject,
                     uint64_t pull_checkpoint) {
  absl::MutexLock lock(&mu_);
  ClientPeer& peer = peers_[replica];
  peer.replica = replica;
  peer.subject = subject;
  if (pull_checkpoint > peer.pull_checkpoint) peer.pull_checkpoint = pull_checkpoint;
  peer.last_seen = absl::Now();
}

std::vector<ClientPeer> PeerTable::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<ClientPeer> out;
  out.reserve(peers_.size());
  for (const auto& [replica, peer] : peers_) out.push_back(peer);
  return out;
}

}  // namespace rapport::server
