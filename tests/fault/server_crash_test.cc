// Crash loop of the real server: rapportd (the binary) is killed with SIGKILL at seeded moments
// during devices' syncs — counted in sync progress events, so kills land mid-push and mid-pull
// as well as between sessions — and restarted on the same data directory, over and over. After
// every restart the store must open without repair and a fresh device syncing from it must find
// every edit that a device saw acknowledged (SyncOnce returned OK). At the end every device syncs
// until quiet and everything is exact: counters equal the sum of every increment made, no
// increment lost or doubled by re-pushes after lost acknowledgements.
//
// TODO(branch tier, issue #7): also kill a branch rapportd during its upstream sync.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/fault/rapportd_process.h"
#include "tests/fault/subprocess.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::Subprocess;
using testing::TempDir;

constexpr int kKills = 32;
constexpr int kDevices = 3;
// rapportd with metrics off (no fixed port to collide on), auth off (tokens are not this test's
// subject) and small Pull batches, so a session has several batches to be killed between.
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
    std::ofstream(config_) << "metrics_listen: \"off\"\n"
                              "max_pull_batch_bytes: 2048\n"
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

  int killed_mid_sync = 0;
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

    // The kill lands at the N-th progress event of this round's syncs (or after them).
    const int kill_at_event = static_cast<int>(rng() % 10);
    std::atomic<int> events{0};
    std::atomic<bool> killed{false};
    const pid_t pid = server_->process.pid();
    auto maybe_kill = [&] {
      if (events.fetch_add(1) == kill_at_event && !killed.exchange(true)) kill(pid, SIGKILL);
    };
    if (kill_at_event == 0) maybe_kill();
    for (Device& device : devices_) {
      SyncOptions options;
      options.deadline_ms = 10000;
      options.max_push_batch_bytes = 256;
      options.on_progress = [&](const SyncProgress&) { maybe_kill(); };
      const size_t made = device.edits.size();
      if (SyncOnce(*device.replica, server_->address, options).ok()) device.acknowledged = made;
    }
    if (killed.load()) ++killed_mid_sync;
    const int status = server_->process.Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "rapportd exited by itself (status " << status << ") in round " << kill_no;
    server_.reset();

    // Restart on the same data: it must open the store as it is.
    ASSERT_NO_FATAL_FAILURE(StartServer());
    std::unique_ptr<Replica> audit = FreshPull("audit" + std::to_string(kill_no));
    ASSERT_NE(audit, nullptr);
    ASSERT_NO_FATAL_FAILURE(
        CheckHolds(*audit, /*exact=*/false, "after kill " + std::to_string(kill_no)));
    audit.reset();
    std::filesystem::remove_all(tmp_.Sub("audit" + std::to_string(kill_no)));
  }
  EXPECT_GE(killed_mid_sync, kKills / 2) << "most kills should land during a sync";

  // No more kills: every device syncs until nothing moves; then everything is exact.
  for (int pass = 0; pass < 4; ++pass) {
    for (Device& device : devices_) {
      auto synced = SyncOnce(*device.replica, server_->address);
      ASSERT_TRUE(synced.ok()) << synced.status();
      device.acknowledged = device.edits.size();
    }
  }
  std::unique_ptr<Replica> final_audit = FreshPull("final");
  ASSERT_NE(final_audit, nullptr);
  ASSERT_NO_FATAL_FAILURE(CheckHolds(*final_audit, /*exact=*/true, "at the end"));
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
  auto store = store::RecordStore::Open(tmp_.Sub("server"), store::StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  auto stats = (*store)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->records, stats->changes);
  EXPECT_EQ(stats->records, static_cast<uint64_t>(1 + kDevices + kDevices * kKills));
}

}  // namespace
}  // namespace rapport
