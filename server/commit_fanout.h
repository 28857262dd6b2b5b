// Tells live sessions that the store committed, without polling and without doing their work on
// the committing thread: a store observer records the newest seq and one fan-out thread hands
// it to every registered listener. A listener produces its own Pull from the store at its
// client's pace, so a slow client never holds up the writer or the others.
//
// Thread-safe. Listeners are kept alive (shared_ptr) while being notified, so a session may
// unregister and be destroyed concurrently with a notification.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/store/record_store.h"

namespace rapport::server {

class CommitListener {
 public:
  virtual ~CommitListener() = default;
  // The store's last seq is now at least `seq`. Called on the fan-out thread.
  virtual void OnCommitted(uint64_t seq) = 0;
};

class CommitFanout {
 public:
  explicit CommitFanout(store::RecordStore& store);
  ~CommitFanout();  // Stop()

  // Stops the store observer and the thread: no listener is told anything afterwards. The
  // listeners stay registered until Remove or destruction. Idempotent.
  void Stop();

  CommitFanout(const CommitFanout&) = delete;
  CommitFanout& operator=(const CommitFanout&) = delete;

  void Add(std::shared_ptr<CommitListener> listener);
  // Returns the registered pointer (so the caller controls where the listener dies), or null.
  std::shared_ptr<CommitListener> Remove(const CommitListener* listener);
  size_t size() const;

 private:
  void Run();

  store::RecordStore& store_;
  int observer_ = -1;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<const CommitListener*, std::shared_ptr<CommitListener>> listeners_
      ABSL_GUARDED_BY(mu_);
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;  // newest seq observed
  uint64_t told_ ABSL_GUARDED_BY(mu_) = 0;       // newest seq handed out
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // joined by Stop
};

}  // namespace rapport::server
