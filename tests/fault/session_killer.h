// Kills a server process with SIGKILL at a chosen moment of one client sync session, and says
// truthfully where the session was when the signal went out. Two kinds of moment:
//  - at a message boundary: right after the client sent its n-th Push (the server is receiving
//    or committing it), saw its n-th PushAck (the server has committed), or committed its n-th
//    Pull batch locally (the server is reading or sending the next);
//  - after a delay from the start of the session, from another thread, wherever the bytes are
//    then (in the HTTP/2 handshake, a Push, a server commit, a Pull...).
// The kill and the session's end are ordered under one mutex, so a kill counted as landing
// during the session did: the call had not returned. Thread-safe (the session's callbacks run
// on its threads); one Run per object.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rapport/replica.h"
#include "rapport/sync.h"

namespace rapport::fault {

// Where a session was when the server was killed.
enum class SessionPhase {
  kNotKilled,   // the moment never came while the session ran
  kConnecting,  // before the server's Welcome: no Push sent yet
  kPushing,     // a Push is unacknowledged (the server may be committing it), or the round is open
  kPulling,     // every Push sent so far acknowledged; Pull batches arriving until CaughtUp
};
const char* SessionPhaseName(SessionPhase phase);

struct KillMoment {
  enum class Kind { kAfterPushSent, kAfterPushAcked, kAfterPullApplied, kAfterDelay };
  Kind kind = Kind::kAfterDelay;
  int nth = 1;                                  // the boundary kinds: which message (1-based)
  absl::Duration delay = absl::ZeroDuration();  // kAfterDelay: from the start of the session
};

class SessionKiller {
 public:
  SessionKiller(pid_t server, KillMoment moment) : server_(server), moment_(moment) {}

  // SyncOnce(replica, address, options) with the kill armed; `options`' own callbacks are
  // replaced.
  absl::StatusOr<SyncSummary> Run(Replica& replica, const std::string& address,
                                  SyncOptions options);

  // Where the session was when the kill went out (kNotKilled if it did not).
  SessionPhase phase() const;
  // How long Run's session took.
  absl::Duration took() const;

 private:
  void OnStatus(SyncState state);
  void OnProgress(const SyncProgress& progress);
  // Kills if the session is still running and nobody has killed yet; `just_pulled` when the
  // moment is the report of a Pull batch applied.
  void KillLocked(bool just_pulled) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t server_;
  const KillMoment moment_;
  mutable absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  SyncState state_ ABSL_GUARDED_BY(mu_) = SyncState::kIdle;
  SyncProgress last_ ABSL_GUARDED_BY(mu_);
  int pushes_sent_ ABSL_GUARDED_BY(mu_) = 0;
  int acks_seen_ ABSL_GUARDED_BY(mu_) = 0;
  int pulls_applied_ ABSL_GUARDED_BY(mu_) = 0;
  SessionPhase phase_ ABSL_GUARDED_BY(mu_) = SessionPhase::kNotKilled;
  absl::Duration took_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rapport::fault
