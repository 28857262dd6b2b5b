#include "client-lib/src/sync/session_loop.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client-lib/src/sync/sync_session.h"

namespace rapport::sync_internal {

absl::StatusOr<SyncSchedule> SyncSchedule::Parse(const std::string& text) {
  SyncSchedule schedule;
  if (text == "continuous") return schedule;
  if (text == "manual") {
    schedule.kind = Kind::kManual;
    return schedule;
  }
  const std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (words.size() == 2 && words[0] == "every") {
    schedule.kind = Kind::kEvery;
    if (!absl::ParseDuration(words[1], &schedule.every) || schedule.every < absl::Seconds(1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "schedule '", text, "': the interval must be a duration of at least 1s, like 15m"));
    }
    return schedule;
  }
  if (words.size() == 2 && words[0] == "daily") {
    const std::vector<std::string> hm = absl::StrSplit(words[1], ':');
    int h = -1, m = -1;
    if (hm.size() != 2 || !absl::SimpleAtoi(hm[0], &h) || !absl::SimpleAtoi(hm[1], &m) || h < 0 ||
        h > 23 || m < 0 || m > 59) {
      return absl::InvalidArgumentError(
          absl::StrCat("schedule '", text, "': the time must be HH:MM (UTC), like 02:30"));
    }
    schedule.kind = Kind::kDailyAt;
    schedule.daily_minute_utc = h * 60 + m;
    return schedule;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "schedule '", text, "' is not one of: continuous, manual, every <duration>, daily <HH:MM>"));
}

SessionLoop::SessionLoop(store::RecordStore& store, const schema::Schema& schema,
                         std::string address, SyncOptions options, SyncSchedule schedule)
    : store_(store),
      schema_(schema),
      address_(std::move(address)),
      options_(std::move(options)),
      schedule_(schedule) {}

SessionLoop::~SessionLoop() { Stop(); }

void SessionLoop::Start() {
  if (schedule_.kind == SyncSchedule::Kind::kManual || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void SessionLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (session_ != nullptr) session_->Stop();
  }
  // From the loop's own thread (a status callback) it can only ask: joining would be a self-join.
  if (thread_.joinable() && thread_.get_id() == std::this_thread::get_id()) return;
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  state_ = SyncState::kIdle;  // nothing runs any more, whatever the last session reported
}

SyncState SessionLoop::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

std::string SessionLoop::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

absl::Time SessionLoop::last_success() const {
  absl::MutexLock lock(&mu_);
  return last_success_;
}

void SessionLoop::SetState(SyncState state, const std::string& message) {
  {
    absl::MutexLock lock(&mu_);
    state_ = state;
    if (state == SyncState::kError) last_error_ = message;
    if (state == SyncState::kLive || state == SyncState::kIdle) last_error_.clear();
  }
  if (options_.on_status) options_.on_status(state, message);
}

absl::Duration SessionLoop::Backoff(int failures) {
  // Exponential, capped, with "equal jitter": between half and all of the nominal delay, so a
  // fleet of devices cut off together does not reconnect in lockstep.
  const int64_t nominal =
      std::min<int64_t>(schedule_.max_backoff_ms, int64_t{schedule_.initial_backoff_ms}
                                                      << std::min(std::max(failures, 1) - 1, 20));
  absl::MutexLock lock(&mu_);
  return absl::Milliseconds(
      absl::Uniform<int64_t>(absl::IntervalClosed, jitter_, nominal / 2, nominal));
}

absl::Time SessionLoop::NextDue(absl::Time now) const {
  if (schedule_.kind == SyncSchedule::Kind::kEvery) return now + schedule_.every;
  const absl::Time midnight = absl::FromUnixSeconds(absl::ToUnixSeconds(now) / 86400 * 86400);
  absl::Time due = midnight + absl::Minutes(schedule_.daily_minute_utc);
  if (due <= now) due += absl::Hours(24);
  return due;
}

bool SessionLoop::WaitUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(&stopping_), until);
  return !stopping_;
}

absl::StatusOr<SyncSummary> SessionLoop::RunOnce() {
  SyncOptions options = options_;
  options.on_status = [this](SyncState s, const std::string& m) { SetState(s, m); };
  SyncSession session(store_, schema_, address_, options, /*live=*/false);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("the sync loop is stopping");
    session_ = &session;
  }
  absl::StatusOr<SyncSummary> result = session.Run();
  absl::MutexLock lock(&mu_);
  session_ = nullptr;
  if (result.ok()) last_success_ = absl::Now();
  return result;
}

void SessionLoop::Run() {
  const bool live = schedule_.kind == SyncSchedule::Kind::kContinuous;
  SyncOptions options = options_;
  options.on_status = [this](SyncState s, const std::string& m) { SetState(s, m); };
  int failures = 0;
  for (;;) {
    bool went_live = false;
    absl::StatusOr<SyncSummary> result;
    {
      SyncSession session(store_, schema_, address_, options, live);
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        session_ = &session;
      }
      result = session.Run();
      went_live = session.went_live();
      absl::MutexLock lock(&mu_);
      session_ = nullptr;
      if (stopping_) return;
      if (result.ok()) last_success_ = absl::Now();
    }
    absl::Time next;
    if (result.ok() && !live) {
      failures = 0;
      next = NextDue(absl::Now());
      SetState(SyncState::kIdle, "");
    } else {
      failures = went_live ? 1 : failures + 1;
      const absl::Duration delay = Backoff(failures);
      next = absl::Now() + delay;
      SetState(SyncState::kBackingOff,
               absl::StrCat("retrying in ", absl::ToInt64Milliseconds(delay), " ms"));
    }
    if (!WaitUntil(next)) return;
  }
}

}  // namespace rapport::sync_internal
