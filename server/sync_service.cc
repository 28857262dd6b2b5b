#include "server/sync_service.h"

#include <memory>
#include <utility>

#include "server/session_reactor.h"

namespace rapport::server {

SyncService::SyncService(store::RecordStore& store, const schema::Schema& schema, SessionGate& gate,
                         SyncServiceOptions options)
    : store_(store), schema_(schema), gate_(gate), options_(options), fanout_(store) {}

SyncService::~SyncService() = default;

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* SyncService::Session(
    grpc::CallbackServerContext* context) {
  auto session = std::make_shared<SessionReactor>(
      store_, schema_, options_, gate_.Admit(*context, /*counted=*/true),
      [this](SessionReactor* done) {
        // Dropped here (or later, by the fan-out thread, if it is notifying this session).
        std::shared_ptr<CommitListener> last = fanout_.Remove(done);
      });
  SessionReactor* reactor = session.get();
  fanout_.Add(std::move(session));
  reactor->Start();
  return reactor;
}

}  // namespace rapport::server
