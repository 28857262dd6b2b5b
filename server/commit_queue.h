// Group commit for the server's store: the writes of many sessions (their Push batches, the
// marks of what each was sent) share one durable LMDB commit instead of paying an fsync each.
// One committer thread takes every job queued while the previous commit was syncing and runs
// them in one RecordStore::Write; a job whose write fails does not take the others down: the
// group is rerun one job per transaction. Like LevelDB's write batching, throughput grows with
// the load while each job still waits for at most about two commits (docs/protocol.md,
// "Threads").
//
// Thread-safe. `Done` callbacks run on the committer thread, after the commit, in submission
// order; they must not block (hand longer work to a WorkerPool).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/crdt/record_id.h"
#include "core/store/record_store.h"

namespace rapport::server {

// What the jobs of one commit did to records, for jobs that must know whether a record's new
// seq holds only their own change (echo suppression, server/pushed_records.h): every record a
// transaction touches gets one seq, whichever jobs touched it.
class CommitGroup {
 public:
  // Notes that the job running now changed record `id`.
  void Touched(const crdt::RecordId& id);
  // Whether a job of this commit other than the current one also changed `id`.
  bool SharedWithAnotherJob(const crdt::RecordId& id) const;

 private:
  friend class CommitQueue;
  struct Toucher {
    size_t job;
    bool shared;
  };
  void Reset() { touched_.clear(); }
  size_t current_ = 0;
  absl::flat_hash_map<crdt::RecordId, Toucher> touched_;
};

class CommitQueue {
 public:
  // Runs inside the shared write transaction; may be rerun (after a map resize, or alone after
  // another job failed), so it must reset whatever it collects. An error aborts only this job.
  using Job = std::function<absl::Status(store::WriteTransaction&, CommitGroup&)>;
  // The job's outcome once durable (or why not); `group` is valid during the call only, with
  // CommitGroup's current job set to this one.
  using Done = std::function<void(const absl::Status&, const CommitGroup& group)>;

  explicit CommitQueue(store::RecordStore& store, size_t max_jobs_per_commit = 1024);
  // Commits every job already queued, then joins the committer.
  ~CommitQueue();

  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void Submit(Job job, Done done);

  // Blocks until no job is queued or being committed (its Done included), and returns how many
  // jobs were ever submitted (see Quiesce in server/quiesce.h).
  uint64_t WaitUntilIdle();

  // Commits made and jobs committed so far (jobs / commits is the batching factor).
  uint64_t commits() const;
  uint64_t jobs() const;

 private:
  struct Entry {
    Job job;
    Done done;
  };
  void Run();
  // The entries die in Run, before the queue reports idle (they may hold sessions).
  void CommitBatch(std::vector<Entry>& batch);
  void CommitAlone(Entry& entry);

  store::RecordStore& store_;
  const size_t max_jobs_;
  mutable absl::Mutex mu_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t submitted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t jobs_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace rapport::server
