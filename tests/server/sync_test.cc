// Client and server in one process: SyncServer on an OS-chosen loopback port, Replicas in
// temporary directories, SyncOnce between them.
#include "rapport/sync.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "server/sync_server.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::Apply;
using testing::Create;
using ::testing::HasSubstr;
using testing::kMonday9am;
using testing::OpenAt;
using testing::SameView;
using testing::SyncTest;
using testing::TempDir;
using ::testing::UnorderedElementsAre;
using testing::View;

// A Session stream driven by hand, for tests that speak the protocol directly.
class RawSession {
 public:
  explicit RawSession(const std::string& address)
      : stub_(rapport::v1::Sync::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream_ = stub_->Session(&context_);
  }
  grpc::ClientReaderWriter<rapport::v1::ClientMessage, rapport::v1::ServerMessage>* operator->() {
    return stream_.get();
  }

  // A protocol-1 Hello from a fixed replica id.
  static rapport::v1::ClientMessage Hello() {
    rapport::v1::ClientMessage hello;
    hello.mutable_hello()->set_replica_id("00000000000000aa");
    hello.mutable_hello()->set_protocol_version(server::kProtocolVersion);
    return hello;
  }

 private:
  std::unique_ptr<rapport::v1::Sync::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<rapport::v1::ClientMessage, rapport::v1::ServerMessage>>
      stream_;
};

// Three devices edit overlapping customers offline (values, points, tags, visits), then sync
// in one of the six orders (each device once, then the first two again to hear from the third).
// Every order ends with identical records everywhere and exactly the expected conflicts.
class SyncOrderTest : public SyncTest, public ::testing::WithParamInterface<std::array<int, 3>> {};

std::string OrderName(const ::testing::TestParamInfo<std::array<int, 3>>& info) {
  std::string name;
  for (int device : info.param) name += static_cast<char>('A' + device);
  return name;
}

// The displayed value and the conflicts of `field`, as text.
std::vector<std::string> ValueAndConflicts(const RecordView& v, const std::string& field) {
  const ValueView& value = v.values.at(field);
  std::vector<std::string> out = {ValueToText(value.displayed)};
  for (const Value& c : value.conflicts) out.push_back(ValueToText(c));
  return out;
}

TEST_P(SyncOrderTest, ThreeOfflineReplicasConvergeInEveryOrder) {
  int64_t now_a = kMonday9am, now_b = kMonday9am + 5, now_c = kMonday9am + 9;
  auto a = OpenAt(tmp_.Sub("a"), &now_a);
  auto b = OpenAt(tmp_.Sub("b"), &now_b);
  auto c = OpenAt(tmp_.Sub("c"), &now_c);
  ASSERT_TRUE(a && b && c);

  // A creates two customers and shares them; then everyone goes offline.
  const std::string shop = Create(*a, "Chen Hardware");
  const std::string mill = Create(*a, "Lina Rice Mill");
  Sync(*a);
  Sync(*b);
  Sync(*c);
  ASSERT_TRUE(b->Get(shop).ok() && b->Get(shop)->has_value());
  ASSERT_TRUE(c->Get(mill).ok() && c->Get(mill)->has_value());

  // Offline, concurrently, a minute later on each clock (so B writes after A, C after both):
  // the same phone on A and B, the same city on A and C, points on all three, the same tag on
  // A and C, visits on A and B.
  now_a += 60000;
  now_b += 60000;
  now_c += 60000;
  Apply(*a, {Mutation::Set(shop, "phone", std::string("+86 138 0000 0001")),
             Mutation::Increment(shop, "loyalty_points", 100),
             Mutation::AddElement(shop, "tags", "vip"),
             Mutation::AppendEntry(
                 shop, "interactions", Timestamp{now_a},
                 {{"kind", EnumValue{"visit"}}, {"summary", std::string("Visit by A")}}),
             Mutation::Set(mill, "city", std::string("Suzhou")),
             Mutation::AddElement(mill, "tags", "rice")});
  Apply(*b, {Mutation::Set(shop, "phone", std::string("+86 139 0000 0002")),
             Mutation::Increment(shop, "loyalty_points", 25),
             Mutation::AddElement(shop, "tags", "wholesale"),
             Mutation::AppendEntry(
                 shop, "interactions", Timestamp{now_b},
                 {{"kind", EnumValue{"visit"}}, {"summary", std::string("Visit by B")}}),
             Mutation::Increment(mill, "loyalty_points", 7)});
  Apply(*c,
        {Mutation::Increment(shop, "loyalty_points", -5), Mutation::AddElement(shop, "tags", "vip"),
         Mutation::Set(mill, "city", std::string("Hangzhou"))});
  const std::string new_c = Create(*c, "Wang Tea House");

  Replica* devices[] = {a.get(), b.get(), c.get()};
  const std::array<int, 3> order = GetParam();
  for (int device : order) Sync(*devices[device]);
  Sync(*devices[order[0]]);
  Sync(*devices[order[1]]);

  // Identical records everywhere, the server included.
  const std::vector<std::string> archive = testing::Archive(server_->store());
  ASSERT_EQ(archive.size(), 3u);
  for (Replica* device : devices) {
    EXPECT_TRUE(testing::Archive(ReplicaInternal::Store(*device)) == archive);
  }

  // Counters summed, tags and visits all there, and exactly the expected conflicts: the later
  // write displayed (by clock), the earlier one kept beside it.
  RecordView v = View(*c, shop);
  EXPECT_EQ(v.counters.at("loyalty_points"), 120);
  EXPECT_THAT(v.sets.at("tags"), UnorderedElementsAre("vip", "wholesale"));
  std::vector<std::string> visits;
  for (const EntryView& e : v.timelines.at("interactions")) {
    visits.push_back(ValueToText(e.fields.at("summary").displayed));
  }
  EXPECT_THAT(visits, ::testing::ElementsAre("Visit by A", "Visit by B"));  // by occurred_at
  EXPECT_THAT(ValueAndConflicts(v, "phone"),
              ::testing::ElementsAre("+86 139 0000 0002", "+86 138 0000 0001"));
  EXPECT_THAT(ValueAndConflicts(v, "name"), ::testing::ElementsAre("Chen Hardware"));

  RecordView m = View(*a, mill);
  EXPECT_THAT(ValueAndConflicts(m, "city"), ::testing::ElementsAre("Hangzhou", "Suzhou"));
  EXPECT_EQ(m.counters.at("loyalty_points"), 7);
  EXPECT_THAT(m.sets.at("tags"), UnorderedElementsAre("rice"));
  EXPECT_FALSE(m.timelines.contains("interactions"));
  EXPECT_THAT(ValueAndConflicts(View(*b, new_c), "name"), ::testing::ElementsAre("Wang Tea House"));
}

INSTANTIATE_TEST_SUITE_P(Orders, SyncOrderTest,
                         ::testing::Values(std::array<int, 3>{0, 1, 2}, std::array<int, 3>{0, 2, 1},
                                           std::array<int, 3>{1, 0, 2}, std::array<int, 3>{1, 2, 0},
                                           std::array<int, 3>{2, 0, 1},
                                           std::array<int, 3>{2, 1, 0}),
                         OrderName);

TEST_F(SyncTest, SecondSyncWithoutChangesMovesNothing) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  ASSERT_TRUE(a);
  for (int i = 0; i < 5; ++i) Create(*a, "Customer " + std::to_string(i));
  SyncSummary first = Sync(*a);
  EXPECT_EQ(first.pushed, 5u);
  EXPECT_GE(first.bytes, 1u);
  EXPECT_EQ(first.pulled, 0u);  // its own changes are not echoed back

  SyncSummary second = Sync(*a);
  EXPECT_EQ(second.pushed, 0u);
  EXPECT_EQ(second.pulled, 0u);
  EXPECT_EQ(second.rejected, 0u);

  // A fresh replica pulls all five (in several bounded batches) and then nothing.
  auto b = OpenAt(tmp_.Sub("b"), &now);
  SyncSummary fresh = Sync(*b);
  EXPECT_EQ(fresh.pulled, 5u);
  EXPECT_EQ(fresh.pulled_changed, 5u);
  EXPECT_EQ(Sync(*b).pulled, 0u);
}

TEST_F(SyncTest, InvalidDeltaIsRejectedAndTheRestStored) {
  // A raw client: a delta whose phone breaks the schema's pattern, and a valid one.
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  const std::string good = Create(*a, "Good Co");
  const std::string bad = Create(*a, "Bad Co");
  Apply(*a, {Mutation::Set(bad, "phone", std::string("+86 138 0000 0009"))});
  auto changes = ReplicaInternal::ChangesSince(*a, 0);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->deltas.size(), 2u);

  rapport::v1::ClientMessage push;
  push.mutable_push()->set_batch_id(7);
  for (const crdt::Record& delta : changes->deltas) {
    rapport::v1::RecordState* state = push.mutable_push()->add_deltas();
    crdt::RecordToProto(delta, state);
    if (delta.id().ToString() == bad) {
      // Corrupt the phone on the wire: find the string and replace it with letters.
      std::string bytes = state->SerializeAsString();
      const std::string from = "+86 138 0000 0009";
      size_t at = bytes.find(from);
      ASSERT_NE(at, std::string::npos);
      bytes.replace(at, from.size(), "not a phone!!!!!!");
      ASSERT_TRUE(state->ParseFromString(bytes));
    }
  }

  RawSession stream(address_);
  ASSERT_TRUE(stream->Write(RawSession::Hello()));
  ASSERT_TRUE(stream->Write(push));
  ASSERT_TRUE(stream->WritesDone());
  rapport::v1::ServerMessage in;
  std::optional<rapport::v1::PushAck> ack;
  for (int i = 0; i < 100 && stream->Read(&in); ++i) {
    if (in.has_push_ack()) ack = in.push_ack();
  }
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->batch_id(), 7u);
  ASSERT_EQ(ack->rejections_size(), 1);
  EXPECT_EQ(ack->rejections(0).record_id(), bad);
  EXPECT_EQ(ack->rejections(0).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ack->rejections(0).message(), HasSubstr("phone"));

  auto stored_bad = server_->store().Get(*crdt::RecordId::Parse(bad));
  ASSERT_TRUE(stored_bad.ok());
  EXPECT_FALSE(stored_bad->has_value());
  auto stored_good = server_->store().Get(*crdt::RecordId::Parse(good));
  ASSERT_TRUE(stored_good.ok());
  EXPECT_TRUE(stored_good->has_value());
}

// Regression (server/pushed_records.cc, PushedRecords::Remember, found by BranchCrashTest and
// the soak's divergence): when one session pushed the same record twice, the record kept the
// first push's `before` seq, so a change another writer made between the two pushes passed for
// the client's own echo and was never pulled to it; the client's checkpoint then moved past it
// for good. This raw session makes the race deterministic (a held-back CaughtUp).
TEST_F(SyncTest, AnotherWritersChangeBetweenTwoPushesOfOneSessionIsPulled) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  auto b = OpenAt(tmp_.Sub("b"), &now);
  ASSERT_TRUE(a && b);
  const std::string shop = Create(*a, "Chen Hardware");
  auto created = ReplicaInternal::ChangesSince(*a, 0);
  ASSERT_TRUE(created.ok()) << created.status();

  // A's session: Hello (CaughtUp held back until PushDone), then the first push of the shop.
  RawSession stream(address_);
  rapport::v1::ClientMessage hello = RawSession::Hello();
  hello.mutable_hello()->set_announces_push_done(true);
  ASSERT_TRUE(stream->Write(hello));
  auto push = [&](uint64_t batch, const std::vector<crdt::Record>& deltas) {
    rapport::v1::ClientMessage message;
    message.mutable_push()->set_batch_id(batch);
    for (const crdt::Record& d : deltas) {
      crdt::RecordToProto(d, message.mutable_push()->add_deltas());
    }
    ASSERT_TRUE(stream->Write(message));
    rapport::v1::ServerMessage in;
    for (int i = 0; i < 10 && stream->Read(&in); ++i) {
      if (in.has_push_ack()) {
        EXPECT_EQ(in.push_ack().batch_id(), batch);
        return;
      }
    }
    FAIL() << "no PushAck for batch " << batch;
  };
  ASSERT_NO_FATAL_FAILURE(push(1, created->deltas));

  // Another writer: B pulls the shop and logs a visit, which the server commits.
  Sync(*b);
  Apply(*b, {Mutation::AppendEntry(
                shop, "interactions", Timestamp{now},
                {{"kind", EnumValue{"visit"}}, {"summary", std::string("Visit by B")}})});
  Sync(*b);

  // A edits the shop again and pushes it a second time in the same session, then ends its round.
  Apply(*a, {Mutation::Set(shop, "city", std::string("Hangzhou"))});
  auto edited = ReplicaInternal::ChangesSince(*a, created->last_seq);
  ASSERT_TRUE(edited.ok()) << edited.status();
  ASSERT_NO_FATAL_FAILURE(push(2, edited->deltas));
  rapport::v1::ClientMessage done;
  done.mutable_push_done();
  ASSERT_TRUE(stream->Write(done));
  std::vector<crdt::Record> pulled;
  rapport::v1::ServerMessage in;
  bool caught_up = false;
  for (int i = 0; i < 100 && !caught_up && stream->Read(&in); ++i) {
    caught_up = in.has_caught_up();
    for (const rapport::v1::RecordState& state : in.pull().deltas()) {
      auto delta = crdt::RecordFromProto(state);
      ASSERT_TRUE(delta.ok()) << delta.status();
      pulled.push_back(*std::move(delta));
    }
  }
  ASSERT_TRUE(caught_up);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // What A pulled in the session must bring B's visit: nothing later will.
  ASSERT_TRUE(ReplicaInternal::ApplyRemoteDeltas(*a, pulled).ok());
  const RecordView v = View(*a, shop);
  ASSERT_TRUE(v.timelines.contains("interactions")) << "B's visit was never pulled";
  ASSERT_EQ(v.timelines.at("interactions").size(), 1u);
  EXPECT_EQ(ValueToText(v.timelines.at("interactions")[0].fields.at("summary").displayed),
            "Visit by B");
}

TEST_F(SyncTest, UnsupportedProtocolVersionIsRefused) {
  RawSession stream(address_);
  rapport::v1::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(3);
  stream->Write(hello);
  stream->WritesDone();
  rapport::v1::ServerMessage in;
  for (int i = 0; i < 10 && stream->Read(&in); ++i) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("version 3"));
  EXPECT_THAT(status.error_message(), HasSubstr("version 2"));
}

}  // namespace
}  // namespace rapport
