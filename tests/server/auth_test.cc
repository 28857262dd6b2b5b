// Token refusals, reassignment, the owner rule and the quarantine. The role × RPC × scope matrix
// is auth_matrix_test.cc. docs/security.md.
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapport/quarantine.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/server/auth_test_util.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using auth::Role;

// Three customers, placed so each role has some in scope and some out.
//   north-li   owner li,   territory north, branch hz
//   south-wang owner wang, territory south, branch sh
//   north-zhou owner zhou, territory north, branch sh
class AuthTest : public testing::AuthServerTest {
 protected:
  void SetUp() override {
    AuthServerTest::SetUp();
    auto office = Device("office");
    ASSERT_TRUE(office);
    const std::vector<std::array<std::string, 4>> seed = {{"north-li", "li", "north", "hz"},
                                                          {"south-wang", "wang", "south", "sh"},
                                                          {"north-zhou", "zhou", "north", "sh"}};
    for (const auto& [name, owner, territory, branch] : seed) {
      auto made = office->Apply({Mutation::Create(
          "customer",
          {{"name", name}, {"owner", owner}, {"territory", territory}, {"branch", branch}})});
      ASSERT_TRUE(made.ok()) << made.status();
      ids_[name] = made->created.at(0);
    }
    MustSyncAs(*office, AdminToken());
  }

  std::map<std::string, std::string> ids_;
};

TEST_F(AuthTest, BadTokensAreUnauthenticatedAndMoveNothing) {
  const auth::Claims good = ClaimsFor(Role::kAdmin, "root");
  auth::Claims expired = good;
  expired.expires_at = absl::ToUnixSeconds(absl::Now()) - 3600;
  auth::Claims wrong_audience = good;
  wrong_audience.audience = "someone-else";
  const auth::SigningKey other_server{.algorithm = auth::SigningKey::Algorithm::kHs256,
                                      .hs256_secret = std::string(32, 'o'),
                                      .rs256_private_key_pem = ""};
  std::string tampered = Token(good);
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing", ""},
      {"malformed", "not-a-jwt"},
      {"wrong signature", tampered},
      {"expired", Token(expired)},
      {"wrong audience", Token(wrong_audience)},
      {"another server's key", TokenSignedWith(other_server, good)},
  };
  auto stats_before = server_->store().Stats();
  ASSERT_TRUE(stats_before.ok());
  int n = 0;
  for (const auto& [label, token] : cases) {
    SCOPED_TRACE(label);
    auto device = Device("bad-" + std::to_string(n++));
    ASSERT_TRUE(device);
    testing::Create(*device, "Should not arrive");
    auto result = SyncAs(*device, token);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
    EXPECT_NE(result.status().message().find(label == "missing" ? "missing" : "token"),
              std::string::npos)
        << result.status();
    auto stats = server_->store().Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->records, stats_before->records);  // nothing stored
    auto held = testing::Archive(ReplicaInternal::Store(*device));
    EXPECT_EQ(held.size(), 1u);  // nothing returned: only its own record
  }
}

TEST_F(AuthTest, ReassignmentPurgesFromTheOldRepAndDeliversToTheNew) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  const std::string wang = Token(ClaimsFor(Role::kRep, "wang"));
  const std::string manager = Token(ClaimsFor(Role::kManager, "mgr-hz", {}, {"hz"}));
  auto li_phone = Device("li-phone");
  auto wang_phone = Device("wang-phone");
  auto manager_pc = Device("manager-pc");
  ASSERT_TRUE(li_phone && wang_phone && manager_pc);
  MustSyncAs(*li_phone, li);
  MustSyncAs(*wang_phone, wang);
  MustSyncAs(*manager_pc, manager);
  const std::string& id = ids_.at("north-li");
  ASSERT_TRUE(li_phone->Get(id)->has_value());
  ASSERT_FALSE(wang_phone->Get(id)->has_value());

  testing::Apply(*manager_pc, {Mutation::Set(id, "owner", std::string("wang"))});
  EXPECT_EQ(MustSyncAs(*manager_pc, manager).rejected, 0u);

  SyncSummary li_sync = MustSyncAs(*li_phone, li);
  EXPECT_EQ(li_sync.purged, 1u);
  EXPECT_FALSE(li_phone->Get(id)->has_value());
  auto by_name = li_phone->Query(Query::Equals("name", std::string("north-li")));
  ASSERT_TRUE(by_name.ok());
  EXPECT_TRUE(by_name->ids.empty());  // its index entries went with it
  MustSyncAs(*wang_phone, wang);
  ASSERT_TRUE(wang_phone->Get(id)->has_value());
  EXPECT_EQ(ValueToText(testing::View(*wang_phone, id).values.at("owner").displayed), "wang");
  // Whole, not just the change that brought it into scope.
  EXPECT_EQ(testing::Encoded(*wang_phone, id), testing::Encoded(server_->store(), id));
}

TEST_F(AuthTest, RepEditingOwnerIsRefusedAndTheServerCopyIsUnchanged) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto phone = Device("li-phone");
  ASSERT_TRUE(phone);
  MustSyncAs(*phone, li);
  const std::string& id = ids_.at("north-li");
  const std::string before = testing::Encoded(server_->store(), id);
  testing::Apply(*phone, {Mutation::Set(id, "owner", std::string("li-friend"))});
  SyncSummary pushed = MustSyncAs(*phone, li);
  ASSERT_EQ(pushed.rejections.size(), 1u);
  EXPECT_EQ(pushed.rejections[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_NE(pushed.rejections[0].message.find("owner"), std::string::npos)
      << pushed.rejections[0].message;
  EXPECT_EQ(testing::Encoded(server_->store(), id), before);

  // The refused change waits in quarantine with the server's reason, never dropped silently.
  auto held = ListQuarantine(*phone);
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].record_id, id);
  EXPECT_EQ((*held)[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_NE((*held)[0].message.find("owner"), std::string::npos);
  // A second sync does not push it again.
  EXPECT_EQ(MustSyncAs(*phone, li).pushed, 0u);

  // Discarding it takes the server's copy back at the next sync.
  ASSERT_TRUE(DiscardQuarantined(*phone, id).ok());
  EXPECT_FALSE(phone->Get(id)->has_value());
  MustSyncAs(*phone, li);
  EXPECT_EQ(ValueToText(testing::View(*phone, id).values.at("owner").displayed), "li");
  EXPECT_EQ(testing::Encoded(*phone, id), before);
  EXPECT_TRUE(ListQuarantine(*phone)->empty());
  EXPECT_EQ(DiscardQuarantined(*phone, id).code(), absl::StatusCode::kNotFound);
}

TEST_F(AuthTest, QuarantinedChangeRetriedWithTheRightsIsStored) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto phone = Device("li-phone");
  ASSERT_TRUE(phone);
  MustSyncAs(*phone, li);
  const std::string& id = ids_.at("north-li");
  testing::Apply(*phone, {Mutation::Set(id, "territory", std::string("east"))});
  ASSERT_EQ(MustSyncAs(*phone, li).rejected, 1u);
  ASSERT_EQ(ListQuarantine(*phone)->size(), 1u);

  // The manager of the branch takes the phone and retries the change with their own token.
  ASSERT_TRUE(RetryQuarantined(*phone, id).ok());
  EXPECT_TRUE((*ListQuarantine(*phone))[0].retry_pending);
  const std::string manager = Token(ClaimsFor(Role::kManager, "mgr-hz", {}, {"hz"}));
  SyncSummary retried = MustSyncAs(*phone, manager);
  EXPECT_EQ(retried.rejected, 0u);
  EXPECT_TRUE(ListQuarantine(*phone)->empty());
  auto office = Device("office-check");
  MustSyncAs(*office, AdminToken());
  EXPECT_EQ(ValueToText(testing::View(*office, id).values.at("territory").displayed), "east");
}

}  // namespace
}  // namespace rapport
