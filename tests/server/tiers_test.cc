// Three tiers: devices -> branch A and branch B -> head office. Branches are rapportd servers
// with an upstream; after the branches' syncs and the devices' next syncs every replica holds
// the same archive. Live changes cross both hops.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/server_config.h"
#include "tests/server/live_waiters.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::Archive;
using testing::kMonday9am;
using testing::OpenAt;

class TiersTest : public testing::SyncTest {
 protected:
  std::unique_ptr<server::SyncServer> StartBranch(const std::string& name,
                                                  const std::string& schedule) {
    server::ServerOptions options;
    const std::string config = "upstream { address: \"" + address_ + "\" schedule: \"" + schedule +
                               "\" }\nmax_pull_batch_bytes: 300\n";
    EXPECT_TRUE(server::ApplyConfigText(config, "test", &options).ok());
    options.data_dir = tmp_.Sub(name);
    options.auth.required = false;
    auto branch = server::SyncServer::Start(options);
    EXPECT_TRUE(branch.ok()) << branch.status();
    return branch.ok() ? *std::move(branch) : nullptr;
  }

  SyncSummary SyncWith(Replica& r, const server::SyncServer& s) {
    auto summary = SyncOnce(r, s.address(), SmallBatches());
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : SyncSummary{};
  }
  void SyncUp(server::SyncServer& branch) {
    auto summary = branch.SyncUpstreamNow();
    ASSERT_TRUE(summary.ok()) << summary.status();
  }
};

TEST_F(TiersTest, DevicesBranchesAndHeadOfficeEndWithOneArchive) {
  auto branch_a = StartBranch("branch-a", "manual");
  auto branch_b = StartBranch("branch-b", "manual");
  ASSERT_TRUE(branch_a && branch_b);
  int64_t now_hq = kMonday9am, now_a1 = kMonday9am + 1, now_a2 = kMonday9am + 2,
          now_b1 = kMonday9am + 3;
  auto hq = OpenAt(tmp_.Sub("hq-device"), &now_hq);
  auto a1 = OpenAt(tmp_.Sub("a1"), &now_a1);
  auto a2 = OpenAt(tmp_.Sub("a2"), &now_a2);
  auto b1 = OpenAt(tmp_.Sub("b1"), &now_b1);
  ASSERT_TRUE(hq && a1 && a2 && b1);

  // Head office imports the customers; the branches and their devices get them.
  const std::string shop = testing::Create(*hq, "Chen Hardware");
  const std::string mill = testing::Create(*hq, "Lina Rice Mill");
  Sync(*hq);
  SyncUp(*branch_a);
  SyncUp(*branch_b);
  for (Replica* d : {a1.get(), a2.get()}) SyncWith(*d, *branch_a);
  SyncWith(*b1, *branch_b);
  ASSERT_FALSE(testing::Encoded(*b1, shop).empty());

  // Everyone edits the same customers offline.
  testing::Apply(*a1, {Mutation::Increment(shop, "loyalty_points", 10),
                       Mutation::Set(shop, "phone", std::string("+86 138 0000 0001"))});
  testing::Apply(*a2, {Mutation::Increment(shop, "loyalty_points", 20),
                       Mutation::AddElement(shop, "tags", "vip")});
  testing::Apply(*b1, {Mutation::Increment(shop, "loyalty_points", 30),
                       Mutation::Set(shop, "phone", std::string("+86 139 0000 0002")),
                       Mutation::AppendEntry(mill, "interactions", Timestamp{now_b1},
                                             {{"kind", EnumValue{"visit"}},
                                              {"summary", std::string("Visit from B")}})});
  testing::Apply(*hq, {Mutation::Increment(shop, "loyalty_points", 1),
                       Mutation::Set(mill, "city", std::string("Hangzhou"))});
  const std::string from_b = testing::Create(*b1, "Wang Tea House");

  // Devices sync with their branch, branches with head office (A twice: it hears from B via
  // head office), then devices again.
  for (Replica* d : {a1.get(), a2.get()}) SyncWith(*d, *branch_a);
  SyncWith(*b1, *branch_b);
  Sync(*hq);
  SyncUp(*branch_a);
  SyncUp(*branch_b);
  SyncUp(*branch_a);
  for (Replica* d : {a1.get(), a2.get()}) SyncWith(*d, *branch_a);
  SyncWith(*b1, *branch_b);
  Sync(*hq);

  const std::vector<std::string> archive = Archive(server_->store());
  ASSERT_EQ(archive.size(), 3u);
  EXPECT_EQ(Archive(branch_a->store()), archive);
  EXPECT_EQ(Archive(branch_b->store()), archive);
  for (Replica* d : {hq.get(), a1.get(), a2.get(), b1.get()}) {
    EXPECT_EQ(Archive(ReplicaInternal::Store(*d)), archive);
  }
  const RecordView v = testing::View(*a1, shop);
  EXPECT_EQ(v.counters.at("loyalty_points"), 61);
  EXPECT_EQ(v.values.at("phone").conflicts.size(), 1u);  // A's and B's numbers both visible
  EXPECT_EQ(testing::View(*hq, mill).timelines.at("interactions").size(), 1u);
  EXPECT_FALSE(testing::Encoded(*a2, from_b).empty());
}

TEST_F(TiersTest, LiveChangeAtHeadOfficeReachesABranchDeviceThroughTheBranch) {
  auto branch = StartBranch("branch", "continuous");
  ASSERT_TRUE(branch);
  int64_t now = kMonday9am;
  auto office = OpenAt(tmp_.Sub("office"), &now);
  auto field = OpenAt(tmp_.Sub("field"), &now);
  ASSERT_TRUE(office && field);
  testing::StateWaiter office_state, field_state;
  ContinuousSyncOptions options;
  options.sync.on_status = office_state.Callback();
  auto office_live = ContinuousSync::Start(*office, address_, options);
  options.sync.on_status = field_state.Callback();
  auto field_live = ContinuousSync::Start(*field, branch->address(), options);
  ASSERT_TRUE(office_live.ok() && field_live.ok());
  ASSERT_TRUE(office_state.WaitForLive(1, absl::Seconds(10)));
  ASSERT_TRUE(field_state.WaitForLive(1, absl::Seconds(10)));

  testing::RecordWaiter on_field(*field);
  const std::string id = testing::Create(*office, "Chen Hardware");
  EXPECT_TRUE(on_field.WaitForName(id, "Chen Hardware", absl::Seconds(15)));
  // And back up: the field edit reaches head office's device through the branch.
  testing::RecordWaiter on_office(*office);
  testing::Apply(*field, {Mutation::Set(id, "name", std::string("Chen Hardware Ltd"))});
  EXPECT_TRUE(on_office.WaitForName(id, "Chen Hardware Ltd", absl::Seconds(15)));
  (*field_live)->Stop();
  (*office_live)->Stop();
}

TEST_F(TiersTest, ConfigWithoutUpstreamAddressIsRefused) {
  server::ServerOptions options;
  absl::Status status =
      server::ApplyConfigText("upstream { schedule: \"every 5m\" }", "t.conf", &options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("upstream needs an address"), std::string::npos) << status;
  status = server::ApplyConfigText("listen: 7420", "t.conf", &options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("t.conf: line 1"), std::string::npos) << status;
  options.auth.required = false;
  options.upstream.address = "127.0.0.1:1";
  options.upstream.schedule = "hourly";
  options.data_dir = tmp_.Sub("bad-schedule");
  auto server = server::SyncServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport
