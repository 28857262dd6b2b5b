// Quiesce (server/quiesce.h): work that hops between the worker pool and the commit queue is
// over before either is destroyed. SyncService destroys its commit queue before its pool; a
// push cut by the server's shutdown once reached a destroyed queue (heap-use-after-free under
// ASan in SyncResumeTest.PushCutByAServerCrashResumesAndCountsEveryPointOnce).
#include "server/quiesce.h"

#include <atomic>
#include <memory>

#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "server/commit_queue.h"
#include "server/worker_pool.h"
#include "tests/temp_dir.h"

namespace rapport::server {
namespace {

// Each hop is a worker task that submits a commit whose Done submits the next hop's task.
class PingPong {
 public:
  PingPong(WorkerPool& workers, CommitQueue& commits) : workers_(workers), commits_(commits) {}

  void Start(int hops) {
    workers_.Submit([this, hops] { Hop(hops); });
  }
  int hops_done() const { return hops_done_.load(); }

 private:
  void Hop(int left) {
    ++hops_done_;
    if (left == 1) return;
    commits_.Submit([](store::WriteTransaction&, CommitGroup&) { return absl::OkStatus(); },
                    [this, left](const absl::Status&, const CommitGroup&) {
                      workers_.Submit([this, left] { Hop(left - 1); });
                    });
  }

  WorkerPool& workers_;
  CommitQueue& commits_;
  std::atomic<int> hops_done_{0};
};

TEST(Quiesce, WorkHoppingBetweenPoolAndCommitQueueFinishesBeforeEitherStops) {
  testing::TempDir dir;
  auto store = store::RecordStore::Open(dir.path(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  constexpr int kChains = 8;
  constexpr int kHops = 40;
  // Declared in SyncService's order: the commit queue is destroyed first.
  auto workers = std::make_unique<WorkerPool>(2);
  auto commits = std::make_unique<CommitQueue>(**store);
  PingPong game(*workers, *commits);
  for (int i = 0; i < kChains; ++i) game.Start(kHops);

  Quiesce(*workers, *commits);

  EXPECT_EQ(game.hops_done(), kChains * kHops);
  commits.reset();
  workers.reset();
  EXPECT_EQ(game.hops_done(), kChains * kHops);  // nothing ran after the queue was gone
}

TEST(Quiesce, ReturnsAtOnceWhenNothingWasSubmitted) {
  testing::TempDir dir;
  auto store = store::RecordStore::Open(dir.path(), {});
  ASSERT_TRUE(store.ok()) << store.status();
  WorkerPool workers(1);
  CommitQueue commits(**store);
  Quiesce(workers, commits);
  EXPECT_EQ(workers.WaitUntilIdle(), 0u);
  EXPECT_EQ(commits.WaitUntilIdle(), 0u);
}

}  // namespace
}  // namespace rapport::server
