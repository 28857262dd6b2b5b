// Who may sync what: every role against in-scope and out-of-scope records for reads (pull) and
// writes (push), token refusals, reassignment and the owner rule. docs/security.md.
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

struct Caller {
  const char* label;
  Role role;
  const char* subject;
  std::vector<std::string> territories;
  std::vector<std::string> branches;
};

struct Cell {
  const char* caller;
  const char* record;
  bool read;   // a fresh device pulling with this token receives the record
  bool write;  // a phone edit pushed with this token is stored
};

TEST_F(AuthTest, EveryRoleReadsAndWritesExactlyItsScope) {
  const std::map<std::string, Caller> callers = {
      {"rep li", {"rep li", Role::kRep, "li", {}, {}}},
      {"rep north", {"rep north", Role::kRep, "chen", {"north"}, {}}},
      {"manager hz", {"manager hz", Role::kManager, "mgr-hz", {}, {"hz"}}},
      {"manager sh", {"manager sh", Role::kManager, "mgr-sh", {}, {"sh"}}},
      {"replica sh", {"replica sh", Role::kReplica, "branch-sh", {}, {"sh"}}},
      {"admin", {"admin", Role::kAdmin, "root", {}, {}}},
  };
  // The expected outcome of every cell, written out.
  const std::vector<Cell> cells = {
      {"rep li", "north-li", true, true},         {"rep li", "south-wang", false, false},
      {"rep li", "north-zhou", false, false},     {"rep north", "north-li", true, true},
      {"rep north", "south-wang", false, false},  {"rep north", "north-zhou", true, true},
      {"manager hz", "north-li", true, true},     {"manager hz", "south-wang", false, false},
      {"manager hz", "north-zhou", false, false}, {"manager sh", "north-li", false, false},
      {"manager sh", "south-wang", true, true},   {"manager sh", "north-zhou", true, true},
      {"replica sh", "north-li", false, false},   {"replica sh", "south-wang", true, true},
      {"replica sh", "north-zhou", true, true},   {"admin", "north-li", true, true},
      {"admin", "south-wang", true, true},        {"admin", "north-zhou", true, true},
  };
  int n = 0;
  for (const Cell& cell : cells) {
    SCOPED_TRACE(std::string(cell.caller) + " / " + cell.record);
    const Caller& c = callers.at(cell.caller);
    const std::string token = Token(ClaimsFor(c.role, c.subject, c.territories, c.branches));
    const std::string& id = ids_.at(cell.record);

    // Read: a fresh device never receives an out-of-scope record, not even its id.
    auto reader = Device("reader-" + std::to_string(n));
    ASSERT_TRUE(reader);
    MustSyncAs(*reader, token);
    auto got = reader->Get(id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->has_value(), cell.read);

    // Write: a device holding the record (synced as admin) edits it and pushes with the token.
    auto writer = Device("writer-" + std::to_string(n++));
    ASSERT_TRUE(writer);
    MustSyncAs(*writer, AdminToken());
    const std::string phone = "+86 100 0000 " + std::to_string(1000 + n);
    testing::Apply(*writer, {Mutation::Set(id, "phone", phone)});
    SyncSummary pushed = MustSyncAs(*writer, token);
    EXPECT_EQ(pushed.rejected, cell.write ? 0u : 1u);
    if (!cell.write) {
      ASSERT_EQ(pushed.rejections.size(), 1u);
      EXPECT_EQ(pushed.rejections[0].record_id, id);
      EXPECT_EQ(pushed.rejections[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
    }
    const RecordView on_server = testing::View(
        *[&] {
          auto check = Device("check-" + std::to_string(n));
          MustSyncAs(*check, AdminToken());
          return check;
        }(),
        id);
    auto server_phone = on_server.values.find("phone");
    const bool stored = server_phone != on_server.values.end() &&
                        ValueToText(server_phone->second.displayed) == phone;
    EXPECT_EQ(stored, cell.write);
  }
}

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
