// Crash loop of the real server: rapportd (the binary) is killed with SIGKILL during devices'
// syncs and restarted on the same data directory, over and over. Each round arms one kill in one
// session (tests/fault/session_killer.h), of an editing device or of a reader that only pulls:
// two rounds in three at a message boundary — after the n-th Push is sent (the server receiving
// or committing it), after the n-th PushAck, after the n-th Pull batch is applied — and one in
// three from another thread at a seeded delay into the session, wherever its bytes then are. A
// kill counts as mid-sync only if the session had not returned when the signal went out, and
// by the phase the session was in; kills that found no session land between sessions and are
// counted apart.
// After every kill the dead server's store must satisfy CheckStoreConsistency as it lies and hold
// every edit that a device saw acknowledged (SyncOnce returned OK); the restarted server must
// open it without repair, and every eighth round a fresh device pulls everything from it. At
// the end every device syncs until quiet and everything is exact: counters equal the sum of
// every increment made, no increment lost or doubled by re-pushes after lost acknowledgements.
// The branch tier's crash loop is tests/fault/branch_crash_test.cc.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/fault/rapportd_process.h"
#include "tests/fault/session_killer.h"
#include "tests/fault/store_consistency.h"
#include "tests/fault/subprocess.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::KillMoment;
using fault::SessionKiller;
using fault::SessionPhase;
using testing::TempDir;

// Every third round's kill is timed; the other 32, at message boundaries, nearly all land
// inside a session.
constexpr int kKills = 48;
constexpr int kMinKillsMidSync = 30;
constexpr int kDevices = 3;
constexpr int kFreshPullEvery = 8;
using Rapportd = fault::RapportdProcess;

// One edit made on a device: what a server holding it must show.
struct Edit {
  std::string own_record;
  int64_t own_points = 0;
  int64_t shared_points = 0;
  std::string entry;    // appended to own_record's interactions
  std::string created;  // a new customer
};

struct Device {
  std::unique_ptr<Replica> replica;
  std::string own_record;
  std::vector<Edit> edits;
  size_t acknowledged = 0;  // edits[0, acknowledged) were pushed by a sync that returned OK
};

class ServerCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = tmp_.Sub("rapportd.textproto");
    // Metrics off (no fixed port to collide on), auth off (tokens are not this test's
    // subject) and small Pull batches, so a session has several to be killed between.
    std::ofstream(config_) << "metrics_listen: \"off\"\n"
                              "max_pull_batch_bytes: 384\n"
                              "auth { disabled: true }\n";
  }

  void StartServer() {
    auto server = Rapportd::Start(tmp_.Sub("server"), config_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // What a fresh device pulls from the server now.
  std::unique_ptr<Replica> FreshPull(const std::string& name) {
    auto fresh = Replica::Open(tmp_.Sub(name));
    EXPECT_TRUE(fresh.ok()) << fresh.status();
    if (!fresh.ok()) return nullptr;
    auto pulled = SyncOnce(**fresh, server_->address);
    EXPECT_TRUE(pulled.ok()) << pulled.status();
    return *std::move(fresh);
  }

  static int64_t Points(const Replica& r, const std::string& id) {
    auto view = r.Get(id);
    if (!view.ok() || !view->has_value()) return -1;
    auto it = (*view)->counters.find("loyalty_points");
    return it == (*view)->counters.end() ? 0 : it->second;
  }
  static std::set<std::string> Entries(const Replica& r, const std::string& id) {
    std::set<std::string> out;
    auto view = r.Get(id);
    if (!view.ok() || !view->has_value()) return out;
    if (auto it = (*view)->timelines.find("interactions"); it != (*view)->timelines.end()) {
      for (const EntryView& e : it->second) out.insert(e.id);
    }
    return out;
  }

  // Every acknowledged edit is in `r`; nothing beyond what was made.
  void CheckHolds(const Replica& r, bool exact, const std::string& when) {
    int64_t shared_acked = 0, shared_total = 0;
    for (size_t d = 0; d < devices_.size(); ++d) {
      const Device& device = devices_[d];
      int64_t acked = 0, total = 0;
      const std::set<std::string> entries = Entries(r, device.own_record);
      for (size_t i = 0; i < device.edits.size(); ++i) {
        const Edit& e = device.edits[i];
        total += e.own_points;
        shared_total += e.shared_points;
        if (i >= device.acknowledged && !exact) continue;
        acked += e.own_points;
        shared_acked += e.shared_points;
        EXPECT_TRUE(entries.contains(e.entry))
            << when << ": device " << d << " entry of edit " << i << " acknowledged but missing";
        auto created = r.Get(e.created);
        EXPECT_TRUE(created.ok() && created->has_value())
            << when << ": device " << d << " customer of edit " << i << " missing";
      }
      const int64_t points = Points(r, device.own_record);
      EXPECT_GE(points, acked) << when << ": device " << d << " lost acknowledged points";
      EXPECT_LE(points, total) << when << ": device " << d << " points counted twice";
    }
    const int64_t shared = Points(r, shared_);
    EXPECT_GE(shared, shared_acked) << when << ": shared counter lost acknowledged points";
    EXPECT_LE(shared, shared_total) << when << ": shared counter counted points twice";
  }

  TempDir tmp_;
  std::string config_;
  std::optional<Rapportd> server_;
  std::vector<Device> devices_;
  std::string shared_;  // a customer every device increments
};

TEST_F(ServerCrashTest, AcknowledgedPushesSurviveSigkillLoopsAndEverythingConverges) {
  std::mt19937_64 rng(0xC0FFEE);
  ASSERT_NO_FATAL_FAILURE(StartServer());

  for (int d = 0; d < kDevices; ++d) {
    auto replica = Replica::Open(tmp_.Sub("device" + std::to_string(d)));
    ASSERT_TRUE(replica.ok()) << replica.status();
    auto created =
        (*replica)->Apply({Mutation::Create("customer", {{"name", "Own " + std::to_string(d)}})});
    ASSERT_TRUE(created.ok()) << created.status();
    devices_.push_back(Device{*std::move(replica), created->created.at(0), {}, 0});
  }
  {
    auto created = devices_[0].replica->Apply({Mutation::Create("customer", {{"name", "Shared"}})});
    ASSERT_TRUE(created.ok()) << created.status();
    shared_ = created->created.at(0);
    for (Device& d : devices_) ASSERT_TRUE(SyncOnce(*d.replica, server_->address).ok());
    ASSERT_TRUE(SyncOnce(*devices_[1].replica, server_->address).ok());
    ASSERT_TRUE(SyncOnce(*devices_[2].replica, server_->address).ok());
  }
  // A back-office tablet that only reads: its sessions are all pull, so a kill in one lands
  // while the server streams Pull batches with no push in the way.
  auto reader = Replica::Open(tmp_.Sub("reader"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(SyncOnce(**reader, server_->address).ok());

  std::map<SessionPhase, int> kills_by_phase;
  int timed_mid_sync = 0;
  std::vector<absl::Duration> session_times;  // of whole sessions, for the timed kills' delays
  for (int kill_no = 0; kill_no < kKills; ++kill_no) {
    // Offline edits on every device.
    for (size_t d = 0; d < devices_.size(); ++d) {
      Device& device = devices_[d];
      const std::string label = "k" + std::to_string(kill_no) + "d" + std::to_string(d);
      Edit e{device.own_record, 1 + static_cast<int64_t>(rng() % 50),
             1 + static_cast<int64_t>(rng() % 50), "", ""};
      auto done = device.replica->Apply(
          {Mutation::Increment(e.own_record, "loyalty_points", e.own_points),
           Mutation::Increment(shared_, "loyalty_points", e.shared_points),
           Mutation::AppendEntry(e.own_record, "interactions", Timestamp{1700000000000 + kill_no},
                                 {{"kind", EnumValue{"call"}}, {"summary", label}}),
           Mutation::Create("customer", {{"name", "New " + label}})});
      ASSERT_TRUE(done.ok()) << done.status();
      e.entry = done->entries.at(0);
      e.created = done->created.at(0);
      device.edits.push_back(e);
    }

    // One session carries the kill; the others sync before or after it (and find the server
    // down after it). The reader syncs last.
    size_t victim = rng() % devices_.size();
    KillMoment moment;
    if (kill_no % 3 == 2) {
      // A delay within a typical session so far: most land while bytes flow.
      absl::Duration typical = absl::Milliseconds(5);
      if (!session_times.empty()) {
        std::nth_element(session_times.begin(), session_times.begin() + session_times.size() / 2,
                         session_times.end());
        typical = session_times[session_times.size() / 2];
      }
      moment.kind = KillMoment::Kind::kAfterDelay;
      moment.delay = typical * static_cast<double>(rng() % 800) / 1000.0;
    } else {
      // A quarter each: after a Push sent, after a PushAck, after a Pull batch on an editing
      // device (which mostly arrives while its own Pushes are unacknowledged), and after a
      // Pull batch on the reader.
      const int boundary = static_cast<int>(rng() % 4);
      const KillMoment::Kind kinds[] = {
          KillMoment::Kind::kAfterPushSent, KillMoment::Kind::kAfterPushAcked,
          KillMoment::Kind::kAfterPullApplied, KillMoment::Kind::kAfterPullApplied};
      moment.kind = kinds[boundary];
      moment.nth = 1 + static_cast<int>(rng() % 2);
      if (boundary == 3) victim = devices_.size();
    }
    SessionKiller killer(server_->process.pid(), moment);
    for (size_t d = 0; d <= devices_.size(); ++d) {
      Replica& replica = d < devices_.size() ? *devices_[d].replica : **reader;
      SyncOptions options;
      options.deadline_ms = 10000;
      options.max_push_batch_bytes = 256;  // several Pushes per session
      const size_t made = d < devices_.size() ? devices_[d].edits.size() : 0;
      const absl::Time start = absl::Now();
      absl::StatusOr<SyncSummary> synced = d == victim
                                               ? killer.Run(replica, server_->address, options)
                                               : SyncOnce(replica, server_->address, options);
      if (synced.ok() && d < devices_.size()) {
        devices_[d].acknowledged = made;
        session_times.push_back(absl::Now() - start);
      }
    }
    const SessionPhase phase = killer.phase();
    ++kills_by_phase[phase];
    if (phase != SessionPhase::kNotKilled && moment.kind == KillMoment::Kind::kAfterDelay) {
      ++timed_mid_sync;
    }
    // A kill that found no session lands now, between sessions.
    const int status = server_->process.Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "rapportd exited by itself (status " << status << ") in round " << kill_no;
    server_.reset();

    // The store as the kill left it: consistent, nothing to repair, every acknowledged edit in.
    const std::string when = "after kill " + std::to_string(kill_no);
    const absl::Status consistent = fault::CheckStoreDirConsistency(tmp_.Sub("server"));
    ASSERT_TRUE(consistent.ok()) << when << " (" << fault::SessionPhaseName(phase)
                                 << "): " << consistent;
    {
      auto dead = Replica::Open(tmp_.Sub("server"));  // what rapportd will reopen, read here
      ASSERT_TRUE(dead.ok()) << dead.status();
      ASSERT_NO_FATAL_FAILURE(CheckHolds(**dead, /*exact=*/false, when + ", in the store"));
    }

    // Restart on the same data: it must open the store as it is and serve it. (Every few
    // rounds a fresh device pulls it all, to see the restarted server hand it out.)
    ASSERT_NO_FATAL_FAILURE(StartServer());
    if (kill_no % kFreshPullEvery == kFreshPullEvery - 1) {
      std::unique_ptr<Replica> audit = FreshPull("audit" + std::to_string(kill_no));
      ASSERT_NE(audit, nullptr);
      ASSERT_NO_FATAL_FAILURE(CheckHolds(*audit, /*exact=*/false, when + ", pulled"));
      audit.reset();
      std::filesystem::remove_all(tmp_.Sub("audit" + std::to_string(kill_no)));
    }
  }
  const int pushing = kills_by_phase[SessionPhase::kPushing];
  const int pulling = kills_by_phase[SessionPhase::kPulling];
  RecordProperty("kills_pushing", pushing);
  RecordProperty("kills_pulling", pulling);
  RecordProperty("kills_connecting", kills_by_phase[SessionPhase::kConnecting]);
  RecordProperty("kills_between_sessions", kills_by_phase[SessionPhase::kNotKilled]);
  RecordProperty("timed_kills_mid_sync", timed_mid_sync);
  std::cout << "kills: pushing " << pushing << ", pulling " << pulling << ", connecting "
            << kills_by_phase[SessionPhase::kConnecting] << ", between sessions "
            << kills_by_phase[SessionPhase::kNotKilled] << "; timed kills mid-sync "
            << timed_mid_sync << " of " << kKills / 3 << "\n";
  EXPECT_GE(pushing + pulling, kMinKillsMidSync) << "kills must land while a sync is in flight";
  EXPECT_GE(pushing, kMinKillsMidSync / 4) << "too few kills during pushes";
  EXPECT_GE(pulling, kMinKillsMidSync / 4) << "too few kills during pulls";

  // No more kills: every device syncs until nothing moves; then everything is exact.
  for (int pass = 0; pass < 4; ++pass) {
    for (Device& device : devices_) {
      auto synced = SyncOnce(*device.replica, server_->address);
      ASSERT_TRUE(synced.ok()) << synced.status();
      device.acknowledged = device.edits.size();
    }
  }
  ASSERT_TRUE(SyncOnce(**reader, server_->address).ok());
  std::unique_ptr<Replica> final_audit = FreshPull("final");
  ASSERT_NE(final_audit, nullptr);
  ASSERT_NO_FATAL_FAILURE(CheckHolds(*final_audit, /*exact=*/true, "at the end"));
  ASSERT_NO_FATAL_FAILURE(CheckHolds(**reader, /*exact=*/true, "on the reader at the end"));
  int64_t shared_total = 0;
  for (const Device& device : devices_) {
    int64_t own_total = 0;
    for (const Edit& e : device.edits) {
      own_total += e.own_points;
      shared_total += e.shared_points;
    }
    EXPECT_EQ(Points(*final_audit, device.own_record), own_total);
    for (const Device& other : devices_) {
      EXPECT_EQ(Points(*other.replica, device.own_record), own_total);
    }
  }
  EXPECT_EQ(Points(*final_audit, shared_), shared_total);
  for (const Device& device : devices_) EXPECT_EQ(Points(*device.replica, shared_), shared_total);

  // The server's store, after one last SIGKILL, opens as it is and is internally consistent.
  server_->process.Kill();
  server_.reset();
  const absl::Status consistent = fault::CheckStoreDirConsistency(tmp_.Sub("server"));
  EXPECT_TRUE(consistent.ok()) << consistent;
  auto store = store::RecordStore::Open(tmp_.Sub("server"), store::StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  auto stats = (*store)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->records, static_cast<uint64_t>(1 + kDevices + kDevices * kKills));
}

}  // namespace
}  // namespace rapport
