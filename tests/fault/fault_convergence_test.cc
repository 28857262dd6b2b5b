// Convergence under network faults, across the tiers: head office, a branch replicating with it
// through a fault proxy, devices attached to each (two at head office, three at the branch),
// every device's link through a fault proxy too. For many seeded rounds devices edit shared
// customers offline and sync, and the branch runs its upstream sync, while the proxies delay,
// throttle, cut connections mid-session by FIN and RST, and hold a dead link; head office and
// the branch are each restarted once. Then the network heals and everyone syncs until quiet.
// Every replica (devices, branch, head office) must hold byte-identical records, and the test's
// own ledger of writes (tests/fault/edit_ledger.h) must find every edit on each of them.
//
// Cuts are placed by byte count within kCutWithinBytes of a connection's start; a planned cut
// beyond the end of a short session never fires, so the test counts the cuts that did and
// asserts a lower bound.
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/server_config.h"
#include "server/sync_server.h"
#include "tests/fault/edit_ledger.h"
#include "tests/fault/fault_proxy.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::EditLedger;
using fault::FaultPlan;
using fault::FaultProxy;
using testing::TempDir;

constexpr int kHeadOfficeDevices = 2;
constexpr int kBranchDevices = 3;
constexpr int kDevices = kHeadOfficeDevices + kBranchDevices;
constexpr int kSharedCustomers = 5;
// Most sessions of a round carry a few KiB (handshake, pushes of a few edits, pulls of the
// others'); a cut point drawn within this many bytes falls inside most of them.
constexpr uint64_t kCutWithinBytes = 3 << 10;
constexpr int64_t kFaultySyncDeadlineMs = 3000;
constexpr int64_t kBlackholeSyncDeadlineMs = 400;

// One seed's network: how many rounds, and how slow its links are.
struct Network {
  uint64_t seed = 1;
  int rounds = 30;
  int max_delay_ms = 2;         // per chunk, each direction
  size_t bytes_per_second = 0;  // per direction per connection; 0: unthrottled
};

void PrintTo(const Network& n, std::ostream* os) {
  *os << "seed " << n.seed << ", " << n.rounds << " rounds, delay <= " << n.max_delay_ms << " ms"
      << (n.bytes_per_second > 0 ? ", " + std::to_string(n.bytes_per_second) + " B/s" : "");
}

enum class Tier { kHeadOffice, kBranch };

struct Device {
  int number = 0;
  Tier tier = Tier::kHeadOffice;
  std::unique_ptr<Replica> replica;
};

// Every record of `store` in canonical encoding, by id: equal maps, equal replicated state.
std::map<std::string, std::string> Archive(const store::RecordStore& store) {
  std::map<std::string, std::string> out;
  absl::Status scanned =
      store.ChangesSince(0, size_t{1} << 30, [&](const crdt::Record& r, uint64_t) {
        out[r.id().ToString()] = crdt::EncodeRecord(r);
        return true;
      });
  EXPECT_TRUE(scanned.ok()) << scanned;
  return out;
}

std::unique_ptr<FaultProxy> StartProxy(const std::string& target) {
  auto proxy = FaultProxy::Start(target);
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  return proxy.ok() ? *std::move(proxy) : nullptr;
}

class FaultConvergenceTest : public ::testing::TestWithParam<Network> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartHeadOffice());
    hq_link_ = StartProxy(hq_->address());
    upstream_link_ = StartProxy(hq_->address());
    ASSERT_TRUE(hq_link_ && upstream_link_);
    ASSERT_NO_FATAL_FAILURE(StartBranch());
    branch_link_ = StartProxy(branch_->address());
    ASSERT_TRUE(branch_link_);
    for (int d = 0; d < kDevices; ++d) {
      auto replica = Replica::Open(tmp_.Sub("device" + std::to_string(d)));
      ASSERT_TRUE(replica.ok()) << replica.status();
      devices_.push_back(Device{d, d < kHeadOfficeDevices ? Tier::kHeadOffice : Tier::kBranch,
                                *std::move(replica)});
    }
  }

  void StartHeadOffice() {
    server::ServerOptions options;
    options.data_dir = tmp_.Sub("hq");
    options.auth.required = false;        // tokens are not this test's subject
    options.max_pull_batch_bytes = 2048;  // several Pulls per session: cuts land between them
    auto server = server::SyncServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    hq_ = *std::move(server);
  }

  // The branch runs its upstream sync when the test says (manual), through upstream_link_.
  void StartBranch() {
    server::ServerOptions options;
    const std::string config = "upstream { address: \"" + upstream_link_->address() +
                               "\" schedule: \"manual\" }\nmax_pull_batch_bytes: 2048\n";
    ASSERT_TRUE(server::ApplyConfigText(config, "branch", &options).ok());
    options.data_dir = tmp_.Sub("branch");
    options.auth.required = false;
    auto server = server::SyncServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    branch_ = *std::move(server);
  }

  std::vector<FaultProxy*> links() {
    return {hq_link_.get(), branch_link_.get(), upstream_link_.get()};
  }
  FaultProxy& LinkOf(const Device& d) {
    return d.tier == Tier::kHeadOffice ? *hq_link_ : *branch_link_;
  }

  absl::StatusOr<SyncSummary> SyncThroughLink(Device& d, int64_t deadline_ms) {
    SyncOptions options;
    options.deadline_ms = deadline_ms;
    options.max_push_batch_bytes = 1024;  // several Pushes per session, likewise
    return SyncOnce(*d.replica, LinkOf(d).address(), options);
  }

  // Syncs every device (through its healed link) and the branch with head office until a
  // whole pass moves nothing. Errors are retried: the subchannel of a just-healed link may
  // still be backing off.
  void SyncUntilQuiet() {
    for (int pass = 0; pass < 12; ++pass) {
      bool quiet = true;
      for (Device& d : devices_) {
        std::optional<SyncSummary> summary;
        for (int attempt = 0; attempt < 20 && !summary; ++attempt) {
          auto result = SyncThroughLink(d, 10000);
          if (result.ok()) summary = *result;
        }
        ASSERT_TRUE(summary.has_value()) << "device " << d.number << " cannot sync after healing";
        if (summary->pushed != 0 || summary->pulled_changed != 0) quiet = false;
      }
      std::optional<SyncSummary> upstream;
      for (int attempt = 0; attempt < 20 && !upstream; ++attempt) {
        auto result = branch_->SyncUpstreamNow();
        if (result.ok()) upstream = *result;
      }
      ASSERT_TRUE(upstream.has_value()) << "the branch cannot sync with head office after healing";
      if (upstream->pushed != 0 || upstream->pulled_changed != 0) quiet = false;
      if (quiet) return;
    }
    FAIL() << "syncs did not go quiet after 12 passes";
  }

  TempDir tmp_;
  std::unique_ptr<server::SyncServer> hq_;
  std::unique_ptr<server::SyncServer> branch_;
  std::unique_ptr<FaultProxy> hq_link_;        // head office's devices -> head office
  std::unique_ptr<FaultProxy> branch_link_;    // the branch's devices -> the branch
  std::unique_ptr<FaultProxy> upstream_link_;  // the branch -> head office
  std::vector<Device> devices_;
  EditLedger ledger_{kDevices};
};

TEST_P(FaultConvergenceTest, EveryEditReachesEveryTierThroughCutsResetsDeadLinksAndRestarts) {
  const Network network = GetParam();
  std::mt19937_64 rng(network.seed);

  // The shared customers, created on device 0 and spread over a healthy network.
  ASSERT_NO_FATAL_FAILURE(ledger_.CreateShared(*devices_[0].replica, kSharedCustomers));
  ASSERT_NO_FATAL_FAILURE(SyncUntilQuiet());

  int failed_syncs = 0, ok_syncs = 0, failed_upstream = 0, ok_upstream = 0;
  uint64_t accepted_before = 0, cuts_before = 0;
  for (FaultProxy* link : links()) {
    accepted_before += link->stats().accepted;
    cuts_before += link->stats().cut_by_plan;
  }
  for (int round = 0; round < network.rounds; ++round) {
    for (size_t i = 0; i < links().size(); ++i) {
      links()[i]->SetFaults(
          FaultPlan{.seed = network.seed * 1000 + static_cast<uint64_t>(round * 3 + i),
                    .cut_probability = 0.5,
                    .cut_within_bytes = kCutWithinBytes,
                    .reset_share = 0.5,
                    .max_delay_ms = network.max_delay_ms,
                    .bytes_per_second = network.bytes_per_second});
    }
    if (round == network.rounds / 2) {
      // Head office goes down between syncs and comes back on another port, same data.
      hq_->Shutdown(/*grace_ms=*/0);
      hq_.reset();
      ASSERT_NO_FATAL_FAILURE(StartHeadOffice());
      hq_link_->SetTarget(hq_->address());
      upstream_link_->SetTarget(hq_->address());
    }
    if (round == network.rounds / 3) {
      branch_->Shutdown(/*grace_ms=*/0);
      branch_.reset();
      ASSERT_NO_FATAL_FAILURE(StartBranch());
      branch_link_->SetTarget(branch_->address());
    }
    for (Device& d : devices_) {
      if (rng() % 3 != 0) {
        ASSERT_NO_FATAL_FAILURE(ledger_.EditOffline(*d.replica, d.number, round, rng));
      }
    }
    // A dead link on the devices' side: each sync over it costs its whole deadline, so one
    // device tries. (The branch's own link is not blackholed: only keepalive, after ~10 s,
    // would end its session.)
    const bool dead_link = round % 10 == 7;
    if (dead_link) {
      hq_link_->Blackhole(true);
      branch_link_->Blackhole(true);
    }
    for (Device& d : devices_) {
      if (rng() % 4 == 0) continue;  // this one stays offline this round
      if (dead_link && d.number != round % kDevices) continue;
      auto synced =
          SyncThroughLink(d, dead_link ? kBlackholeSyncDeadlineMs : kFaultySyncDeadlineMs);
      (synced.ok() ? ok_syncs : failed_syncs) += 1;
      if (dead_link) {
        EXPECT_FALSE(synced.ok()) << "a sync over a dead link cannot succeed";
      }
    }
    if (dead_link) {
      hq_link_->Blackhole(false);
      branch_link_->Blackhole(false);
    }
    if (rng() % 4 != 0) {
      auto upstream = branch_->SyncUpstreamNow();
      (upstream.ok() ? ok_upstream : failed_upstream) += 1;
    }
  }

  // Last offline writes, concurrent on every device: all must stay visible as conflicts.
  for (Device& d : devices_) {
    ASSERT_NO_FATAL_FAILURE(ledger_.ConcurrentLastWrites(*d.replica, d.number));
  }

  uint64_t accepted = 0, cuts = 0;
  for (FaultProxy* link : links()) {
    accepted += link->stats().accepted;
    cuts += link->stats().cut_by_plan;
  }
  accepted -= accepted_before;
  cuts -= cuts_before;
  for (FaultProxy* link : links()) link->Heal();
  ASSERT_NO_FATAL_FAILURE(SyncUntilQuiet());

  RecordProperty("edits", static_cast<int>(ledger_.edits()));
  RecordProperty("ok_syncs", ok_syncs);
  RecordProperty("failed_syncs", failed_syncs);
  RecordProperty("ok_upstream_syncs", ok_upstream);
  RecordProperty("failed_upstream_syncs", failed_upstream);
  RecordProperty("connections", static_cast<int>(accepted));
  RecordProperty("cuts", static_cast<int>(cuts));
  EXPECT_GT(failed_syncs, network.rounds / 10) << "the faults should have broken some syncs";
  EXPECT_GT(ok_syncs, network.rounds) << "the faults should have let some syncs through";
  EXPECT_GT(failed_upstream, 0) << "the faults should have broken some upstream syncs";
  EXPECT_GT(ok_upstream, 0) << "the faults should have let some upstream syncs through";
  // Half the connections draw a cut, and most of those fall inside the session: about 40% of
  // all connections are cut (with cut points spread over 64 KiB, about 3% would be).
  EXPECT_GE(cuts * 4, accepted) << cuts << " cuts in " << accepted << " faulty connections";

  // One archive everywhere: every device, the branch, head office, and a fresh device's first
  // sync at each tier.
  const std::map<std::string, std::string> at_head_office = Archive(hq_->store());
  EXPECT_EQ(at_head_office.size(), ledger_.records().size());
  EXPECT_TRUE(Archive(branch_->store()) == at_head_office) << "the branch differs";
  for (Device& d : devices_) {
    const bool same = Archive(ReplicaInternal::Store(*d.replica)) == at_head_office;
    EXPECT_TRUE(same) << "device " << d.number << " differs from head office";
    ASSERT_NO_FATAL_FAILURE(ledger_.Check(*d.replica, "device " + std::to_string(d.number)));
  }
  for (server::SyncServer* tier : {hq_.get(), branch_.get()}) {
    const std::string who = tier == hq_.get() ? "head office" : "the branch";
    auto fresh = Replica::Open(tmp_.Sub("fresh from " + who));
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    auto pulled = SyncOnce(**fresh, tier->address());
    ASSERT_TRUE(pulled.ok()) << pulled.status();
    EXPECT_TRUE(Archive(ReplicaInternal::Store(**fresh)) == at_head_office) << who;
    ledger_.Check(**fresh, "a fresh device at " + who);
  }
}

// Seeds 1 and 2: fast links, many rounds. Seed 3: slow links (up to 20 ms a chunk, 24 KiB/s),
// fewer rounds, so sessions are long and cuts and delays land on sync traffic in flight.
INSTANTIATE_TEST_SUITE_P(Seeds, FaultConvergenceTest,
                         ::testing::Values(Network{.seed = 1}, Network{.seed = 2},
                                           Network{.seed = 3,
                                                   .rounds = 12,
                                                   .max_delay_ms = 20,
                                                   .bytes_per_second = 24 << 10}),
                         [](const ::testing::TestParamInfo<Network>& info) {
                           return "Seed" + std::to_string(info.param.seed);
                         });

}  // namespace
}  // namespace rapport
