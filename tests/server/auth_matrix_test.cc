// The authorisation matrix of issue 5: every RPC (Sync — pull is a read, the push of an edit and
// of a new record are writes; Admin — GetStats, ListPeers, GetRecord, EraseRecord) × every role ×
// an in-scope and an out-of-scope record, with the expected outcome of each cell written in the
// table. Rep and manager tokens are HS256, replica and admin tokens RS256: the server holds both
// keys, as during a switch of algorithms. docs/security.md "Roles and scope".
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "tests/core/auth/test_keys.h"
#include "tests/server/auth_test_util.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using auth::Role;

enum class Rpc {
  kSyncPull,        // read: a fresh device syncs with the token
  kSyncPushEdit,    // write: a device holding the record edits its phone, pushes with the token
  kSyncPushCreate,  // write: a device creates a customer placed as the target, pushes
  kGetStats,
  kListPeers,
  kGetRecord,
  kEraseRecord,  // on a fresh customer placed like the target
};

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kSyncPull:
      return "Sync pull";
    case Rpc::kSyncPushEdit:
      return "Sync push edit";
    case Rpc::kSyncPushCreate:
      return "Sync push create";
    case Rpc::kGetStats:
      return "GetStats";
    case Rpc::kListPeers:
      return "ListPeers";
    case Rpc::kGetRecord:
      return "GetRecord";
    case Rpc::kEraseRecord:
      return "EraseRecord";
  }
  return "?";
}

enum class Outcome {
  kReceived,  // pull: the record reaches the device
  kWithheld,  // pull: neither the record nor its id reaches the device
  kStored,    // push: acknowledged without rejection, and the server has the change
  kRefused,   // push: PERMISSION_DENIED in the PushAck, naming the record; nothing of it stored
  kServed,    // Admin: OK, with the call's effect
  kDenied,    // Admin: PERMISSION_DENIED, without effect
};

enum class Key { kHs256, kRs256 };

struct Caller {
  Role role;
  std::string subject;
  std::vector<std::string> territories, branches;
  Key key;
};

// Where a customer is: its owner, territory and branch (unset: absent).
struct Placement {
  std::optional<std::string> owner, territory, branch;
};

struct Cell {
  std::string caller;
  Rpc rpc;
  std::string target;  // a placement below; "" for GetStats and ListPeers
  Outcome expected;
};

const std::map<std::string, Caller>& Callers() {
  static const std::map<std::string, Caller> callers = {
      {"rep li", {Role::kRep, "li", {}, {}, Key::kHs256}},
      {"rep north", {Role::kRep, "chen", {"north"}, {}, Key::kHs256}},
      {"manager hz", {Role::kManager, "mgr-hz", {}, {"hz"}, Key::kHs256}},
      {"replica sh", {Role::kReplica, "branch-sh", {}, {"sh"}, Key::kRs256}},
      {"admin", {Role::kAdmin, "root", {}, {}, Key::kRs256}},
  };
  return callers;
}

// The three seeded customers, and placements for new ones.
const std::map<std::string, Placement>& Placements() {
  static const std::map<std::string, Placement> placements = {
      {"north-li", {"li", "north", "hz"}},
      {"south-wang", {"wang", "south", "sh"}},
      {"north-zhou", {"zhou", "north", "sh"}},
      {"owned by li", {"li", std::nullopt, std::nullopt}},
      {"owned by wang", {"wang", std::nullopt, std::nullopt}},
      {"in north", {std::nullopt, "north", std::nullopt}},
      {"in hz", {std::nullopt, std::nullopt, "hz"}},
      {"in sh", {std::nullopt, std::nullopt, "sh"}},
  };
  return placements;
}

constexpr Rpc kPull = Rpc::kSyncPull, kEdit = Rpc::kSyncPushEdit, kCreate = Rpc::kSyncPushCreate,
              kStats = Rpc::kGetStats, kPeers = Rpc::kListPeers, kGet = Rpc::kGetRecord,
              kErase = Rpc::kEraseRecord;
constexpr Outcome kReceived = Outcome::kReceived, kWithheld = Outcome::kWithheld,
                  kStored = Outcome::kStored, kRefused = Outcome::kRefused,
                  kServed = Outcome::kServed, kDenied = Outcome::kDenied;

// Every cell, expected outcome written out. "In scope" first, then "out of scope", per RPC.
const std::vector<Cell>& Cells() {
  static const std::vector<Cell> cells = {
      // rep li: records it owns.
      {"rep li", kPull, "north-li", kReceived},
      {"rep li", kPull, "south-wang", kWithheld},
      {"rep li", kEdit, "north-li", kStored},
      {"rep li", kEdit, "south-wang", kRefused},
      {"rep li", kCreate, "owned by li", kStored},
      {"rep li", kCreate, "owned by wang", kRefused},
      {"rep li", kStats, "", kDenied},
      {"rep li", kPeers, "", kDenied},
      {"rep li", kGet, "north-li", kDenied},
      {"rep li", kGet, "south-wang", kDenied},
      {"rep li", kErase, "north-li", kDenied},
      {"rep li", kErase, "south-wang", kDenied},
      // rep north: records of its territory, whoever owns them.
      {"rep north", kPull, "north-zhou", kReceived},
      {"rep north", kPull, "south-wang", kWithheld},
      {"rep north", kEdit, "north-zhou", kStored},
      {"rep north", kEdit, "south-wang", kRefused},
      {"rep north", kCreate, "in north", kStored},
      {"rep north", kCreate, "in hz", kRefused},
      {"rep north", kStats, "", kDenied},
      {"rep north", kPeers, "", kDenied},
      {"rep north", kGet, "north-zhou", kDenied},
      {"rep north", kGet, "south-wang", kDenied},
      {"rep north", kErase, "north-zhou", kDenied},
      {"rep north", kErase, "south-wang", kDenied},
      // manager hz: records of branch hz.
      {"manager hz", kPull, "north-li", kReceived},
      {"manager hz", kPull, "north-zhou", kWithheld},
      {"manager hz", kEdit, "north-li", kStored},
      {"manager hz", kEdit, "north-zhou", kRefused},
      {"manager hz", kCreate, "in hz", kStored},
      {"manager hz", kCreate, "in sh", kRefused},
      {"manager hz", kStats, "", kDenied},
      {"manager hz", kPeers, "", kDenied},
      {"manager hz", kGet, "north-li", kDenied},
      {"manager hz", kGet, "north-zhou", kDenied},
      {"manager hz", kErase, "north-li", kDenied},
      {"manager hz", kErase, "north-zhou", kDenied},
      // replica sh (RS256): records of branch sh.
      {"replica sh", kPull, "south-wang", kReceived},
      {"replica sh", kPull, "north-li", kWithheld},
      {"replica sh", kEdit, "north-zhou", kStored},
      {"replica sh", kEdit, "north-li", kRefused},
      {"replica sh", kCreate, "in sh", kStored},
      {"replica sh", kCreate, "in hz", kRefused},
      {"replica sh", kStats, "", kDenied},
      {"replica sh", kPeers, "", kDenied},
      {"replica sh", kGet, "south-wang", kDenied},
      {"replica sh", kGet, "north-li", kDenied},
      {"replica sh", kErase, "south-wang", kDenied},
      {"replica sh", kErase, "north-li", kDenied},
      // admin (RS256): every record, so no out-of-scope cell; and the Admin RPCs.
      {"admin", kPull, "north-li", kReceived},
      {"admin", kPull, "south-wang", kReceived},
      {"admin", kEdit, "south-wang", kStored},
      {"admin", kCreate, "owned by wang", kStored},
      {"admin", kStats, "", kServed},
      {"admin", kPeers, "", kServed},
      {"admin", kGet, "north-zhou", kServed},
      {"admin", kErase, "south-wang", kServed},
  };
  return cells;
}

class AuthMatrixTest : public testing::AuthServerTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(tmp_.Sub("keys"));
    auto rsa = testing::GenerateRsaKeyPair(tmp_.Sub("keys"));
    ASSERT_TRUE(rsa.ok()) << rsa.status();
    auto key = auth::LoadSigningKey(rsa->private_key_pem);
    ASSERT_TRUE(key.ok()) << key.status();
    rs256_ = *key;
    AuthServerTest::SetUp();
    office_ = Device("office");
    ASSERT_TRUE(office_);
    for (const char* seeded : {"north-li", "south-wang", "north-zhou"}) {
      seeded_[seeded] = CreateAt(*office_, seeded);
    }
    MustSyncAs(*office_, AdminToken());
  }
  void Configure(server::ServerOptions& options) override {
    ASSERT_TRUE(auth::AddVerificationKey(rs256_, &options.auth.verifier).ok());
  }

  std::string TokenOf(const Caller& c) const {
    return TokenSignedWith(c.key == Key::kHs256 ? key_ : rs256_,
                           ClaimsFor(c.role, c.subject, c.territories, c.branches));
  }
  static std::string CreateAt(Replica& device, const std::string& placement) {
    const Placement& p = Placements().at(placement);
    std::vector<FieldValue> fields = {{"name", placement}};
    if (p.owner) fields.push_back({"owner", *p.owner});
    if (p.territory) fields.push_back({"territory", *p.territory});
    if (p.branch) fields.push_back({"branch", *p.branch});
    auto made = device.Apply({Mutation::Create("customer", std::move(fields))});
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? made->created.at(0) : "";
  }
  std::unique_ptr<Replica> NextDevice() { return Device("device-" + std::to_string(devices_++)); }
  std::unique_ptr<rapport::v1::Admin::Stub> AdminStub(grpc::ClientContext& context,
                                                      const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return rapport::v1::Admin::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  bool ErasedOnServer(const std::string& id) {
    auto record = server_->store().Get(*crdt::RecordId::Parse(id));
    return record.ok() && record->has_value() && (*record)->erased();
  }

  void Check(const Cell& cell);
  void CheckPush(const SyncSummary& pushed, const std::string& id, Outcome expected);

  auth::SigningKey rs256_;
  std::unique_ptr<Replica> office_;  // admin's device: seeds and copies records
  std::map<std::string, std::string> seeded_;
  int devices_ = 0;
};

void AuthMatrixTest::CheckPush(const SyncSummary& pushed, const std::string& id, Outcome expected) {
  if (expected == kStored) {
    EXPECT_EQ(pushed.rejected, 0u);
    return;
  }
  ASSERT_EQ(pushed.rejections.size(), 1u);
  EXPECT_EQ(pushed.rejections[0].record_id, id);
  EXPECT_EQ(pushed.rejections[0].code, static_cast<int>(absl::StatusCode::kPermissionDenied));
}

void ExpectAdminOutcome(const grpc::Status& status, Outcome expected) {
  ASSERT_TRUE(expected == kServed || expected == kDenied);
  EXPECT_EQ(status.error_code(),
            expected == kServed ? grpc::StatusCode::OK : grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();
}

void AuthMatrixTest::Check(const Cell& cell) {
  const std::string token = TokenOf(Callers().at(cell.caller));
  const auto seeded = seeded_.find(cell.target);
  const std::string id = seeded == seeded_.end() ? "" : seeded->second;
  switch (cell.rpc) {
    case Rpc::kSyncPull: {
      ASSERT_TRUE(cell.expected == kReceived || cell.expected == kWithheld);
      auto device = NextDevice();
      ASSERT_TRUE(device);
      MustSyncAs(*device, token);
      EXPECT_EQ(device->Get(id)->has_value(), cell.expected == kReceived);
      return;
    }
    case Rpc::kSyncPushEdit: {
      ASSERT_TRUE(cell.expected == kStored || cell.expected == kRefused);
      auto device = NextDevice();
      ASSERT_TRUE(device);
      MustSyncAs(*device, AdminToken());  // holds every record
      const std::string before = testing::Encoded(server_->store(), id);
      testing::Apply(*device, {Mutation::Set(id, "phone", "+86 100 " + std::to_string(devices_))});
      CheckPush(MustSyncAs(*device, token), id, cell.expected);
      EXPECT_EQ(testing::Encoded(server_->store(), id) != before, cell.expected == kStored);
      return;
    }
    case Rpc::kSyncPushCreate: {
      ASSERT_TRUE(cell.expected == kStored || cell.expected == kRefused);
      auto device = NextDevice();
      ASSERT_TRUE(device);
      const std::string created = CreateAt(*device, cell.target);
      CheckPush(MustSyncAs(*device, token), created, cell.expected);
      EXPECT_EQ(!testing::Encoded(server_->store(), created).empty(), cell.expected == kStored);
      return;
    }
    case Rpc::kGetStats: {
      grpc::ClientContext context;
      rapport::v1::GetStatsReply reply;
      const grpc::Status status = AdminStub(context, token)->GetStats(&context, {}, &reply);
      ExpectAdminOutcome(status, cell.expected);
      EXPECT_EQ(reply.records() >= 3, cell.expected == kServed);
      return;
    }
    case Rpc::kListPeers: {
      grpc::ClientContext context;
      rapport::v1::ListPeersReply reply;
      const grpc::Status status = AdminStub(context, token)->ListPeers(&context, {}, &reply);
      ExpectAdminOutcome(status, cell.expected);
      EXPECT_EQ(reply.peers_size() > 0, cell.expected == kServed);
      return;
    }
    case Rpc::kGetRecord: {
      grpc::ClientContext context;
      rapport::v1::GetRecordRequest request;
      request.set_record_id(id);
      rapport::v1::GetRecordReply reply;
      const grpc::Status status = AdminStub(context, token)->GetRecord(&context, request, &reply);
      ExpectAdminOutcome(status, cell.expected);
      EXPECT_EQ(reply.has_record(), cell.expected == kServed);
      return;
    }
    case Rpc::kEraseRecord: {
      // A fresh customer placed like the target, so the seeded ones stay for the other cells.
      const std::string copy = CreateAt(*office_, cell.target);
      MustSyncAs(*office_, AdminToken());
      grpc::ClientContext context;
      rapport::v1::EraseRecordRequest request;
      request.set_record_id(copy);
      rapport::v1::EraseRecordReply reply;
      const grpc::Status status = AdminStub(context, token)->EraseRecord(&context, request, &reply);
      ExpectAdminOutcome(status, cell.expected);
      EXPECT_EQ(ErasedOnServer(copy), cell.expected == kServed);
      return;
    }
  }
}

TEST_F(AuthMatrixTest, EveryRpcRoleAndScopeHasItsWrittenOutcome) {
  // The table is complete: every caller meets every RPC; a non-admin meets each RPC that names
  // a record with one in its scope and one out of it (admin has no out of scope).
  std::map<std::string, std::map<Rpc, int>> cells_of;
  for (const Cell& cell : Cells()) ++cells_of[cell.caller][cell.rpc];
  for (const auto& [name, caller] : Callers()) {
    for (Rpc rpc : {kPull, kEdit, kCreate, kStats, kPeers, kGet, kErase}) {
      const bool names_a_record = rpc != kStats && rpc != kPeers;
      const int expected = names_a_record && caller.role != Role::kAdmin ? 2 : 1;
      EXPECT_GE(cells_of[name][rpc], expected) << name << " / " << RpcName(rpc);
    }
  }

  for (const Cell& cell : Cells()) {
    SCOPED_TRACE(cell.caller + " / " + RpcName(cell.rpc) + " / " + cell.target);
    Check(cell);
  }
}

}  // namespace
}  // namespace rapport
