// ContinuousSync (rapport/sync.h): a SessionLoop with the continuous schedule on a replica.
#include <memory>
#include <string>
#include <utility>

#include "client-lib/src/replica_internal.h"
#include "client-lib/src/sync/session_loop.h"
#include "rapport/sync.h"

namespace rapport {

struct ContinuousSync::Impl {
  explicit Impl(std::unique_ptr<sync_internal::SessionLoop> loop) : loop(std::move(loop)) {}
  std::unique_ptr<sync_internal::SessionLoop> loop;
};

absl::StatusOr<std::unique_ptr<ContinuousSync>> ContinuousSync::Start(
    Replica& replica, const std::string& server_address, ContinuousSyncOptions options) {
  if (options.initial_backoff_ms <= 0 || options.max_backoff_ms < options.initial_backoff_ms) {
    return absl::InvalidArgumentError(
        "ContinuousSync needs 0 < initial_backoff_ms <= max_backoff_ms");
  }
  sync_internal::SyncSchedule schedule;
  schedule.initial_backoff_ms = options.initial_backoff_ms;
  schedule.max_backoff_ms = options.max_backoff_ms;
  auto loop = std::make_unique<sync_internal::SessionLoop>(
      ReplicaInternal::Store(replica), ReplicaInternal::GetSchema(replica), server_address,
      std::move(options.sync), schedule);
  loop->Start();
  return std::make_unique<ContinuousSync>(std::make_unique<Impl>(std::move(loop)));
}

ContinuousSync::ContinuousSync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ContinuousSync::~ContinuousSync() { Stop(); }

void ContinuousSync::Stop() { impl_->loop->Stop(); }

SyncState ContinuousSync::state() const { return impl_->loop->state(); }

std::string ContinuousSync::last_error() const { return impl_->loop->last_error(); }

}  // namespace rapport
