// TLS: a client that trusts the server's CA syncs; one that trusts another CA, or speaks
// plaintext, fails with a clear error and moves nothing.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "rapport/sync.h"
#include "tests/core/auth/test_keys.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TlsTest : public testing::SyncTest {
 protected:
  void SetUp() override {
    const std::string dir = tmp_.Sub("tls");
    std::filesystem::create_directories(dir);
    auto files = testing::GenerateTlsFiles(dir);
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *files;
    server_options_.tls_cert_chain_pem = ReadFile(files_.server_cert);
    server_options_.tls_private_key_pem = ReadFile(files_.server_key);
    SyncTest::SetUp();
  }
  testing::TlsFiles files_;
};

TEST_F(TlsTest, ClientTrustingTheCaSyncsAndOthersFailClearly) {
  int64_t now = testing::kMonday9am;
  auto device = testing::OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  testing::Create(*device, "Chen Hardware");

  SyncOptions wrong_ca;
  wrong_ca.tls_root_ca_pem = ReadFile(files_.other_ca_cert);
  wrong_ca.deadline_ms = 5000;
  auto refused = SyncOnce(*device, address_, wrong_ca);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  // gRPC's message names the cause: "... Ssl handshake failed: ... certificate verify failed".
  EXPECT_NE(refused.status().message().find("certificate verify failed"), std::string::npos)
      << refused.status();

  SyncOptions plaintext;
  plaintext.deadline_ms = 5000;
  auto plain = SyncOnce(*device, address_, plaintext);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kUnavailable) << plain.status();
  auto stats = server_->store().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->records, 0u);  // nothing crossed

  SyncOptions right_ca;
  right_ca.tls_root_ca_pem = ReadFile(files_.ca_cert);
  auto synced = SyncOnce(*device, address_, right_ca);
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_EQ(synced->pushed, 1u);
}

TEST_F(TlsTest, PlaintextOnANonLoopbackAddressIsRefused) {
  server::ServerOptions options;
  options.listen = "0.0.0.0:0";
  options.data_dir = tmp_.Sub("open");
  options.auth.required = false;
  auto server = server::SyncServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(server.status().message().find("plaintext"), std::string::npos) << server.status();
}

}  // namespace
}  // namespace rapport
