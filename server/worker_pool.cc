#include "server/worker_pool.h"

#include <algorithm>
#include <utility>

namespace rapport::server {

WorkerPool::WorkerPool(size_t threads) {
  if (threads == 0) threads = std::max(2u, std::thread::hardware_concurrency());
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::Submit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
  ++submitted_;
}

uint64_t WorkerPool::WaitUntilIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](WorkerPool* self)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->tasks_.empty() && self->running_ == 0; },
      this));
  return submitted_;
}

void WorkerPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* self)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->stopping_ || !self->tasks_.empty(); },
          this));
      if (tasks_.empty()) return;  // stopping, and everything submitted has run
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    task();
    task = nullptr;  // what the task holds (a session, say) goes before the pool reports idle
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

}  // namespace rapport::server
