// Key files: GenerateHs256KeyFile, LoadSigningKey (both formats and every refusal), and
// AddVerificationKey.
#include "core/auth/signing_key.h"

#include <sys/stat.h>

#include <fstream>

#include "core/auth/token_issuer.h"
#include "gtest/gtest.h"
#include "tests/core/auth/test_keys.h"
#include "tests/temp_dir.h"

namespace rapport::auth {
namespace {

void WriteKeyFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

VerifierConfig ConfigFor(const SigningKey& key) {
  VerifierConfig config;
  config.issuer = "iss";
  config.audience = "aud";
  EXPECT_TRUE(AddVerificationKey(key, &config).ok());
  return config;
}

Claims SomeClaims() {
  Claims c;
  c.subject = "admin";
  c.role = Role::kAdmin;
  c.expires_at = absl::ToUnixSeconds(absl::Now()) + 600;
  c.issuer = "iss";
  c.audience = "aud";
  return c;
}

TEST(SigningKeyTest, GeneratedHs256KeyIsPrivateFreshAndLoadable) {
  testing::TempDir dir;
  const std::string path = dir.Sub("token.key");
  ASSERT_TRUE(GenerateHs256KeyFile(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto key = LoadSigningKey(path);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->algorithm, SigningKey::Algorithm::kHs256);
  EXPECT_EQ(key->hs256_secret.size(), 32u);

  EXPECT_EQ(GenerateHs256KeyFile(path).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(GenerateHs256KeyFile(dir.Sub("second.key")).ok());
  EXPECT_NE(LoadSigningKey(dir.Sub("second.key"))->hs256_secret, key->hs256_secret);

  // The embedded default: one key issues and verifies.
  auto verifier = TokenVerifier::Create(ConfigFor(*key));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto claims = verifier->Verify(IssueToken(*key, SomeClaims()).value());
  EXPECT_TRUE(claims.ok()) << claims.status();
}

TEST(SigningKeyTest, Base64SecretsInEitherAlphabetWithWhitespace) {
  testing::TempDir dir;
  // 33 bytes: "+" and "/" in the standard alphabet, wrapped over two lines like `openssl rand`.
  WriteKeyFile(dir.Sub("std.key"), "  +/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/\n+/+/+/+/\n");
  auto key = LoadSigningKey(dir.Sub("std.key"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->hs256_secret.size(), 33u);
  WriteKeyFile(dir.Sub("url.key"), "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_");
  auto url = LoadSigningKey(dir.Sub("url.key"));
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->hs256_secret, key->hs256_secret);
}

TEST(SigningKeyTest, RsaPrivateKeyPem) {
  testing::TempDir dir;
  auto files = testing::GenerateRsaKeyPair(dir.path());
  ASSERT_TRUE(files.ok()) << files.status();
  auto key = LoadSigningKey(files->private_key_pem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->algorithm, SigningKey::Algorithm::kRs256);
  auto verifier = TokenVerifier::Create(ConfigFor(*key));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_TRUE(verifier->Verify(IssueToken(*key, SomeClaims()).value()).ok());

  // A public key is not a signing key.
  ASSERT_EQ(chmod(files->public_key_pem.c_str(), 0600), 0);
  auto public_only = LoadSigningKey(files->public_key_pem);
  EXPECT_EQ(public_only.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(public_only.status().message().find(files->public_key_pem), std::string::npos);
}

TEST(SigningKeyTest, Refusals) {
  testing::TempDir dir;
  EXPECT_EQ(LoadSigningKey(dir.Sub("missing.key")).status().code(), absl::StatusCode::kNotFound);

  WriteKeyFile(dir.Sub("open.key"), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 0644);
  auto open = LoadSigningKey(dir.Sub("open.key"));
  EXPECT_EQ(open.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos) << open.status();

  WriteKeyFile(dir.Sub("short.key"), "c2hvcnQ=\n");
  auto short_key = LoadSigningKey(dir.Sub("short.key"));
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.status().message().find("at least 32"), std::string::npos);

  WriteKeyFile(dir.Sub("garbage.key"), "this is not a key!\n");
  EXPECT_EQ(LoadSigningKey(dir.Sub("garbage.key")).status().code(),
            absl::StatusCode::kInvalidArgument);

  WriteKeyFile(dir.Sub("bad.pem"),
               "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(LoadSigningKey(dir.Sub("bad.pem")).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport::auth
