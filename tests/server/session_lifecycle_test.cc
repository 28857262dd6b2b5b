// The server side of one session's life: a client that pushes without reading cannot grow the
// server's queue without bound, and a session that ends by cancellation is logged as cancelled,
// not as a success. docs/protocol.md ("Session", "Threads").
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "server/session_reactor.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

// The session_end lines the server logged. The sink shares the lines with this object rather
// than pointing at it: the fixture's members die before the base fixture's server, whose
// shutdown still logs the sessions it ends (a line written into a destroyed vector was a leak
// under ASan).
class LoggedEnds {
 public:
  server::LogSink Sink() {
    return [lines = lines_](std::string_view line) {
      absl::MutexLock lock(&lines->mu);
      if (line.find("session_end") != std::string_view::npos) lines->ends.emplace_back(line);
    };
  }
  // Waits (bounded) for the first session_end line.
  std::string First() {
    absl::MutexLock lock(&lines_->mu);
    lines_->mu.AwaitWithTimeout(
        absl::Condition(
            +[](std::vector<std::string>* ends) { return !ends->empty(); }, &lines_->ends),
        absl::Seconds(20));
    return lines_->ends.empty() ? "" : lines_->ends.front();
  }

 private:
  struct Lines {
    absl::Mutex mu;
    std::vector<std::string> ends ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<Lines> lines_ = std::make_shared<Lines>();
};

class SessionLifecycleTest : public testing::SyncTest {
 protected:
  void SetUp() override {
    server_options_.session_log_sink = logged_.Sink();
    SyncTest::SetUp();
  }

  struct RawSession {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<rapport::v1::Sync::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReaderWriter<ClientMessage, ServerMessage>> stream;
  };
  // A session that has said Hello and read the Welcome.
  std::unique_ptr<RawSession> Open() {
    auto s = std::make_unique<RawSession>();
    s->channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
    s->stub = rapport::v1::Sync::NewStub(s->channel);
    s->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    s->stream = s->stub->Session(&s->context);
    ClientMessage hello;
    hello.mutable_hello()->set_replica_id("00000000000000aa");
    hello.mutable_hello()->set_protocol_version(server::kProtocolVersion);
    EXPECT_TRUE(s->stream->Write(hello));
    ServerMessage welcome;
    EXPECT_TRUE(s->stream->Read(&welcome));
    EXPECT_TRUE(welcome.has_welcome());
    return s;
  }
  uint64_t PushesHandled() const { return server_->metrics().Snapshot().push_batches; }

  LoggedEnds logged_;
};

TEST_F(SessionLifecycleTest, ClientThatPushesWithoutReadingIsNotReadFurther) {
  auto session = Open();
  // Pushes whose PushAcks are large (one rejection per delta without an id, ~40 bytes each):
  // far more than HTTP/2 flow control lets reach a client that does not read.
  constexpr int kPushes = 200;
  constexpr int kDeltasPerPush = 1500;
  std::thread writer([&] {
    for (int i = 1; i <= kPushes; ++i) {
      ClientMessage push;
      push.mutable_push()->set_batch_id(i);
      for (int d = 0; d < kDeltasPerPush; ++d) push.mutable_push()->add_deltas();
      if (!session->stream->Write(push)) return;
    }
  });
  // Once the acks no longer drain, the server stops reading: the count of pushes it handled
  // stops growing, far below what the client sent. (Each sample waits out a short window:
  // an observation, not synchronisation.)
  uint64_t handled = 0;
  const absl::Time limit = absl::Now() + absl::Seconds(30);
  for (;;) {
    absl::SleepFor(absl::Milliseconds(300));
    const uint64_t now = PushesHandled();
    if ((now == handled && now > 0) || absl::Now() > limit) break;
    handled = now;
  }
  EXPECT_LT(handled, uint64_t{kPushes / 2});
  // Reading the acks lets it go on, to the last push, each acknowledged in order.
  int64_t next_ack = 1;
  ServerMessage message;
  while (next_ack <= kPushes && session->stream->Read(&message)) {
    if (!message.has_push_ack()) continue;
    EXPECT_EQ(message.push_ack().batch_id(), next_ack);
    EXPECT_EQ(message.push_ack().rejections_size(), kDeltasPerPush);
    ++next_ack;
  }
  writer.join();
  EXPECT_EQ(next_ack, kPushes + 1);
  EXPECT_EQ(PushesHandled(), uint64_t{kPushes});
}

TEST_F(SessionLifecycleTest, CancelledSessionIsLoggedAsCancelled) {
  auto session = Open();
  session->context.TryCancel();
  const std::string end = logged_.First();
  EXPECT_TRUE(absl::StrContains(end, "CANCELLED")) << end;
  EXPECT_FALSE(absl::StrContains(end, "status=OK")) << end;
}

}  // namespace
}  // namespace rapport
