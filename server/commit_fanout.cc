#include "server/commit_fanout.h"

#include <utility>
#include <vector>

namespace rapport::server {

CommitFanout::CommitFanout(store::RecordStore& store) : store_(store) {
  {
    absl::MutexLock lock(&mu_);
    committed_ = told_ = store.last_seq();
  }
  thread_ = std::thread([this] { Run(); });
  // The observer runs on the writer's thread with the write lock held: it only records the seq.
  observer_ = store_.AddObserver([this](const store::ChangeSet& changes) {
    absl::MutexLock lock(&mu_);
    if (changes.last_seq > committed_) committed_ = changes.last_seq;
  });
}

CommitFanout::~CommitFanout() { Stop(); }

void CommitFanout::Stop() {
  if (!thread_.joinable()) return;
  store_.RemoveObserver(observer_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CommitFanout::Add(std::shared_ptr<CommitListener> listener) {
  absl::MutexLock lock(&mu_);
  const CommitListener* key = listener.get();
  listeners_.emplace(key, std::move(listener));
}

std::shared_ptr<CommitListener> CommitFanout::Remove(const CommitListener* listener) {
  absl::MutexLock lock(&mu_);
  auto it = listeners_.find(listener);
  if (it == listeners_.end()) return nullptr;
  std::shared_ptr<CommitListener> out = std::move(it->second);
  listeners_.erase(it);
  return out;
}

size_t CommitFanout::size() const {
  absl::MutexLock lock(&mu_);
  return listeners_.size();
}

void CommitFanout::Run() {
  for (;;) {
    uint64_t seq = 0;
    std::vector<std::shared_ptr<CommitListener>> targets;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitFanout* self) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return self->stopping_ || self->committed_ > self->told_;
          },
          this));
      if (stopping_) return;
      seq = told_ = committed_;
      targets.reserve(listeners_.size());
      for (const auto& [key, listener] : listeners_) targets.push_back(listener);
    }
    // Outside the lock: a listener may unregister (and another register) meanwhile.
    for (const std::shared_ptr<CommitListener>& listener : targets) listener->OnCommitted(seq);
  }
}

}  // namespace rapport::server
