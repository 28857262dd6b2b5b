// Group commit (server/commit_queue.h): jobs queued while a commit is under way share the next
// one; a failing job fails alone; and each job learns which records another job of its commit
// also touched (the echo rule of server/pushed_records.h depends on it).
#include "server/commit_queue.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "core/status_macros.h"
#include "core/store/record_store.h"
#include "gtest/gtest.h"
#include "tests/temp_dir.h"

namespace rapport::server {
namespace {

class CommitQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::RecordStore::Open(dir_.path(), {});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Submits a job that keeps the committer inside its commit until `release`, and returns once
  // it runs: jobs submitted meanwhile all wait for the next commit.
  void Block(CommitQueue& queue, absl::Notification& release) {
    auto running = std::make_shared<absl::Notification>();  // outlives this call: a job may rerun
    queue.Submit(
        [running, &release](store::WriteTransaction&, CommitGroup&) {
          if (!running->HasBeenNotified()) running->Notify();
          release.WaitForNotification();
          return absl::OkStatus();
        },
        [](const absl::Status& status, const CommitGroup&) { EXPECT_TRUE(status.ok()); });
    running->WaitForNotification();
  }

  // A job that creates one record and reports its id.
  static CommitQueue::Job CreateOne(std::shared_ptr<crdt::RecordId> id) {
    return [id](store::WriteTransaction& txn, CommitGroup& group) -> absl::Status {
      ASSIGN_OR_RETURN(store::WriteTransaction::Created created, txn.Create("customer"));
      *id = created.id;
      group.Touched(created.id);
      return absl::OkStatus();
    };
  }

  testing::TempDir dir_;
  std::unique_ptr<store::RecordStore> store_;
};

TEST_F(CommitQueueTest, JobsQueuedDuringACommitShareTheNextOne) {
  constexpr int kJobs = 20;
  CommitQueue queue(*store_);
  absl::Notification release;
  Block(queue, release);
  absl::BlockingCounter done(kJobs);
  std::atomic<int> failures{0};
  std::vector<std::shared_ptr<crdt::RecordId>> ids;
  for (int i = 0; i < kJobs; ++i) {
    ids.push_back(std::make_shared<crdt::RecordId>());
    queue.Submit(CreateOne(ids.back()), [&](const absl::Status& status, const CommitGroup&) {
      if (!status.ok()) ++failures;
      done.DecrementCount();
    });
  }
  release.Notify();
  done.Wait();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(queue.jobs(), uint64_t{kJobs + 1});
  EXPECT_EQ(queue.commits(), 2u);  // the blocking job's, then one for all the others
  for (const auto& id : ids) EXPECT_TRUE(store_->Get(*id)->has_value());
}

TEST_F(CommitQueueTest, AFailingJobFailsAloneAndTheOthersCommit) {
  CommitQueue queue(*store_);
  absl::Notification release;
  Block(queue, release);
  auto first = std::make_shared<crdt::RecordId>();
  auto last = std::make_shared<crdt::RecordId>();
  absl::BlockingCounter done(4);
  std::vector<absl::Status> outcomes(4);
  auto record = [&](int i) {
    return [&, i](const absl::Status& status, const CommitGroup&) {
      outcomes[i] = status;
      done.DecrementCount();
    };
  };
  queue.Submit(CreateOne(std::make_shared<crdt::RecordId>()), record(0));
  queue.Submit(CreateOne(first), record(1));
  queue.Submit([](store::WriteTransaction&,
                  CommitGroup&) { return absl::InvalidArgumentError("this job is refused"); },
               record(2));
  queue.Submit(CreateOne(last), record(3));
  release.Notify();
  done.Wait();
  EXPECT_TRUE(outcomes[0].ok() && outcomes[1].ok() && outcomes[3].ok());
  EXPECT_EQ(outcomes[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcomes[2].message(), "this job is refused");
  EXPECT_TRUE(store_->Get(*first)->has_value());
  EXPECT_TRUE(store_->Get(*last)->has_value());
}

TEST_F(CommitQueueTest, EachJobLearnsWhichRecordsAnotherJobOfItsCommitTouched) {
  // A record both jobs touch, and one each touches alone.
  crdt::RecordId shared_id, own_a, own_b;
  ASSERT_TRUE(store_
                  ->Write([&](store::WriteTransaction& txn) -> absl::Status {
                    for (crdt::RecordId* id : {&shared_id, &own_a, &own_b}) {
                      ASSIGN_OR_RETURN(store::WriteTransaction::Created c, txn.Create("customer"));
                      *id = c.id;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  CommitQueue queue(*store_);
  absl::Notification release;
  Block(queue, release);  // so that the two jobs under test share the next commit
  absl::BlockingCounter done(2);
  struct Seen {
    bool shared = false, own = true;
  };
  Seen seen_a, seen_b;
  auto job = [&](crdt::RecordId own) {
    return [&, own](store::WriteTransaction&, CommitGroup& group) {
      group.Touched(shared_id);
      group.Touched(own);
      group.Touched(own);  // twice by the same job is still its own
      return absl::OkStatus();
    };
  };
  auto report = [&](crdt::RecordId own, Seen& seen) {
    return [&, own](const absl::Status& status, const CommitGroup& group) {
      EXPECT_TRUE(status.ok()) << status;
      seen.shared = group.SharedWithAnotherJob(shared_id);
      seen.own = group.SharedWithAnotherJob(own);
      done.DecrementCount();
    };
  };
  queue.Submit(job(own_a), report(own_a, seen_a));
  queue.Submit(job(own_b), report(own_b, seen_b));
  release.Notify();
  done.Wait();
  EXPECT_TRUE(seen_a.shared);
  EXPECT_TRUE(seen_b.shared);
  EXPECT_FALSE(seen_a.own);
  EXPECT_FALSE(seen_b.own);
}

}  // namespace
}  // namespace rapport::server
