// Client and server in one process: SyncServer on an OS-chosen loopback port, Replicas in
// temporary directories, SyncOnce between them.
#include "rapport/sync.h"

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

TEST_F(SyncTest, ThreeOfflineReplicasConverge) {
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

  // Offline, concurrently: the same phone field on two devices, counters, tags, visits.
  now_a += 60000;
  now_b += 60000;
  now_c += 60000;
  Apply(*a, {Mutation::Set(shop, "phone", std::string("+86 138 0000 0001")),
             Mutation::Increment(shop, "loyalty_points", 100),
             Mutation::AddElement(shop, "tags", "vip"),
             Mutation::AppendEntry(
                 shop, "interactions", Timestamp{now_a},
                 {{"kind", EnumValue{"visit"}}, {"summary", std::string("Visit by A")}})});
  Apply(*b, {Mutation::Set(shop, "phone", std::string("+86 139 0000 0002")),
             Mutation::Increment(shop, "loyalty_points", 25),
             Mutation::AddElement(shop, "tags", "wholesale"),
             Mutation::AppendEntry(
                 shop, "interactions", Timestamp{now_b},
                 {{"kind", EnumValue{"visit"}}, {"summary", std::string("Visit by B")}})});
  Apply(*c, {Mutation::Increment(shop, "loyalty_points", -5),
             Mutation::Set(mill, "city", std::string("Hangzhou"))});
  const std::string new_c = Create(*c, "Wang Tea House");

  Sync(*a);
  Sync(*b);
  Sync(*c);
  Sync(*a);
  Sync(*b);

  for (const std::string& id : {shop, mill, new_c}) {
    RecordView va = View(*a, id), vb = View(*b, id), vc = View(*c, id);
    EXPECT_TRUE(SameView(va, vb)) << id;
    EXPECT_TRUE(SameView(va, vc)) << id;
  }
  RecordView v = View(*c, shop);
  EXPECT_EQ(v.counters.at("loyalty_points"), 120);
  EXPECT_THAT(v.sets.at("tags"), UnorderedElementsAre("vip", "wholesale"));
  ASSERT_EQ(v.timelines.at("interactions").size(), 2u);
  std::vector<std::string> summaries;
  for (const EntryView& e : v.timelines.at("interactions")) {
    summaries.push_back(ValueToText(e.fields.at("summary").displayed));
  }
  EXPECT_THAT(summaries, UnorderedElementsAre("Visit by A", "Visit by B"));
  const ValueView& phone = v.values.at("phone");
  ASSERT_EQ(phone.conflicts.size(), 1u);
  std::vector<std::string> phones = {ValueToText(phone.displayed), ValueToText(phone.conflicts[0])};
  EXPECT_THAT(phones, UnorderedElementsAre("+86 138 0000 0001", "+86 139 0000 0002"));
  EXPECT_EQ(ValueToText(View(*a, mill).values.at("city").displayed), "Hangzhou");
  EXPECT_EQ(ValueToText(View(*b, new_c).values.at("name").displayed), "Wang Tea House");

  // The server holds the same merged state.
  auto on_server = server_->store().Get(*crdt::RecordId::Parse(shop));
  ASSERT_TRUE(on_server.ok() && on_server->has_value());
  auto on_c = ReplicaInternal::Store(*c).Get(*crdt::RecordId::Parse(shop));
  ASSERT_TRUE(on_c.ok() && on_c->has_value());
  EXPECT_EQ(crdt::EncodeRecord(**on_server), crdt::EncodeRecord(**on_c));
}

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

  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  auto stub = rapport::v1::Sync::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Session(&context);
  rapport::v1::ClientMessage hello;
  hello.mutable_hello()->set_replica_id("00000000000000aa");
  hello.mutable_hello()->set_protocol_version(1);
  ASSERT_TRUE(stream->Write(hello));
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

TEST_F(SyncTest, UnsupportedProtocolVersionIsRefused) {
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  auto stub = rapport::v1::Sync::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Session(&context);
  rapport::v1::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(2);
  stream->Write(hello);
  stream->WritesDone();
  rapport::v1::ServerMessage in;
  for (int i = 0; i < 10 && stream->Read(&in); ++i) {
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("version 2"));
  EXPECT_THAT(status.error_message(), HasSubstr("version 1"));
}

}  // namespace
}  // namespace rapport
