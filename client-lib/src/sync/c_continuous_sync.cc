// rapport_continuous_sync_* (rapport/rapport_sync.h): ContinuousSync behind the C API's error
// edge, plus what C callers need and the C++ class leaves to its user: callbacks one at a time
// and none after stop returns, stop from any thread any number of times, and a replica that may
// be closed before the sync's handle is freed (bindings with garbage collectors free in any
// order).
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client-lib/src/c_api_internal.h"
#include "client-lib/src/sync/c_sync_internal.h"
#include "core/status_macros.h"
#include "rapport/rapport_sync.h"
#include "rapport/sync.h"

namespace {

// How many of this API's callbacks run on this thread. Stop, free and close wait for callbacks
// to end, so from inside one they would wait for themselves: they are refused instead.
thread_local int callback_depth = 0;

absl::Status RefuseInCallback(const char* function) {
  if (callback_depth == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(function,
                   " was called from a sync callback; it waits until no callback runs, so call it "
                   "from another thread"));
}

// Lets callbacks through one at a time until closed.
class CallbackGate {
 public:
  template <typename Fn>
  void Deliver(Fn&& fn) {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    ++callback_depth;
    fn();
    --callback_depth;
  }
  // Returns once no callback runs (Deliver holds the lock throughout); none runs after.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// rapport_sync_state_name passes a C state to SyncStateName as is.
static_assert(RAPPORT_SYNC_IDLE == static_cast<int>(rapport::SyncState::kIdle) &&
              RAPPORT_SYNC_CONNECTING == static_cast<int>(rapport::SyncState::kConnecting) &&
              RAPPORT_SYNC_PUSHING == static_cast<int>(rapport::SyncState::kPushing) &&
              RAPPORT_SYNC_PULLING == static_cast<int>(rapport::SyncState::kPulling) &&
              RAPPORT_SYNC_LIVE == static_cast<int>(rapport::SyncState::kLive) &&
              RAPPORT_SYNC_BACKING_OFF == static_cast<int>(rapport::SyncState::kBackingOff) &&
              RAPPORT_SYNC_ERROR == static_cast<int>(rapport::SyncState::kError));

rapport_sync_state ToC(rapport::SyncState state) {
  switch (state) {
    case rapport::SyncState::kIdle:
      return RAPPORT_SYNC_IDLE;
    case rapport::SyncState::kConnecting:
      return RAPPORT_SYNC_CONNECTING;
    case rapport::SyncState::kPushing:
      return RAPPORT_SYNC_PUSHING;
    case rapport::SyncState::kPulling:
      return RAPPORT_SYNC_PULLING;
    case rapport::SyncState::kLive:
      return RAPPORT_SYNC_LIVE;
    case rapport::SyncState::kBackingOff:
      return RAPPORT_SYNC_BACKING_OFF;
    case rapport::SyncState::kError:
      return RAPPORT_SYNC_ERROR;
  }
  return RAPPORT_SYNC_ERROR;
}

rapport::ContinuousSyncOptions ToOptions(const rapport_continuous_sync_config* config,
                                         const std::shared_ptr<CallbackGate>& gate) {
  rapport::ContinuousSyncOptions options;
  if (config == nullptr) return options;
  if (config->token != nullptr) options.sync.token = config->token;
  if (config->tls_root_ca != nullptr) options.sync.tls_root_ca_pem = config->tls_root_ca;
  if (config->initial_backoff_ms != 0) options.initial_backoff_ms = config->initial_backoff_ms;
  if (config->max_backoff_ms != 0) options.max_backoff_ms = config->max_backoff_ms;
  void* context = config->context;
  if (const rapport_progress_fn fn = config->on_progress; fn != nullptr) {
    options.sync.on_progress = [gate, fn, context](const rapport::SyncProgress& p) {
      const rapport_sync_progress c = rapport::c_api::ToC(p);
      gate->Deliver([&] { fn(&c, context); });
    };
  }
  if (const rapport_sync_status_fn fn = config->on_status; fn != nullptr) {
    options.sync.on_status = [gate, fn, context](rapport::SyncState s, const std::string& m) {
      gate->Deliver([&] { fn(ToC(s), m.c_str(), context); });
    };
  }
  return options;
}

// The state of one continuous sync, shared by its handle and by the replica's close hook so
// that either may end it first.
class SyncCore {
 public:
  SyncCore(rapport_replica* replica, std::shared_ptr<CallbackGate> gate)
      : replica_(replica), gate_(std::move(gate)) {}

  void Attach(std::unique_ptr<rapport::ContinuousSync> sync, int close_hook) {
    absl::MutexLock lock(&mu_);
    sync_ = std::move(sync);
    close_hook_ = close_hook;
  }

  // `function` names the caller in a refusal.
  absl::Status Stop(const char* function) {
    RETURN_IF_ERROR(RefuseInCallback(function));
    std::unique_ptr<rapport::ContinuousSync> sync;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        mu_.Await(absl::Condition(&stopped_));
        return absl::OkStatus();
      }
      stopping_ = true;
      sync = std::move(sync_);
    }
    gate_->Close();
    sync.reset();  // stops and joins the background thread
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    return absl::OkStatus();
  }

  // The replica is closing: stop for good, and never touch the replica again.
  absl::Status OnReplicaClosing() {
    RETURN_IF_ERROR(Stop("rapport_close"));
    absl::MutexLock lock(&mu_);
    replica_ = nullptr;
    return absl::OkStatus();
  }

  // The handle is being freed (after Stop): unregister from a replica still open. A close
  // running the hook at the same time waits for the lock, so the replica is still alive here.
  void Detach() {
    absl::MutexLock lock(&mu_);
    if (replica_ != nullptr) replica_->close_hooks.Remove(close_hook_);
    replica_ = nullptr;
  }

  void State(rapport_sync_state* state, std::string* error) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || sync_ == nullptr) {
      *state = RAPPORT_SYNC_IDLE;
      error->clear();
      return;
    }
    *state = ToC(sync_->state());
    *error = sync_->last_error();
  }

 private:
  absl::Mutex mu_;
  rapport_replica* replica_ ABSL_GUARDED_BY(mu_);
  int close_hook_ ABSL_GUARDED_BY(mu_) = -1;
  std::unique_ptr<rapport::ContinuousSync> sync_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  const std::shared_ptr<CallbackGate> gate_;
};

}  // namespace

struct rapport_continuous_sync {
  std::shared_ptr<SyncCore> core;
};

extern "C" {

const char* rapport_sync_state_name(rapport_sync_state state) {
  switch (state) {
    case RAPPORT_SYNC_IDLE:
    case RAPPORT_SYNC_CONNECTING:
    case RAPPORT_SYNC_PUSHING:
    case RAPPORT_SYNC_PULLING:
    case RAPPORT_SYNC_LIVE:
    case RAPPORT_SYNC_BACKING_OFF:
    case RAPPORT_SYNC_ERROR:
      return rapport::SyncStateName(static_cast<rapport::SyncState>(state));
  }
  return "unknown";
}

rapport_status rapport_continuous_sync_start(rapport_replica* replica, const char* address,
                                             const rapport_continuous_sync_config* config,
                                             rapport_continuous_sync** out) {
  using rapport::c_api::Missing;
  if (out != nullptr) *out = nullptr;
  return rapport::c_api::Guard([&]() -> absl::Status {
    if (replica == nullptr) return Missing("replica");
    if (address == nullptr) return Missing("address");
    if (out == nullptr) return Missing("out");
    auto gate = std::make_shared<CallbackGate>();
    auto core = std::make_shared<SyncCore>(replica, gate);
    ASSIGN_OR_RETURN(
        std::unique_ptr<rapport::ContinuousSync> sync,
        rapport::ContinuousSync::Start(*replica->replica, address, ToOptions(config, gate)));
    const int hook = replica->close_hooks.Add([core] { return core->OnReplicaClosing(); });
    core->Attach(std::move(sync), hook);
    *out = new rapport_continuous_sync{std::move(core)};
    return absl::OkStatus();
  });
}

rapport_status rapport_continuous_sync_state(rapport_continuous_sync* sync,
                                             rapport_sync_state* out_state, char** out_error) {
  using rapport::c_api::Missing;
  if (out_error != nullptr) *out_error = nullptr;
  return rapport::c_api::Guard([&]() -> absl::Status {
    if (sync == nullptr) return Missing("sync");
    if (out_state == nullptr) return Missing("out_state");
    std::string error;
    sync->core->State(out_state, &error);
    if (out_error != nullptr) *out_error = rapport::c_api::Dup(error);
    return absl::OkStatus();
  });
}

rapport_status rapport_continuous_sync_stop(rapport_continuous_sync* sync) {
  return rapport::c_api::Guard([&]() -> absl::Status {
    if (sync == nullptr) return rapport::c_api::Missing("sync");
    return sync->core->Stop("rapport_continuous_sync_stop");
  });
}

void rapport_continuous_sync_free(rapport_continuous_sync* sync) {
  if (sync == nullptr) return;
  const rapport_status stopped = rapport::c_api::Guard(
      [&]() -> absl::Status { return sync->core->Stop("rapport_continuous_sync_free"); });
  if (stopped != RAPPORT_OK) return;  // the handle stays valid, rapport_last_error says why
  sync->core->Detach();
  delete sync;
}

}  // extern "C"
