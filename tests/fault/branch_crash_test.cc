// A branch rapportd killed with SIGKILL in the middle of its upstream sync, again and again:
// every change a device saw acknowledged by the branch reaches head office once the branch is
// back, nothing is counted twice, and head office, the branch and the devices converge.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/fault/rapportd_process.h"
#include "tests/fault/subprocess.h"
#include "tests/server/sync_test_util.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::Subprocess;

constexpr int kKills = 10;

// The branch: rapportd replicating continuously with head office.
using Branch = fault::RapportdProcess;

// Head office's store, watched: the test waits (bounded) on its commits instead of sleeping.
class CommitWatch {
 public:
  explicit CommitWatch(store::RecordStore& store) : store_(store) {
    handle_ = store_.AddObserver([this](const store::ChangeSet&) {
      absl::MutexLock lock(&mu_);
      ++commits_;
    });
  }
  ~CommitWatch() { store_.RemoveObserver(handle_); }
  int commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }
  // Waits until there have been more than `seen` commits; false on timeout.
  bool WaitPast(int seen, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto past = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ > seen; };
    return mu_.AwaitWithTimeout(absl::Condition(&past), timeout);
  }

 private:
  store::RecordStore& store_;
  int handle_ = -1;
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

int64_t Points(const store::RecordStore& store, const std::string& id) {
  auto record = store.Get(*crdt::RecordId::Parse(id));
  if (!record.ok() || !record->has_value()) return -1;
  const crdt::Field* field = (*record)->fields().Find(190);  // loyalty_points
  return field == nullptr ? 0 : field->As<crdt::PnCounter>()->Value();
}

TEST(BranchCrashTest, BranchKilledDuringUpstreamSyncLosesAndDoublesNothing) {
  testing::TempDir tmp;
  server::ServerOptions hq_options;
  hq_options.data_dir = tmp.Sub("hq");
  hq_options.auth.required = false;
  auto hq = server::SyncServer::Start(hq_options);
  ASSERT_TRUE(hq.ok()) << hq.status();
  CommitWatch watch((*hq)->store());

  const std::string config = tmp.Sub("branch.textproto");
  std::ofstream(config) << "metrics_listen: \"off\"\n"
                           "auth { disabled: true }\n"
                           "upstream { address: \""
                        << (*hq)->address() << "\" schedule: \"continuous\" }\n";
  auto branch = Branch::Start(tmp.Sub("branch"), config);
  ASSERT_TRUE(branch.ok()) << branch.status();

  int64_t now = testing::kMonday9am;
  auto field = testing::OpenAt(tmp.Sub("field"), &now);
  ASSERT_TRUE(field);
  const std::string shop = testing::Create(*field, "Chen Hardware");
  int64_t acknowledged_points = 0;
  int kills = 0;
  for (int round = 0; round < kKills; ++round) {
    // The field device earns points at the branch; the branch's continuous session starts
    // pushing them to head office, and is killed as head office commits them.
    ASSERT_TRUE(field->Apply({Mutation::Increment(shop, "loyalty_points", round + 1)}).ok());
    const int seen = watch.commits();
    auto pushed = SyncOnce(*field, branch->address);
    ASSERT_TRUE(pushed.ok()) << pushed.status();  // acknowledged by the branch
    acknowledged_points += round + 1;
    if (watch.WaitPast(seen, absl::Seconds(20))) {
      branch->process.Kill();
      ++kills;
    } else {
      ADD_FAILURE() << "round " << round << ": the branch never pushed upstream";
      branch->process.Kill();
    }
    // Back on the same data directory: no repair, and it resumes its upstream checkpoints.
    branch = Branch::Start(tmp.Sub("branch"), config);
    ASSERT_TRUE(branch.ok()) << branch.status();
  }
  EXPECT_EQ(kills, kKills);

  // Everything the branch acknowledged reaches head office, exactly once.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Points((*hq)->store(), shop) < acknowledged_points && absl::Now() < deadline) {
    watch.WaitPast(watch.commits(), absl::Milliseconds(500));
  }
  EXPECT_EQ(Points((*hq)->store(), shop), acknowledged_points);

  // A device at head office and the field device agree with head office.
  auto office = testing::OpenAt(tmp.Sub("office"), &now);
  ASSERT_TRUE(office);
  ASSERT_TRUE(SyncOnce(*office, (*hq)->address()).ok());
  ASSERT_TRUE(SyncOnce(*field, branch->address).ok());
  EXPECT_EQ(testing::Encoded(*office, shop), testing::Encoded((*hq)->store(), shop));
  EXPECT_EQ(testing::Encoded(*field, shop), testing::Encoded((*hq)->store(), shop));
  branch->process.Kill();
}

}  // namespace
}  // namespace rapport
