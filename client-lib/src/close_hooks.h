// What must end before a rapport_replica handle is closed. A continuous sync started through the
// C API adds a hook that stops it; rapport_close runs the hooks, then deletes the replica. The
// hooks live on the handle, not in the sync code, because rapport_client (which closes) links no
// gRPC. Not part of the public API.
//
// Thread-safe. Hooks run without the lock held, so a hook may wait for threads that Add or
// Remove; whatever a hook uses must therefore stay alive on its own (hold it by shared_ptr).
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace rapport::c_api {

class CloseHooks {
 public:
  using Hook = std::function<absl::Status()>;

  int Add(Hook hook) {
    absl::MutexLock lock(&mu_);
    hooks_.emplace(next_id_, std::move(hook));
    return next_id_++;
  }
  // A hook already taken by RunAll still runs.
  void Remove(int id) {
    absl::MutexLock lock(&mu_);
    hooks_.erase(id);
  }
  // Runs every hook in the order they were added. The first failure is returned; it and the
  // hooks after it stay registered (the replica must then stay open).
  absl::Status RunAll() {
    std::map<int, Hook> hooks;
    {
      absl::MutexLock lock(&mu_);
      hooks.swap(hooks_);
    }
    for (auto it = hooks.begin(); it != hooks.end(); it = hooks.erase(it)) {
      absl::Status status = it->second();
      if (status.ok()) continue;
      absl::MutexLock lock(&mu_);
      hooks_.merge(hooks);
      return status;
    }
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, Hook> hooks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::c_api
