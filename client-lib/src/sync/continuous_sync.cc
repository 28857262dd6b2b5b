// ContinuousSync (rapport/sync.h): one live session after another, with exponential backoff
// and jitter between failures so that a fleet of devices does not reconnect in lockstep.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client-lib/src/replica_internal.h"
#include "client-lib/src/sync/sync_session.h"
#include "rapport/sync.h"

namespace rapport {

struct ContinuousSync::Impl {
  Impl(Replica& replica, std::string address, ContinuousSyncOptions options)
      : replica(replica), address(std::move(address)), options(std::move(options)) {}

  void Run();
  void SetState(SyncState s, const std::string& message);

  Replica& replica;
  const std::string address;
  ContinuousSyncOptions options;
  std::thread thread;

  mutable absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  SyncState state ABSL_GUARDED_BY(mu) = SyncState::kIdle;
  std::string last_error ABSL_GUARDED_BY(mu);
  sync_internal::SyncSession* session ABSL_GUARDED_BY(mu) = nullptr;
};

void ContinuousSync::Impl::SetState(SyncState s, const std::string& message) {
  {
    absl::MutexLock lock(&mu);
    state = s;
    if (s == SyncState::kError) last_error = message;
    if (s == SyncState::kLive) last_error.clear();
  }
  if (options.sync.on_status) options.sync.on_status(s, message);
}

void ContinuousSync::Impl::Run() {
  absl::BitGen jitter;
  int failures = 0;
  SyncOptions sync = options.sync;
  sync.on_status = [this](SyncState s, const std::string& message) { SetState(s, message); };
  for (;;) {
    sync_internal::SyncSession attempt(ReplicaInternal::Store(replica),
                                       ReplicaInternal::GetSchema(replica), address, sync,
                                       /*live=*/true);
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
      session = &attempt;
    }
    absl::StatusOr<SyncSummary> result = attempt.Run();
    {
      absl::MutexLock lock(&mu);
      session = nullptr;
      if (stopping) return;
    }
    failures = attempt.went_live() ? 1 : failures + 1;
    // Exponential, capped, with "equal jitter": between half and all of the nominal delay.
    const int64_t nominal = std::min<int64_t>(
        options.max_backoff_ms, int64_t{options.initial_backoff_ms} << std::min(failures - 1, 20));
    const int64_t delay_ms = absl::Uniform<int64_t>(jitter, nominal / 2, nominal + 1);
    SetState(SyncState::kBackingOff, absl::StrCat("retrying in ", delay_ms, " ms"));
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(delay_ms));
    if (stopping) return;
  }
}

absl::StatusOr<std::unique_ptr<ContinuousSync>> ContinuousSync::Start(
    Replica& replica, const std::string& server_address, ContinuousSyncOptions options) {
  if (options.initial_backoff_ms <= 0 || options.max_backoff_ms < options.initial_backoff_ms) {
    return absl::InvalidArgumentError(
        "ContinuousSync needs 0 < initial_backoff_ms <= max_backoff_ms");
  }
  auto impl = std::make_unique<Impl>(replica, server_address, std::move(options));
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->Run(); });
  return std::make_unique<ContinuousSync>(std::move(impl));
}

ContinuousSync::ContinuousSync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ContinuousSync::~ContinuousSync() { Stop(); }

void ContinuousSync::Stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
    if (impl_->session != nullptr) impl_->session->Stop();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

SyncState ContinuousSync::state() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->state;
}

std::string ContinuousSync::last_error() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->last_error;
}

}  // namespace rapport
