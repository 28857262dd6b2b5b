// Runs sync sessions between a store and one server in the background, on a schedule: one live
// session kept open (continuous), or a once session every N minutes or daily at a given time.
// After a failure it retries with exponential backoff and jitter. ContinuousSync (a device)
// and rapportd's upstream replication (a branch) are both a SessionLoop.
//
// Thread-safe. The store and schema must outlive the loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "rapport/sync.h"

namespace rapport::sync_internal {

class SyncSession;

struct SyncSchedule {
  enum class Kind { kContinuous, kEvery, kDailyAt, kManual };
  Kind kind = Kind::kContinuous;
  absl::Duration every = absl::Minutes(15);  // kEvery
  int daily_minute_utc = 0;                  // kDailyAt: minutes after midnight UTC
  int initial_backoff_ms = 500;
  int max_backoff_ms = 60000;

  // "continuous", "manual", "every 15m" (any absl duration), "daily 02:30" (UTC).
  static absl::StatusOr<SyncSchedule> Parse(const std::string& text);
};

class SessionLoop {
 public:
  SessionLoop(store::RecordStore& store, const schema::Schema& schema, std::string address,
              SyncOptions options, SyncSchedule schedule);
  ~SessionLoop();  // stops

  SessionLoop(const SessionLoop&) = delete;
  SessionLoop& operator=(const SessionLoop&) = delete;

  // Starts the background thread (not for kManual).
  void Start();
  // Ends a live session, stops retrying, and joins the thread.
  void Stop();
  // Runs one once session now, on the calling thread (manual schedule, tools and tests).
  absl::StatusOr<SyncSummary> RunOnce();

  SyncState state() const;
  std::string last_error() const;
  // When the last session ended successfully (InfinitePast if never).
  absl::Time last_success() const;

 private:
  void Run();
  void SetState(SyncState state, const std::string& message);
  // The delay before the next attempt after `failures` failures in a row.
  absl::Duration Backoff(int failures);
  absl::Time NextDue(absl::Time now) const;
  // Waits until `until` or Stop; false if stopped.
  bool WaitUntil(absl::Time until);

  store::RecordStore& store_;
  const schema::Schema& schema_;
  const std::string address_;
  SyncOptions options_;
  const SyncSchedule schedule_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  SyncState state_ ABSL_GUARDED_BY(mu_) = SyncState::kIdle;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time last_success_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  SyncSession* session_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::BitGen jitter_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::sync_internal
