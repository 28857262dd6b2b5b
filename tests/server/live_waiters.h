// Bounded waits for live sync tests, woken by commits and status callbacks (no polling sleeps).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rapport/replica.h"
#include "rapport/sync.h"

namespace rapport::testing {

// Waits (bounded) until `replica` holds record `id` with `name`, woken by its commits.
class RecordWaiter {
 public:
  explicit RecordWaiter(Replica& replica) : replica_(replica) {
    handle_ = replica_.Observe([this](const std::vector<std::string>&) {
      absl::MutexLock lock(&mu_);
      ++commits_;
    });
  }
  ~RecordWaiter() { replica_.Unobserve(handle_); }

  bool WaitForName(const std::string& id, const std::string& name, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      int seen;
      {
        absl::MutexLock lock(&mu_);
        seen = commits_;
      }
      auto view = replica_.Get(id);
      if (view.ok() && view->has_value() && (*view)->values.count("name") &&
          ValueToText((*view)->values.at("name").displayed) == name) {
        return true;
      }
      absl::MutexLock lock(&mu_);
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ != seen; };
      if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) return false;
    }
  }

 private:
  Replica& replica_;
  int handle_ = -1;
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

// Waits (bounded) for a ContinuousSync to report `state`.
class StateWaiter {
 public:
  std::function<void(SyncState, const std::string&)> Callback() {
    return [this](SyncState s, const std::string&) {
      absl::MutexLock lock(&mu_);
      last_ = s;
      if (s == SyncState::kLive) ++lives_;
    };
  }
  bool WaitForLive(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lives_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  absl::Mutex mu_;
  SyncState last_ ABSL_GUARDED_BY(mu_) = SyncState::kIdle;
  int lives_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rapport::testing
