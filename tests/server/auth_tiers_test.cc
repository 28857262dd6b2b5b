// Erasure through a branch, with tokens on every hop: head office erases a customer; a device of
// a branch, offline at the time and editing the customer meanwhile, gets the erasure once the
// branch has synced with head office; its stale edits, and any later write, are ignored on the
// device, the branch and head office alike. docs/security.md "Erasure propagation".
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "server/server_config.h"
#include "tests/server/auth_test_util.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using auth::Role;

class AuthTiersTest : public testing::AuthServerTest {
 protected:
  // A branch rapportd for branch `branch_name`: it asks its devices for tokens (same issuer and
  // key as head office here) and syncs with head office on demand as a `replica` of its branch.
  std::unique_ptr<server::SyncServer> StartBranch(const std::string& dir,
                                                  const std::string& branch_name) {
    server::ServerOptions options;
    const std::string config = "upstream { address: \"" + address_ + "\" schedule: \"manual\" }\n";
    EXPECT_TRUE(server::ApplyConfigText(config, "test", &options).ok());
    options.data_dir = tmp_.Sub(dir);
    options.auth.verifier.hs256_secret = key_.hs256_secret;
    options.auth.verifier.issuer = kIssuer;
    options.auth.verifier.audience = kAudience;
    options.upstream.token =
        Token(ClaimsFor(Role::kReplica, "branch-" + branch_name, {}, {branch_name}));
    auto branch = server::SyncServer::Start(options);
    EXPECT_TRUE(branch.ok()) << branch.status();
    return branch.ok() ? *std::move(branch) : nullptr;
  }
  SyncSummary SyncWithBranch(Replica& r, const server::SyncServer& branch,
                             const std::string& token) {
    SyncOptions options;
    options.token = token;
    auto summary = SyncOnce(r, branch.address(), options);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : SyncSummary{};
  }
  void SyncUp(server::SyncServer& branch) {
    auto summary = branch.SyncUpstreamNow();
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->rejected, 0u);
  }
  absl::Status EraseAtHeadOffice(const std::string& id) {
    auto stub = rapport::v1::Admin::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + AdminToken());
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rapport::v1::EraseRecordRequest request;
    request.set_record_id(id);
    rapport::v1::EraseRecordReply reply;
    const grpc::Status status = stub->EraseRecord(&context, request, &reply);
    return status.ok() ? absl::OkStatus() : absl::InternalError(status.error_message());
  }
  static void ExpectErased(const store::RecordStore& store, const std::string& where,
                           const std::string& id) {
    auto record = store.Get(*crdt::RecordId::Parse(id));
    ASSERT_TRUE(record.ok() && record->has_value()) << where;
    EXPECT_TRUE((*record)->erased()) << where;
    EXPECT_TRUE((*record)->fields().empty()) << where;
  }
};

TEST_F(AuthTiersTest, ErasureAtHeadOfficeReachesAnOfflineBranchDeviceAndLaterWritesAreIgnored) {
  auto branch = StartBranch("branch-hz", "hz");
  ASSERT_TRUE(branch);
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  const std::string manager = Token(ClaimsFor(Role::kManager, "mgr-hz", {}, {"hz"}));
  auto office = Device("office");
  auto phone = Device("li-phone");
  auto manager_pc = Device("manager-pc");
  ASSERT_TRUE(office && phone && manager_pc);

  // Head office creates the customer; the branch and its devices get it.
  auto made = office->Apply({Mutation::Create("customer", {{"name", std::string("Wang Fang")},
                                                           {"owner", std::string("li")},
                                                           {"territory", std::string("north")},
                                                           {"branch", std::string("hz")},
                                                           {"phone", std::string("+86 138 1")}})});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string id = made->created.at(0);
  MustSyncAs(*office, AdminToken());
  SyncUp(*branch);
  SyncWithBranch(*phone, *branch, li);
  SyncWithBranch(*manager_pc, *branch, manager);
  ASSERT_TRUE(phone->Get(id)->has_value());
  ASSERT_TRUE(manager_pc->Get(id)->has_value());

  // The phone is offline and edits the customer; head office erases it meanwhile.
  testing::Apply(*phone, {Mutation::Increment(id, "loyalty_points", 10),
                          Mutation::Set(id, "phone", std::string("+86 138 2"))});
  ASSERT_TRUE(EraseAtHeadOffice(id).ok());
  ExpectErased(server_->store(), "head office", id);

  // A device of the branch that syncs before the branch has does not see the erasure yet.
  SyncWithBranch(*manager_pc, *branch, manager);
  EXPECT_FALSE(testing::View(*manager_pc, id).erased);

  // The branch syncs; then the phone comes back: its edits are absorbed, not quarantined.
  SyncUp(*branch);
  ExpectErased(branch->store(), "branch", id);
  const SyncSummary back = SyncWithBranch(*phone, *branch, li);
  EXPECT_EQ(back.rejected, 0u);
  const RecordView on_phone = testing::View(*phone, id);
  EXPECT_TRUE(on_phone.erased);
  EXPECT_TRUE(on_phone.values.empty());
  EXPECT_TRUE(on_phone.counters.empty());

  // A device that edits after the erasure, not having heard of it yet: ignored as well.
  testing::Apply(*manager_pc, {Mutation::Set(id, "city", std::string("Hangzhou"))});
  EXPECT_EQ(SyncWithBranch(*manager_pc, *branch, manager).rejected, 0u);
  SyncUp(*branch);
  MustSyncAs(*office, AdminToken());

  // Everywhere: erased, no values, one state.
  ExpectErased(server_->store(), "head office", id);
  ExpectErased(branch->store(), "branch", id);
  const std::string erased = testing::Encoded(server_->store(), id);
  EXPECT_EQ(testing::Encoded(branch->store(), id), erased);
  for (Replica* device : {office.get(), phone.get(), manager_pc.get()}) {
    EXPECT_EQ(testing::Encoded(*device, id), erased);
    EXPECT_TRUE(testing::View(*device, id).values.empty());
  }
}

}  // namespace
}  // namespace rapport
