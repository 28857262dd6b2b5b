// Hostile or broken input: bytes that are not a ClientMessage and messages over the size limit
// are refused with a code and a message, and what was stored before stays intact.
#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/sync.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

// Sends `raw` as the only request message of a Session call and returns the call's status.
grpc::Status SendRawBytes(const std::string& address, const std::string& raw) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, "/rapport.v1.Sync/Session", &cq);
  auto step = [&](int tag) {
    void* got = nullptr;
    bool ok = false;
    return cq.Next(&got, &ok) && got == reinterpret_cast<void*>(tag) && ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(raw);
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  // Drain: the server may answer before finishing; the Finish tag comes last.
  for (;;) {
    void* got = nullptr;
    bool ok = false;
    if (!cq.Next(&got, &ok) || got == reinterpret_cast<void*>(4)) break;
  }
  cq.Shutdown();
  void* got = nullptr;
  bool ok = false;
  while (cq.Next(&got, &ok)) {
  }
  return status;
}

class HostileInputTest : public testing::SyncTest {};

TEST_F(HostileInputTest, BytesThatAreNotAClientMessageAreRefusedAndEarlierWorkStays) {
  int64_t now = testing::kMonday9am;
  auto device = testing::OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  const std::string id = testing::Create(*device, "Chen Hardware");
  Sync(*device);
  const std::string before = testing::Encoded(server_->store(), id);
  ASSERT_FALSE(before.empty());

  // A length-delimited field claiming more bytes than follow: no protobuf parser accepts it.
  const grpc::Status status = SendRawBytes(address_, std::string("\x0a\xff\xff\x03garbage", 11));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_NE(status.error_message().find("not a rapport.v1.ClientMessage"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(testing::Encoded(server_->store(), id), before);
  // The server still serves.
  EXPECT_EQ(Sync(*device).rejected, 0u);
}

TEST_F(HostileInputTest, OversizeMessageIsResourceExhaustedAndEarlierWorkStays) {
  int64_t now = testing::kMonday9am;
  auto device = testing::OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  const std::string id = testing::Create(*device, "Chen Hardware");
  Sync(*device);

  ClientMessage hello;
  hello.mutable_hello()->set_replica_id("00000000000000bb");
  hello.mutable_hello()->set_protocol_version(server::kProtocolVersion);
  ClientMessage push;
  push.mutable_push()->set_batch_id(1);
  push.mutable_push()->add_deltas()->set_type(std::string(5 << 20, 'x'));  // over 4 MiB
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  auto stub = rapport::v1::Sync::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Session(&context);
  ASSERT_TRUE(stream->Write(hello));
  stream->Write(push);  // may fail once the server resets the stream
  stream->WritesDone();
  ServerMessage in;
  while (stream->Read(&in)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_FALSE(status.error_message().empty());
  EXPECT_FALSE(testing::Encoded(server_->store(), id).empty());
  EXPECT_EQ(Sync(*device).rejected, 0u);
}

// A client that pings an idle connection every 100 ms (HTTP/2 ping flood, the lever of several
// DoS bugs in gRPC 1.51): the server allows one ping per 4 s without data and, after two strikes,
// sends GOAWAY "too_many_pings" and closes the connection, ending the session long before the
// call's own deadline. Other clients are unaffected.
TEST_F(HostileInputTest, ClientPingingTooOftenIsDisconnected) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 100);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // no client-side brake
  args.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, 100);
  auto channel = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
  auto stub = rapport::v1::Sync::NewStub(channel);
  grpc::ClientContext context;
  const auto started = std::chrono::steady_clock::now();
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Session(&context);
  ClientMessage hello;
  hello.mutable_hello()->set_replica_id("00000000000000cc");
  hello.mutable_hello()->set_protocol_version(server::kProtocolVersion);
  hello.mutable_hello()->set_live(true);  // stays open and idle once caught up
  ASSERT_TRUE(stream->Write(hello));
  ServerMessage in;
  while (stream->Read(&in)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));

  int64_t now = testing::kMonday9am;
  auto device = testing::OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  testing::Create(*device, "Chen Hardware");
  EXPECT_EQ(Sync(*device).pushed, 1u);
}

// Schema-invalid values: SyncTest.InvalidDeltaIsRejectedAndTheRestStored (sync_test.cc).

}  // namespace
}  // namespace rapport
