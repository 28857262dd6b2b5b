#include "tests/fault/session_killer.h"

#include <signal.h>

#include <thread>
#include <utility>

namespace rapport::fault {

const char* SessionPhaseName(SessionPhase phase) {
  switch (phase) {
    case SessionPhase::kNotKilled:
      return "not killed";
    case SessionPhase::kConnecting:
      return "connecting";
    case SessionPhase::kPushing:
      return "pushing";
    case SessionPhase::kPulling:
      return "pulling";
  }
  return "?";
}

absl::StatusOr<SyncSummary> SessionKiller::Run(Replica& replica, const std::string& address,
                                               SyncOptions options) {
  options.on_status = [this](SyncState state, const std::string&) { OnStatus(state); };
  options.on_progress = [this](const SyncProgress& progress) { OnProgress(progress); };
  const absl::Time start = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
  }
  std::thread timer;
  if (moment_.kind == KillMoment::Kind::kAfterDelay) {
    timer = std::thread([this] {
      absl::MutexLock lock(&mu_);
      // The session ending first is the condition; the delay passing first is the kill.
      auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !running_; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&ended), moment_.delay)) {
        KillLocked(/*just_pulled=*/false);
      }
    });
  }
  absl::StatusOr<SyncSummary> result = SyncOnce(replica, address, std::move(options));
  {
    absl::MutexLock lock(&mu_);
    running_ = false;
    took_ = absl::Now() - start;
  }
  if (timer.joinable()) timer.join();
  return result;
}

SessionPhase SessionKiller::phase() const {
  absl::MutexLock lock(&mu_);
  return phase_;
}

absl::Duration SessionKiller::took() const {
  absl::MutexLock lock(&mu_);
  return took_;
}

void SessionKiller::OnStatus(SyncState state) {
  absl::MutexLock lock(&mu_);
  state_ = state;
}

void SessionKiller::OnProgress(const SyncProgress& progress) {
  absl::MutexLock lock(&mu_);
  // Each report follows exactly one event; which one shows in the counter that moved.
  const bool pulled = progress.pulled > last_.pulled;
  if (progress.pushed > last_.pushed) ++pushes_sent_;
  if (progress.acknowledged > last_.acknowledged) ++acks_seen_;
  if (pulled) ++pulls_applied_;
  last_ = progress;
  using Kind = KillMoment::Kind;
  if ((moment_.kind == Kind::kAfterPushSent && pushes_sent_ == moment_.nth) ||
      (moment_.kind == Kind::kAfterPushAcked && acks_seen_ == moment_.nth) ||
      (moment_.kind == Kind::kAfterPullApplied && pulls_applied_ == moment_.nth)) {
    KillLocked(/*just_pulled=*/pulled);
  }
}

void SessionKiller::KillLocked(bool just_pulled) {
  if (!running_ || phase_ != SessionPhase::kNotKilled) return;
  if (last_.acknowledged < last_.pushed) {
    phase_ = SessionPhase::kPushing;
  } else if (state_ == SyncState::kPulling || just_pulled) {
    // Pull batches arrive while the push round runs too; with every Push acknowledged the
    // server's side of the session is the pull.
    phase_ = SessionPhase::kPulling;
  } else if (state_ == SyncState::kPushing) {
    phase_ = SessionPhase::kPushing;
  } else {
    phase_ = SessionPhase::kConnecting;
  }
  kill(server_, SIGKILL);
}

}  // namespace rapport::fault
