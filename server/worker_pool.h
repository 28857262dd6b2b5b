// A fixed set of threads that run the server's CPU and store work (decoding and validating
// pushes, producing Pull batches) so that gRPC's own threads only move bytes: a reaction that
// blocks on the store or burns milliseconds of CPU delays every stream's I/O on that thread,
// keepalive ping acks included (docs/protocol.md, "Threads").
//
// Thread-safe. Tasks start in submission order but run concurrently: a caller that needs its
// tasks in order submits the next one only after the previous one ran.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rapport::server {

class WorkerPool {
 public:
  // `threads` == 0: one per hardware thread (at least two).
  explicit WorkerPool(size_t threads = 0);
  // Runs every task submitted so far (and those they submit), then joins.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);
  size_t threads() const { return threads_.size(); }

  // Blocks until no task is queued or running, and returns how many tasks were ever submitted
  // (see Quiesce in server/quiesce.h: work that hops between the pool and a CommitQueue).
  uint64_t WaitUntilIdle();

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t submitted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace rapport::server
