// SyncOnce and the names of sync states (rapport/sync.h).
#include "client-lib/src/replica_internal.h"
#include "client-lib/src/sync/sync_session.h"
#include "rapport/sync.h"

namespace rapport {

const char* SyncStateName(SyncState state) {
  switch (state) {
    case SyncState::kIdle:
      return "idle";
    case SyncState::kConnecting:
      return "connecting";
    case SyncState::kPushing:
      return "pushing";
    case SyncState::kPulling:
      return "pulling";
    case SyncState::kLive:
      return "live";
    case SyncState::kBackingOff:
      return "backing off";
    case SyncState::kError:
      return "error";
  }
  return "unknown";
}

absl::StatusOr<SyncSummary> SyncOnce(Replica& replica, const std::string& server_address,
                                     SyncOptions options) {
  sync_internal::SyncSession session(ReplicaInternal::Store(replica),
                                     ReplicaInternal::GetSchema(replica), server_address,
                                     std::move(options), /*live=*/false);
  return session.Run();
}

}  // namespace rapport
