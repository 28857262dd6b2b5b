// Crash loop of a device: rapport_fault_device (a separate process that edits a customer and
// syncs in a loop, printing what was committed and what was acknowledged) is killed with SIGKILL
// after a seeded number of its reports, mid-commit or mid-sync, and restarted on the same store.
// After every kill: the store is consistent (CheckStoreConsistency) and reopens without repair,
// holds every edit the device reported committed (and at most the one it was committing), and
// the server holds every edit reported acknowledged. At the end one sync makes device and server
// exact: every edit counted once.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/fault/store_consistency.h"
#include "tests/fault/subprocess.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::Subprocess;
using testing::TempDir;

constexpr int kKills = 20;
constexpr std::chrono::milliseconds kReportTimeout{20000};

struct Holdings {
  int64_t points = -1;  // -1: the record is missing
  std::set<std::string> summaries;
};

Holdings Read(const Replica& r, const std::string& id) {
  Holdings out;
  auto view = r.Get(id);
  if (!view.ok() || !view->has_value()) return out;
  auto points = (*view)->counters.find("loyalty_points");
  out.points = points == (*view)->counters.end() ? 0 : points->second;
  if (auto it = (*view)->timelines.find("interactions"); it != (*view)->timelines.end()) {
    for (const EntryView& e : it->second)
      out.summaries.insert(ValueToText(e.fields.at("summary").displayed));
  }
  return out;
}

std::set<std::string> Summaries(int64_t first, int64_t end) {
  std::set<std::string> out;
  for (int64_t n = first; n < end; ++n) out.insert("edit " + std::to_string(n));
  return out;
}

TEST(DeviceCrash, KilledDeviceKeepsEveryCommittedEditAndLosesNoAcknowledgedPush) {
  TempDir tmp;
  server::ServerOptions server_options;
  server_options.data_dir = tmp.Sub("server");
  server_options.auth.required = false;  // tokens are not this test's subject
  auto server = server::SyncServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string device_dir = tmp.Sub("device");
  std::string record;
  {
    auto replica = Replica::Open(device_dir);
    ASSERT_TRUE(replica.ok()) << replica.status();
    auto created = (*replica)->Apply({Mutation::Create("customer", {{"name", "Field customer"}})});
    ASSERT_TRUE(created.ok()) << created.status();
    record = created->created.at(0);
  }

  std::mt19937_64 rng(0xDE51CE);
  int64_t acked_end = 0;  // edits [0, acked_end) were acknowledged
  int64_t next = 0;       // the first edit number of the next run
  for (int kill_no = 0; kill_no < kKills; ++kill_no) {
    auto device = Subprocess::Spawn({RAPPORT_FAULT_DEVICE_PATH, device_dir, (*server)->address(),
                                     record, std::to_string(next), "100000"});
    ASSERT_TRUE(device.ok()) << device.status();
    int64_t committed_end = next;  // edits [next, committed_end) were reported committed
    auto take = [&](const std::string& line) {
      int64_t n = 0;
      if (line.rfind("committed ", 0) == 0 && absl::SimpleAtoi(line.substr(10), &n)) {
        committed_end = std::max(committed_end, n + 1);
      } else if (line.rfind("acked ", 0) == 0 && absl::SimpleAtoi(line.substr(6), &n)) {
        acked_end = std::max(acked_end, n + 1);
      } else {
        ADD_FAILURE() << "unexpected report: " << line;
      }
    };
    const int reports = 1 + static_cast<int>(rng() % 7);
    for (int i = 0; i < reports; ++i) {
      auto line = device->ReadLine(kReportTimeout);
      ASSERT_TRUE(line.ok()) << line.status();
      ASSERT_TRUE(line->has_value()) << "the device exited early";
      take(**line);
    }
    const int status = device->Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    // Reports already in the pipe were written after what they report.
    for (;;) {
      auto line = device->ReadLine(kReportTimeout);
      ASSERT_TRUE(line.ok()) << line.status();
      if (!line->has_value()) break;
      take(**line);
    }

    // The device's store is consistent as the kill left it, opens as it is and holds every
    // committed edit, plus at most the one being committed when the kill came.
    const absl::Status consistent = fault::CheckStoreDirConsistency(device_dir);
    ASSERT_TRUE(consistent.ok()) << "after kill " << kill_no << ": " << consistent;
    auto replica = Replica::Open(device_dir);
    ASSERT_TRUE(replica.ok()) << "after kill " << kill_no << ": " << replica.status();
    Holdings local = Read(**replica, record);
    ASSERT_GE(local.points, committed_end) << "a committed edit was lost, kill " << kill_no;
    ASSERT_LE(local.points, committed_end + 1) << "kill " << kill_no;
    EXPECT_EQ(local.summaries, Summaries(0, local.points)) << "kill " << kill_no;
    next = local.points;
    replica->reset();

    // The server holds every acknowledged edit.
    auto audit = Replica::Open(tmp.Sub("audit" + std::to_string(kill_no)));
    ASSERT_TRUE(audit.ok()) << audit.status();
    ASSERT_TRUE(SyncOnce(**audit, (*server)->address()).ok());
    Holdings on_server = Read(**audit, record);
    EXPECT_GE(on_server.points, acked_end) << "an acknowledged edit is missing, kill " << kill_no;
    EXPECT_LE(on_server.points, next) << "the server counted an edit twice, kill " << kill_no;
    for (const std::string& s : Summaries(0, acked_end)) {
      EXPECT_TRUE(on_server.summaries.contains(s)) << s << " acknowledged but missing";
    }
  }
  EXPECT_GE(acked_end, kKills) << "the device should have synced between kills";

  // Restarted for good: one sync, and device and server agree exactly.
  auto replica = Replica::Open(device_dir);
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE(SyncOnce(**replica, (*server)->address()).ok());
  auto audit = Replica::Open(tmp.Sub("final-audit"));
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_TRUE(SyncOnce(**audit, (*server)->address()).ok());
  Holdings local = Read(**replica, record), on_server = Read(**audit, record);
  EXPECT_EQ(local.points, next);
  EXPECT_EQ(on_server.points, next);
  EXPECT_EQ(on_server.summaries, Summaries(0, next));
}

}  // namespace
}  // namespace rapport
