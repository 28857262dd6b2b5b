// A server that asks for tokens, and tokens for every role, for the security tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "core/auth/token_issuer.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/client-lib/client_test_util.h"

namespace rapport::testing {

class AuthServerTest : public ::testing::Test {
 protected:
  static constexpr char kIssuer[] = "rapport-test";
  static constexpr char kAudience[] = "rapport";

  void SetUp() override { StartServer(); }

  virtual void Configure(server::ServerOptions& options) {}

  void StartServer() {
    server::ServerOptions options;
    options.data_dir = tmp_.Sub("server");
    options.auth.verifier.hs256_secret = key_.hs256_secret;
    options.auth.verifier.issuer = kIssuer;
    options.auth.verifier.audience = kAudience;
    Configure(options);
    auto server = server::SyncServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = server_->address();
  }

  static auth::Claims ClaimsFor(auth::Role role, const std::string& subject,
                                std::vector<std::string> territories = {},
                                std::vector<std::string> branches = {}) {
    return auth::Claims{.subject = subject,
                        .role = role,
                        .territories = std::move(territories),
                        .branches = std::move(branches),
                        .expires_at = absl::ToUnixSeconds(absl::Now()) + 3600,
                        .issuer = kIssuer,
                        .audience = kAudience};
  }
  std::string Token(const auth::Claims& claims) const { return TokenSignedWith(key_, claims); }
  static std::string TokenSignedWith(const auth::SigningKey& key, const auth::Claims& claims) {
    auto token = auth::IssueToken(key, claims);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }
  std::string AdminToken() const { return Token(ClaimsFor(auth::Role::kAdmin, "admin")); }

  absl::StatusOr<SyncSummary> SyncAs(Replica& r, const std::string& token) {
    SyncOptions options;
    options.token = token;
    return SyncOnce(r, address_, options);
  }
  SyncSummary MustSyncAs(Replica& r, const std::string& token) {
    auto summary = SyncAs(r, token);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : SyncSummary{};
  }
  std::unique_ptr<Replica> Device(const std::string& name) { return OpenAt(tmp_.Sub(name), &now_); }

  TempDir tmp_;
  int64_t now_ = kMonday9am;
  const auth::SigningKey key_{.algorithm = auth::SigningKey::Algorithm::kHs256,
                              .hs256_secret = std::string(32, 's'),
                              .rs256_private_key_pem = ""};
  std::unique_ptr<server::SyncServer> server_;
  std::string address_;
};

}  // namespace rapport::testing
