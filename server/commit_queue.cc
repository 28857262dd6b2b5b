#include "server/commit_queue.h"

#include <utility>
#include <vector>

namespace rapport::server {

void CommitGroup::Touched(const crdt::RecordId& id) {
  auto [it, inserted] = touched_.try_emplace(id, Toucher{current_, false});
  if (!inserted && it->second.job != current_) it->second.shared = true;
}

bool CommitGroup::SharedWithAnotherJob(const crdt::RecordId& id) const {
  auto it = touched_.find(id);
  return it != touched_.end() && (it->second.shared || it->second.job != current_);
}

CommitQueue::CommitQueue(store::RecordStore& store, size_t max_jobs_per_commit)
    : store_(store), max_jobs_(max_jobs_per_commit == 0 ? 1 : max_jobs_per_commit) {
  thread_ = std::thread([this] { Run(); });
}

CommitQueue::~CommitQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CommitQueue::Submit(Job job, Done done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({std::move(job), std::move(done)});
  ++submitted_;
}

uint64_t CommitQueue::WaitUntilIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](CommitQueue* self)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->queue_.empty() && !self->committing_; },
      this));
  return submitted_;
}

uint64_t CommitQueue::commits() const {
  absl::MutexLock lock(&mu_);
  return commits_;
}

uint64_t CommitQueue::jobs() const {
  absl::MutexLock lock(&mu_);
  return jobs_;
}

void CommitQueue::CommitAlone(Entry& entry) {
  CommitGroup group;
  absl::Status status = store_
                            .Write([&](store::WriteTransaction& txn) {
                              group.Reset();
                              return entry.job(txn, group);
                            })
                            .status();
  entry.done(status, group);
}

void CommitQueue::Run() {
  for (;;) {
    std::vector<Entry> batch;
    {
      absl::MutexLock lock(&mu_);
      committing_ = false;
      mu_.Await(absl::Condition(
          +[](CommitQueue* self)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->stopping_ || !self->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, and every job is committed
      while (!queue_.empty() && batch.size() < max_jobs_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = true;
      ++commits_;
      jobs_ += batch.size();
    }
    CommitBatch(batch);
  }
}

void CommitQueue::CommitBatch(std::vector<Entry>& batch) {
  if (batch.size() == 1) {
    CommitAlone(batch.front());
    return;
  }
  CommitGroup group;
  absl::Status written = store_
                             .Write([&](store::WriteTransaction& txn) -> absl::Status {
                               group.Reset();
                               for (size_t i = 0; i < batch.size(); ++i) {
                                 group.current_ = i;
                                 absl::Status status = batch[i].job(txn, group);
                                 if (!status.ok()) return status;
                               }
                               return absl::OkStatus();
                             })
                             .status();
  if (!written.ok()) {
    // Nothing of the group is stored: give each job a transaction of its own, so one job's
    // failure reaches only that job.
    for (Entry& entry : batch) CommitAlone(entry);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    group.current_ = i;
    batch[i].done(absl::OkStatus(), group);
  }
}

}  // namespace rapport::server
