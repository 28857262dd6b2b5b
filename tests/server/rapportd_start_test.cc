// rapportd's start-up (server/rapportd_start.h): the embedded default's key and admin token are
// written at the first start that serves and reused afterwards; a refused start writes nothing;
// plaintext on a non-loopback address when the config allows it; key_file with public_key_file.
#include "server/rapportd_start.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/auth/signing_key.h"
#include "core/auth/token_issuer.h"
#include "core/auth/token_verifier.h"
#include "gtest/gtest.h"
#include "rapport/sync.h"
#include "server/server_auth.h"
#include "server/server_config.h"
#include "tests/core/auth/test_keys.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

auth::Claims AdminClaims() {
  return auth::Claims{.subject = "ops",
                      .role = auth::Role::kAdmin,
                      .territories = {},
                      .branches = {},
                      .expires_at = absl::ToUnixSeconds(absl::Now()) + 600,
                      .issuer = server::kDefaultIssuer,
                      .audience = server::kDefaultAudience};
}

class RapportdStartTest : public ::testing::Test {
 protected:
  server::ServerOptions Options(const std::string& listen = "127.0.0.1:0") {
    server::ServerOptions options;
    options.listen = listen;
    options.data_dir = data_dir_;
    return options;
  }
  // A session with `token` against `address`: the server accepts the token or not.
  absl::Status SyncWith(const std::string& address, const std::string& token) {
    auto device = testing::OpenAt(tmp_.Sub("device-" + std::to_string(devices_++)), &now_);
    if (!device) return absl::InternalError("cannot open a device");
    SyncOptions options;
    options.token = token;
    options.deadline_ms = 10000;
    return SyncOnce(*device, address, options).status();
  }

  testing::TempDir tmp_;
  const std::string data_dir_ = tmp_.Sub("data");
  const std::string key_file_ = tmp_.Sub("data/auth.key");
  const std::string token_file_ = tmp_.Sub("data/admin.token");
  int64_t now_ = testing::kMonday9am;
  int devices_ = 0;
};

TEST_F(RapportdStartTest, EmbeddedDefaultWritesKeyAndAdminTokenAtFirstStartAndReusesThem) {
  auto first = server::StartRapportd(Options());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->new_admin_token.has_value());
  const std::string token = *first->new_admin_token;
  EXPECT_EQ(ModeOf(key_file_), 0600u);
  EXPECT_EQ(ModeOf(token_file_), 0600u);
  EXPECT_EQ(ReadFile(token_file_), token + "\n");
  const std::string key_text = ReadFile(key_file_);
  EXPECT_TRUE(SyncWith(first->server->address(), token).ok());

  // Short-lived like every admin token: valid now, expired a day from now.
  auto key = auth::LoadSigningKey(key_file_);
  ASSERT_TRUE(key.ok()) << key.status();
  auth::VerifierConfig config;
  config.issuer = server::kDefaultIssuer;
  config.audience = server::kDefaultAudience;
  ASSERT_TRUE(auth::AddVerificationKey(*key, &config).ok());
  config.leeway = absl::ZeroDuration();
  config.clock = [] { return absl::Now() + server::kFirstStartAdminTokenLifetime; };
  auto in_a_day = auth::TokenVerifier::Create(config);
  ASSERT_TRUE(in_a_day.ok()) << in_a_day.status();
  EXPECT_EQ(in_a_day->Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
  config.clock = [] { return absl::Now() + absl::Hours(23); };
  EXPECT_TRUE(auth::TokenVerifier::Create(config)->Verify(token).ok());

  first->server.reset();
  auto second = server::StartRapportd(Options());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->new_admin_token.has_value());
  EXPECT_EQ(ReadFile(key_file_), key_text);
  EXPECT_EQ(ReadFile(token_file_), token + "\n");
  EXPECT_TRUE(SyncWith(second->server->address(), token).ok());
}

TEST_F(RapportdStartTest, RefusedStartWritesNoKeyAndNoToken) {
  auto refused = server::StartRapportd(Options("0.0.0.0:0"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("plaintext"), std::string::npos) << refused.status();
  EXPECT_FALSE(std::filesystem::exists(key_file_));
  EXPECT_FALSE(std::filesystem::exists(token_file_));

  // So the next start that serves is still a first start, and its token is the one that works.
  auto started = server::StartRapportd(Options());
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(started->new_admin_token.has_value());
  EXPECT_TRUE(SyncWith(started->server->address(), *started->new_admin_token).ok());
}

TEST_F(RapportdStartTest, PlaintextOnANonLoopbackAddressWhenTheConfigAllowsIt) {
  server::ServerOptions options = Options();
  ASSERT_TRUE(server::ApplyConfigText("listen: \"0.0.0.0:0\"\nallow_plaintext_non_loopback: true\n",
                                      "test.conf", &options)
                  .ok());
  auto started = server::StartRapportd(options);
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(started->server->address().rfind("0.0.0.0:", 0), 0u) << started->server->address();
  ASSERT_TRUE(started->new_admin_token.has_value());
  const std::string loopback = "127.0.0.1:" + std::to_string(started->server->port());
  EXPECT_TRUE(SyncWith(loopback, *started->new_admin_token).ok());
  // Tokens are still required there.
  EXPECT_EQ(SyncWith(loopback, "").code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(RapportdStartTest, Hs256KeyFileAndRs256PublicKeyFileAreBothAccepted) {
  std::filesystem::create_directories(tmp_.Sub("keys"));
  auto rsa = testing::GenerateRsaKeyPair(tmp_.Sub("keys"));
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  const std::string hs256_file = tmp_.Sub("keys/hs256.key");
  ASSERT_TRUE(auth::GenerateHs256KeyFile(hs256_file).ok());
  server::ServerOptions options = Options();
  options.auth_files.key_file = hs256_file;
  options.auth_files.public_key_file = rsa->public_key_pem;
  auto started = server::StartRapportd(options);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_FALSE(started->new_admin_token.has_value());
  EXPECT_FALSE(std::filesystem::exists(key_file_));

  auto hs256 = auth::LoadSigningKey(hs256_file);
  auto rs256 = auth::LoadSigningKey(rsa->private_key_pem);
  ASSERT_TRUE(hs256.ok() && rs256.ok());
  for (const auth::SigningKey* key : {&*hs256, &*rs256}) {
    auto token = auth::IssueToken(*key, AdminClaims());
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_TRUE(SyncWith(started->server->address(), *token).ok());
  }
}

TEST_F(RapportdStartTest, Rs256KeyFileWithAPublicKeyFileIsRefusedClearly) {
  std::filesystem::create_directories(tmp_.Sub("keys"));
  auto signing = testing::GenerateRsaKeyPair(tmp_.Sub("keys"), "signing");
  auto other = testing::GenerateRsaKeyPair(tmp_.Sub("keys"), "other");
  ASSERT_TRUE(signing.ok() && other.ok());
  server::ServerOptions options = Options();
  options.auth_files.key_file = signing->private_key_pem;
  options.auth_files.public_key_file = other->public_key_pem;
  auto started = server::StartRapportd(options);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& part :
       {signing->private_key_pem, other->public_key_pem, std::string("one RS256 key")}) {
    EXPECT_NE(started.status().message().find(part), std::string::npos) << started.status();
  }
  EXPECT_FALSE(std::filesystem::exists(data_dir_));
}

}  // namespace
}  // namespace rapport
