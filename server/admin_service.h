// The Admin gRPC service (proto/rapport/v1/admin.proto): stats, peers, record lookup and
// erasure, for operators with an admin token. Unary callback methods; each call is admitted by
// the SessionGate (not counted against the session cap; refused if already past its deadline)
// and refused unless the role is admin. Each does short, bounded work and has no server-side
// timer (docs/security.md "Limits on calls").
//
// Thread-safe. The store, gate, peers and sync service must outlive it.
#pragma once

#include "core/store/record_store.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/peer_table.h"
#include "server/session_gate.h"
#include "server/sync_service.h"

namespace rapport::server {

class AdminService final : public rapport::v1::Admin::CallbackService {
 public:
  AdminService(store::RecordStore& store, SessionGate& gate, const PeerTable& peers,
               const SyncService& sync)
      : store_(store), gate_(gate), peers_(peers), sync_(sync) {}

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const rapport::v1::GetStatsRequest* request,
                                     rapport::v1::GetStatsReply* reply) override;
  grpc::ServerUnaryReactor* ListPeers(grpc::CallbackServerContext* context,
                                      const rapport::v1::ListPeersRequest* request,
                                      rapport::v1::ListPeersReply* reply) override;
  grpc::ServerUnaryReactor* GetRecord(grpc::CallbackServerContext* context,
                                      const rapport::v1::GetRecordRequest* request,
                                      rapport::v1::GetRecordReply* reply) override;
  grpc::ServerUnaryReactor* EraseRecord(grpc::CallbackServerContext* context,
                                        const rapport::v1::EraseRecordRequest* request,
                                        rapport::v1::EraseRecordReply* reply) override;

 private:
  store::RecordStore& store_;
  SessionGate& gate_;
  const PeerTable& peers_;
  const SyncService& sync_;
};

}  // namespace rapport::server
