// The SessionGate's per-subject session cap: a subject may hold max_sessions_per_subject open
// sync sessions; one more is RESOURCE_EXHAUSTED with a message naming the subject, other
// subjects are unaffected, and a closed session gives its slot back. docs/security.md.
#include "server/session_gate.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "tests/server/auth_test_util.h"

namespace rapport {
namespace {

using auth::Role;
using rapport::v1::ClientMessage;
using rapport::v1::ServerMessage;

// One raw live Sync session: Hello sent, first answer read. Stays open until Close or
// destruction.
class OpenSession {
 public:
  OpenSession(const std::string& address, const std::string& token, const std::string& replica)
      : stub_(rapport::v1::Sync::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.AddMetadata("authorization", "Bearer " + token);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream_ = stub_->Session(&context_);
    ClientMessage hello;
    hello.mutable_hello()->set_replica_id(replica);
    hello.mutable_hello()->set_protocol_version(server::kProtocolVersion);
    hello.mutable_hello()->set_live(true);
    stream_->Write(hello);  // fails if the server already refused the session
    ServerMessage first;
    admitted_ = stream_->Read(&first);
    if (!admitted_) status_ = stream_->Finish();
  }
  ~OpenSession() { Close(); }

  bool admitted() const { return admitted_; }
  const grpc::Status& status() const { return status_; }

  void Close() {
    if (!admitted_ || closed_) return;
    closed_ = true;
    context_.TryCancel();
    ServerMessage ignored;
    while (stream_->Read(&ignored)) {
    }
    stream_->Finish();
  }

 private:
  std::unique_ptr<rapport::v1::Sync::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<ClientMessage, ServerMessage>> stream_;
  bool admitted_ = false;
  bool closed_ = false;
  grpc::Status status_;
};

class SessionGateTest : public testing::AuthServerTest {
 protected:
  void Configure(server::ServerOptions& options) override {
    options.auth.max_sessions_per_subject = 2;
  }
};

TEST_F(SessionGateTest, SubjectPastItsSessionCapIsResourceExhaustedUntilOneCloses) {
  const std::string li = Token(ClaimsFor(Role::kRep, "li"));
  auto first = std::make_unique<OpenSession>(address_, li, "00000000000000a1");
  OpenSession second(address_, li, "00000000000000a2");
  ASSERT_TRUE(first->admitted());
  ASSERT_TRUE(second.admitted());

  // The same subject from a third replica: refused, saying why.
  OpenSession third(address_, li, "00000000000000a3");
  ASSERT_FALSE(third.admitted());
  EXPECT_EQ(third.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << third.status().error_message();
  EXPECT_NE(third.status().error_message().find("subject 'li' already has 2 sessions open"),
            std::string::npos)
      << third.status().error_message();

  // Another subject is not affected.
  OpenSession wang(address_, Token(ClaimsFor(Role::kRep, "wang")), "00000000000000b1");
  EXPECT_TRUE(wang.admitted()) << wang.status().error_message();

  // Closing a session gives its slot back (once the server has seen it end).
  first.reset();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool readmitted = false;
  while (!readmitted && absl::Now() < deadline) {
    OpenSession again(address_, li, "00000000000000a4");
    readmitted = again.admitted();
    if (!readmitted) {
      ASSERT_EQ(again.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << again.status().error_message();
    }
  }
  EXPECT_TRUE(readmitted);
}

}  // namespace
}  // namespace rapport
