// The Sync gRPC service (proto/rapport/v1/sync.proto) over one RecordStore, with the callback
// API: each Session stream is a reactor with one read and one write in flight. Protocol:
// docs/protocol.md.
//
// Thread-safe: gRPC runs reactions of different streams (and the read and write reactions of one
// stream) on its own threads concurrently. The store and schema must outlive the service.
#pragma once

#include <cstddef>

#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "rapport/v1/sync.grpc.pb.h"

namespace rapport::server {

inline constexpr uint32_t kProtocolVersion = 1;

struct SyncServiceOptions {
  // A Pull batch holds deltas up to about this many bytes (RecordState::ByteSizeLong); one
  // record larger than this is sent alone.
  size_t max_pull_batch_bytes = 1 << 20;
};

class SyncService final : public rapport::v1::Sync::CallbackService {
 public:
  SyncService(store::RecordStore& store, const schema::Schema& schema, SyncServiceOptions options)
      : store_(store), schema_(schema), options_(options) {}

  grpc::ServerBidiReactor<rapport::v1::ClientMessage, rapport::v1::ServerMessage>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  store::RecordStore& store_;
  const schema::Schema& schema_;
  const SyncServiceOptions options_;
};

}  // namespace rapport::server
