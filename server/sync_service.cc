#include "server/sync_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "server/quiesce.h"
#include "server/session_reactor.h"

namespace rapport::server {

size_t PullBatchBytes(const SyncServiceOptions& options, size_t sessions) {
  const size_t share = options.pull_memory_budget_bytes / std::max<size_t>(1, sessions);
  return std::min(options.max_pull_batch_bytes, std::max(kMinPullBatchBytes, share));
}

SyncService::SyncService(SessionEnv env, SessionGate& gate)
    : env_(env),
      gate_(gate),
      facts_of_(auth::Claims{}, env.schema),
      commits_(env.store),
      fanout_(env.store) {
  scopes_.WarmFrom(env_.store, facts_of_);
}

SyncService::~SyncService() {
  // The members die in reverse order, the commit queue before the pool; a session's work still
  // hopping between the two (a push cut by the shutdown) must be over before either goes.
  fanout_.Stop();
  Quiesce(workers_, commits_);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SyncService::Session(
    grpc::CallbackServerContext* context) {
  auto session = std::make_shared<SessionReactor>(
      env_, SessionServices{commits_, workers_, scopes_, facts_of_},
      gate_.Admit(*context, /*counted=*/true), context->peer(), [this](SessionReactor* done) {
        // Dropped here (or later, by the fan-out thread, if it is notifying this session).
        std::shared_ptr<CommitListener> last = fanout_.Remove(done);
      });
  SessionReactor* reactor = session.get();
  fanout_.Add(std::move(session));
  reactor->Start();
  return reactor;
}

}  // namespace rapport::server
