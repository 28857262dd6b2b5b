// The Admin service: admin-only, stats and peers, record lookup, and erasure that reaches every
// replica through normal sync — including a device offline when it happened. Also the metrics
// endpoint a SyncServer serves.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "httplib.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tests/server/auth_test_util.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using auth::Role;

class AdminTest : public testing::AuthServerTest {
 protected:
  void Configure(server::ServerOptions& options) override {
    options.metrics_listen = "127.0.0.1:0";
  }
  std::unique_ptr<rapport::v1::Admin::Stub> Stub() {
    return rapport::v1::Admin::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  static void Authorize(grpc::ClientContext& context, const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
};

TEST_F(AdminTest, OnlyAdminsMayCallAndStatsCountRecordsAndPeers) {
  auto device = Device("device");
  ASSERT_TRUE(device);
  testing::Create(*device, "Chen Hardware");
  MustSyncAs(*device, AdminToken());

  auto stub = Stub();
  rapport::v1::GetStatsReply stats;
  for (const auto& [token, code] : std::vector<std::pair<std::string, grpc::StatusCode>>{
           {"", grpc::StatusCode::UNAUTHENTICATED},
           {Token(ClaimsFor(Role::kRep, "li")), grpc::StatusCode::PERMISSION_DENIED},
           {Token(ClaimsFor(Role::kManager, "m", {}, {"hz"})), grpc::StatusCode::PERMISSION_DENIED},
           {Token(ClaimsFor(Role::kReplica, "b", {}, {"hz"})), grpc::StatusCode::PERMISSION_DENIED},
           {AdminToken(), grpc::StatusCode::OK}}) {
    grpc::ClientContext context;
    if (!token.empty()) Authorize(context, token);
    const grpc::Status status = stub->GetStats(&context, {}, &stats);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
  }
  EXPECT_EQ(stats.records(), 1u);
  EXPECT_EQ(stats.replica_id().size(), 16u);

  grpc::ClientContext context;
  Authorize(context, AdminToken());
  rapport::v1::ListPeersReply peers;
  ASSERT_TRUE(stub->ListPeers(&context, {}, &peers).ok());
  ASSERT_EQ(peers.peers_size(), 1);
  EXPECT_EQ(peers.peers(0).name(), "client:" + device->replica_id());
  EXPECT_EQ(peers.peers(0).subject(), "admin");
  EXPECT_GT(peers.peers(0).pull_base(), 0u);
}

TEST_F(AdminTest, ErasureReachesADeviceThatWasOfflineAndLaterWritesAreIgnored) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto office = Device("office");
  auto phone = Device("li-phone");
  ASSERT_TRUE(office && phone);
  auto made =
      office->Apply({Mutation::Create("customer", {{"name", std::string("Wang Fang")},
                                                   {"owner", std::string("li")},
                                                   {"phone", std::string("+86 138 0000 0001")}})});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string id = made->created.at(0);
  MustSyncAs(*office, AdminToken());
  MustSyncAs(*phone, li);
  ASSERT_TRUE(phone->Get(id)->has_value());

  // The phone goes offline and edits the customer; meanwhile head office erases it.
  testing::Apply(*phone, {Mutation::Increment(id, "loyalty_points", 10)});
  grpc::ClientContext context;
  Authorize(context, AdminToken());
  rapport::v1::EraseRecordRequest request;
  request.set_record_id(id);
  rapport::v1::EraseRecordReply reply;
  const grpc::Status erased = Stub()->EraseRecord(&context, request, &reply);
  ASSERT_TRUE(erased.ok()) << erased.error_message();
  EXPECT_GT(reply.seq(), 0u);

  // Back online: the phone's edit is absorbed, the values are gone everywhere.
  MustSyncAs(*phone, li);
  MustSyncAs(*office, AdminToken());
  for (Replica* r : {phone.get(), office.get()}) {
    const RecordView v = testing::View(*r, id);
    EXPECT_TRUE(v.erased);
    EXPECT_TRUE(v.values.empty());
    EXPECT_TRUE(v.counters.empty());
  }
  auto fetched = Stub();
  grpc::ClientContext get_context;
  Authorize(get_context, AdminToken());
  rapport::v1::GetRecordRequest get;
  get.set_record_id(id);
  rapport::v1::GetRecordReply got;
  ASSERT_TRUE(fetched->GetRecord(&get_context, get, &got).ok());
  EXPECT_TRUE(got.record().erased());
  EXPECT_EQ(testing::Encoded(server_->store(), id), testing::Encoded(*phone, id));
}

// A server whose clock runs 30 minutes ahead of the callers': from its point of view every call
// arrives after its deadline, as calls do whose handlers start late on an overloaded server.
class LateAdminCallTest : public AdminTest {
 protected:
  void Configure(server::ServerOptions& options) override {
    options.auth.verifier.clock = [] { return absl::Now() + absl::Minutes(30); };
  }
};

TEST_F(LateAdminCallTest, CallPastItsDeadlineDoesNoWork) {
  auto office = Device("office");
  ASSERT_TRUE(office);
  const std::string id = testing::Create(*office, "Chen Hardware");
  MustSyncAs(*office, AdminToken());
  const std::string before = testing::Encoded(server_->store(), id);

  auto stub = Stub();
  grpc::ClientContext context;
  Authorize(context, AdminToken());  // a 10 s deadline: passed, by the server's clock
  rapport::v1::EraseRecordRequest request;
  request.set_record_id(id);
  rapport::v1::EraseRecordReply reply;
  const grpc::Status late = stub->EraseRecord(&context, request, &reply);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << late.error_message();
  EXPECT_NE(late.error_message().find("nothing was done"), std::string::npos)
      << late.error_message();
  EXPECT_EQ(testing::Encoded(server_->store(), id), before);

  // Without a deadline the call has not given up: it is served.
  grpc::ClientContext patient;
  patient.AddMetadata("authorization", "Bearer " + AdminToken());
  const grpc::Status erased = stub->EraseRecord(&patient, request, &reply);
  EXPECT_TRUE(erased.ok()) << erased.error_message();
  auto record = server_->store().Get(*crdt::RecordId::Parse(id));
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_TRUE((*record)->erased());
}

TEST_F(AdminTest, MetricsEndpointCountsSessionsAndBytes) {
  auto device = Device("device");
  ASSERT_TRUE(device);
  testing::Create(*device, "Chen Hardware");
  MustSyncAs(*device, AdminToken());
  ASSERT_GT(server_->metrics_port(), 0);
  httplib::Client client("127.0.0.1", server_->metrics_port());
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  for (const char* line : {"rapport_sessions_total 1", "rapport_deltas_applied_total 1",
                           "rapport_push_batches_total 1", "rapport_store_records 1",
                           "rapport_peer_checkpoint_lag{peer=\""}) {
    EXPECT_NE(response->body.find(line), std::string::npos) << line << "\n" << response->body;
  }
}

}  // namespace
}  // namespace rapport
