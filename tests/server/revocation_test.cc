// Revocation reaches every copy a client holds (docs/security.md, "Revocation"): records it
// pulled, records it created and pushed itself, and records it still had unpushed edits on when
// the revocation arrived, even if that session was cut before the edits were acknowledged.
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client-lib/src/replica_internal.h"
#include "gtest/gtest.h"
#include "rapport/quarantine.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/server/auth_test_util.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using auth::Role;

class RevocationTest : public testing::AuthServerTest {
 protected:
  // The pull checkpoint `replica` holds for this test's server.
  uint64_t PullPosition(Replica& replica) {
    auto peers = ReplicaInternal::Store(replica).Peers("server:");
    EXPECT_TRUE(peers.ok()) << peers.status();
    return peers.ok() && !peers->empty() ? peers->front().second.pull.position : 0;
  }
};

TEST_F(RevocationTest, RecordTheRepCreatedIsPurgedWhenReassigned) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto phone = Device("li-phone");
  auto office = Device("office");
  ASSERT_TRUE(phone && office);
  auto made = phone->Apply({Mutation::Create(
      "customer", {{"name", std::string("Li's own find")}, {"owner", std::string("li")}})});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string id = made->created.at(0);
  EXPECT_EQ(MustSyncAs(*phone, li).rejected, 0u);

  MustSyncAs(*office, AdminToken());
  testing::Apply(*office, {Mutation::Set(id, "owner", std::string("wang"))});
  MustSyncAs(*office, AdminToken());

  // The phone never pulled the record (it was its own push, not echoed back), yet it holds it:
  // the server must still tell it to purge.
  EXPECT_EQ(MustSyncAs(*phone, li).purged, 1u);
  EXPECT_FALSE(phone->Get(id)->has_value());
}

TEST_F(RevocationTest, PurgeWaitingForUnpushedEditsSurvivesACutSession) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto phone = Device("li-phone");
  auto office = Device("office");
  ASSERT_TRUE(phone && office);
  auto made = office->Apply({Mutation::Create(
      "customer", {{"name", std::string("Tea house")}, {"owner", std::string("li")}})});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string id = made->created.at(0);
  MustSyncAs(*office, AdminToken());
  MustSyncAs(*phone, li);
  ASSERT_TRUE(phone->Get(id)->has_value());

  // Offline, li edits the customer; meanwhile head office gives it to wang.
  testing::Apply(*phone, {Mutation::Set(id, "phone", std::string("+86 138 0000 0001"))});
  testing::Apply(*office, {Mutation::Set(id, "owner", std::string("wang"))});
  MustSyncAs(*office, AdminToken());
  const uint64_t before = PullPosition(*phone);

  // Hold the server's writes, so li's push is never acknowledged in the next session while its
  // pull (a read) still delivers the revocation; then cut that session by its deadline.
  absl::Notification release, holding;
  std::thread writer([&] {
    auto held = server_->store().Write([&](store::WriteTransaction&) {
      holding.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
    EXPECT_TRUE(held.ok()) << held.status();
  });
  holding.WaitForNotification();
  SyncOptions cut;
  cut.token = li;
  cut.deadline_ms = 4000;
  absl::StatusOr<SyncSummary> first = absl::UnknownError("not run");
  std::thread session([&] { first = SyncOnce(*phone, address_, cut); });
  const absl::Time limit = absl::Now() + absl::Seconds(20);
  // Polls the phone's store (bounded): a checkpoint-only commit tells no observer.
  while (PullPosition(*phone) == before && absl::Now() < limit) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  session.join();
  release.Notify();
  writer.join();
  ASSERT_GT(PullPosition(*phone), before) << "the revocation never arrived";
  EXPECT_FALSE(first.ok());
  ASSERT_TRUE(phone->Get(id)->has_value()) << "purged before its edit was pushed";

  // The next session pushes the edit (refused: the record is wang's now), keeps it in
  // quarantine, and only then purges the record, though the server sends no revocation again.
  SyncSummary second = MustSyncAs(*phone, li);
  EXPECT_EQ(second.purged, 1u);
  EXPECT_FALSE(phone->Get(id)->has_value());
  auto quarantined = ListQuarantine(*phone);
  ASSERT_TRUE(quarantined.ok()) << quarantined.status();
  ASSERT_EQ(quarantined->size(), 1u);
  EXPECT_EQ(quarantined->front().record_id, id);
  // And the server copy kept wang's assignment and not li's phone number.
  MustSyncAs(*office, AdminToken());
  const RecordView server_copy = testing::View(*office, id);
  EXPECT_EQ(ValueToText(server_copy.values.at("owner").displayed), "wang");
  EXPECT_FALSE(server_copy.values.contains("phone"));
}

}  // namespace
}  // namespace rapport
