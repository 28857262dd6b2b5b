// TokenVerifier and IssueToken: round trips with HS256 and RS256, and every refusal, each
// UNAUTHENTICATED with a message saying why.
#include "core/auth/token_verifier.h"

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/auth/jws.h"
#include "core/auth/signing_key.h"
#include "core/auth/token_issuer.h"
#include "core/string_view_compat.h"
#include "gtest/gtest.h"
#include "tests/core/auth/test_keys.h"
#include "tests/temp_dir.h"

namespace rapport::auth {
namespace {

using internal::Base64UrlEncode;
using internal::SignJws;

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15
constexpr char kIssuer[] = "rapport-head-office";
constexpr char kAudience[] = "rapportd";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
constexpr char kOtherSecret[] = "fedcba9876543210fedcba9876543210";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Claims RepClaims() {
  Claims c;
  c.subject = "li.na";
  c.role = Role::kRep;
  c.territories = {"north", "华东"};
  c.branches = {"b1"};
  c.expires_at = kNow + 3600;
  c.issuer = kIssuer;
  c.audience = kAudience;
  return c;
}

SigningKey Hs256(const char* secret = kSecret) {
  SigningKey key;
  key.algorithm = SigningKey::Algorithm::kHs256;
  key.hs256_secret = secret;
  return key;
}

// Two RSA key pairs, "ours" and another server's, made on first use (only the RS256 tests pay for
// key generation) and kept for the rest of the test binary.
class TokenVerifierTest : public ::testing::Test {
 protected:
  struct RsaKeys {
    testing::TempDir dir;
    testing::RsaKeyFiles ours, theirs;
  };
  static const RsaKeys& Keys() {
    static RsaKeys keys;  // destroyed at exit, which removes its directory
    static const bool generated = [] {
      auto ours = testing::GenerateRsaKeyPair(keys.dir.path(), "ours");
      auto theirs = testing::GenerateRsaKeyPair(keys.dir.path(), "theirs");
      EXPECT_TRUE(ours.ok()) << ours.status();
      EXPECT_TRUE(theirs.ok()) << theirs.status();
      keys.ours = ours.value_or(testing::RsaKeyFiles{});
      keys.theirs = theirs.value_or(testing::RsaKeyFiles{});
      return true;
    }();
    (void)generated;
    return keys;
  }
  static const testing::RsaKeyFiles& Ours() { return Keys().ours; }
  static const testing::RsaKeyFiles& Theirs() { return Keys().theirs; }

  static SigningKey Rs256(const testing::RsaKeyFiles& files) {
    auto key = LoadSigningKey(files.private_key_pem);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.value_or(SigningKey{});
  }

  static VerifierConfig Config() {
    VerifierConfig config;
    config.issuer = kIssuer;
    config.audience = kAudience;
    config.clock = [] { return absl::FromUnixSeconds(kNow); };
    return config;
  }
  static TokenVerifier Hs256Verifier() {
    VerifierConfig config = Config();
    config.hs256_secret = kSecret;
    return TokenVerifier::Create(config).value();
  }
  static TokenVerifier Rs256Verifier() {
    VerifierConfig config = Config();
    config.rs256_public_key_pem = ReadFile(Ours().public_key_pem);
    return TokenVerifier::Create(config).value();
  }

  // Expects UNAUTHENTICATED with `fragment` in the message.
  static void ExpectRefused(const TokenVerifier& verifier, std::string_view token,
                            std::string_view fragment) {
    const absl::StatusOr<Claims> claims = verifier.Verify(token);
    ASSERT_FALSE(claims.ok()) << "accepted: " << token;
    EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << claims.status();
    EXPECT_NE(std::string(claims.status().message()).find(fragment), std::string::npos)
        << "message: " << claims.status().message() << "\nexpected to contain: " << fragment;
  }

  static std::string Payload(std::string_view extra = "") {
    return absl::StrCat(R"({"iss":"rapport-head-office","aud":"rapportd","sub":"li.na",)",
                        R"("role":"rep","exp":1800003600)", AV(extra), "}");
  }
};

TEST_F(TokenVerifierTest, Hs256RoundTrip) {
  auto token = IssueToken(Hs256(), RepClaims());
  ASSERT_TRUE(token.ok()) << token.status();
  auto claims = Hs256Verifier().Verify(*token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(*claims, RepClaims());
  auto with_prefix = Hs256Verifier().Verify("Bearer " + *token);
  EXPECT_TRUE(with_prefix.ok()) << with_prefix.status();
}

TEST_F(TokenVerifierTest, Rs256RoundTripForEveryRole) {
  for (Role role : {Role::kRep, Role::kManager, Role::kAdmin, Role::kReplica}) {
    Claims claims = RepClaims();
    claims.role = role;
    auto token = IssueToken(Rs256(Ours()), claims);
    ASSERT_TRUE(token.ok()) << token.status();
    auto verified = Rs256Verifier().Verify(*token);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_EQ(*verified, claims);
  }
}

TEST_F(TokenVerifierTest, VerifierWithBothKeysAcceptsBoth) {
  VerifierConfig config = Config();
  config.hs256_secret = kSecret;
  config.rs256_public_key_pem = ReadFile(Ours().public_key_pem);
  const TokenVerifier verifier = TokenVerifier::Create(config).value();
  EXPECT_TRUE(verifier.Verify(IssueToken(Hs256(), RepClaims()).value()).ok());
  EXPECT_TRUE(verifier.Verify(IssueToken(Rs256(Ours()), RepClaims()).value()).ok());
}

TEST_F(TokenVerifierTest, MissingToken) {
  ExpectRefused(Hs256Verifier(), "", "missing bearer token");
  ExpectRefused(Hs256Verifier(), "Bearer ", "missing bearer token");
  ExpectRefused(Hs256Verifier(), "   ", "missing bearer token");
}

TEST_F(TokenVerifierTest, MalformedToken) {
  const TokenVerifier verifier = Hs256Verifier();
  ExpectRefused(verifier, "not-a-token", "malformed token: a token has 3 dot-separated parts");
  ExpectRefused(verifier, "a.b.c.d", "malformed token: a token has 3 dot-separated parts");
  ExpectRefused(verifier, "e30.e30.!!!", "malformed token: the token's signature is not");
  ExpectRefused(verifier, "eyJ=.e30.AA", "malformed token: the token's header is not");
  ExpectRefused(verifier, Base64UrlEncode("[1,2]") + ".e30.AA",
                "malformed token: the token's header is not a JSON object");
  ExpectRefused(verifier, Base64UrlEncode(R"({"typ":"JWT"})") + ".e30.AA", "no \"alg\"");
  ExpectRefused(verifier, std::string(kMaxTokenBytes + 1, 'a'), "the limit is 8192");
  // A signed payload that is not JSON: refused after the signature, as malformed claims.
  auto token = SignJws(Hs256(), R"({"alg":"HS256"})", "not json");
  ASSERT_TRUE(token.ok());
  ExpectRefused(verifier, *token, "malformed claims");
  auto bad_type = SignJws(Hs256(), R"({"alg":"HS256"})", Payload(R"(,"territories":"north")"));
  ExpectRefused(verifier, *bad_type, "claim \"territories\" must be an array of strings");
  auto fraction = SignJws(Hs256(), R"({"alg":"HS256"})", Payload(R"(,"nbf":1.5)"));
  ExpectRefused(verifier, *fraction, "claim \"nbf\" must be a whole number");
}

TEST_F(TokenVerifierTest, WrongSignature) {
  const TokenVerifier verifier = Hs256Verifier();
  ExpectRefused(verifier, IssueToken(Hs256(kOtherSecret), RepClaims()).value(), "wrong signature");
  // A payload altered after signing (role raised to admin) keeps the old signature.
  const std::string token = IssueToken(Hs256(), RepClaims()).value();
  Claims admin = RepClaims();
  admin.role = Role::kAdmin;
  const std::string forged_body = IssueToken(Hs256(kOtherSecret), admin).value();
  const std::string forged =
      forged_body.substr(0, forged_body.rfind('.')) + token.substr(token.rfind('.'));
  ExpectRefused(verifier, forged, "wrong signature");
  ExpectRefused(verifier, token.substr(0, token.rfind('.') + 1), "wrong signature");
}

TEST_F(TokenVerifierTest, SignedWithAnotherServersKey) {
  ExpectRefused(Rs256Verifier(), IssueToken(Rs256(Theirs()), RepClaims()).value(),
                "wrong signature: the token was not signed with this server's RS256 key");
}

TEST_F(TokenVerifierTest, AlgNoneIsNeverAccepted) {
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string token = Base64UrlEncode(std::string(R"({"alg":")") + alg + R"("})") + "." +
                              Base64UrlEncode(Payload()) + ".";
    ExpectRefused(Hs256Verifier(), token, "unsigned tokens (alg \"none\") are never accepted");
    ExpectRefused(Rs256Verifier(), token, "unsigned tokens (alg \"none\") are never accepted");
  }
}

// The classic confusion: the attacker knows the server's RSA public key (it is public) and signs
// an HS256 token using the PEM text as the HMAC secret. A verifier holding only the RSA key must
// not let the token's header pick HMAC.
TEST_F(TokenVerifierTest, Hs256WithThePublicKeyAsSecretIsRefused) {
  Claims admin = RepClaims();
  admin.role = Role::kAdmin;
  const std::string forged =
      IssueToken(Hs256(ReadFile(Ours().public_key_pem).c_str()), admin).value();
  ExpectRefused(Rs256Verifier(), forged,
                "algorithm \"HS256\" is not accepted; this server "
                "accepts RS256");
}

TEST_F(TokenVerifierTest, OtherAlgorithmsAreRefused) {
  auto token = SignJws(Hs256(), R"({"alg":"HS512","typ":"JWT"})", Payload());
  ExpectRefused(Hs256Verifier(), *token, "algorithm \"HS512\" is not accepted");
  auto rs_as_hs = SignJws(Hs256(), R"({"alg":"RS256"})", Payload());
  ExpectRefused(Hs256Verifier(), *rs_as_hs, "algorithm \"RS256\" is not accepted");
  auto crit = SignJws(Hs256(), R"({"alg":"HS256","crit":["exp"]})", Payload());
  ExpectRefused(Hs256Verifier(), *crit, "\"crit\"");
}

TEST_F(TokenVerifierTest, Expiry) {
  Claims claims = RepClaims();
  claims.expires_at = kNow - 61;  // past the 60 s leeway
  ExpectRefused(Hs256Verifier(), IssueToken(Hs256(), claims).value(),
                "token expired at 2027-01-15T07:58:59Z");
  claims.expires_at = kNow - 30;  // within the leeway
  EXPECT_TRUE(Hs256Verifier().Verify(IssueToken(Hs256(), claims).value()).ok());
  auto no_exp =
      SignJws(Hs256(), R"({"alg":"HS256"})",
              R"({"iss":"rapport-head-office","aud":"rapportd","sub":"li","role":"rep"})");
  ExpectRefused(Hs256Verifier(), *no_exp, "no expiry");
}

TEST_F(TokenVerifierTest, NotYetValid) {
  auto early = SignJws(Hs256(), R"({"alg":"HS256"})", Payload(R"(,"nbf":1800000120)"));
  ExpectRefused(Hs256Verifier(), *early, "token not yet valid: valid from 2027-01-15T08:02:00Z");
  auto within_leeway = SignJws(Hs256(), R"({"alg":"HS256"})", Payload(R"(,"nbf":1800000030)"));
  EXPECT_TRUE(Hs256Verifier().Verify(*within_leeway).ok());
}

TEST_F(TokenVerifierTest, WrongIssuer) {
  Claims claims = RepClaims();
  claims.issuer = "someone-else";
  ExpectRefused(Hs256Verifier(), IssueToken(Hs256(), claims).value(),
                "wrong issuer \"someone-else\"");
}

TEST_F(TokenVerifierTest, WrongAudience) {
  Claims claims = RepClaims();
  claims.audience = "another-service";
  ExpectRefused(Hs256Verifier(), IssueToken(Hs256(), claims).value(),
                "wrong audience: the token is for \"another-service\", not \"rapportd\"");
  // `aud` may be an array (RFC 7519); ours must be in it.
  auto several = SignJws(Hs256(), R"({"alg":"HS256"})",
                         R"({"iss":"rapport-head-office","aud":["x","rapportd"],"sub":"li",)"
                         R"("role":"rep","exp":1800003600})");
  EXPECT_TRUE(Hs256Verifier().Verify(*several).ok());
}

TEST_F(TokenVerifierTest, MissingSubjectOrRoleAndUnknownRole) {
  const std::string head = R"({"alg":"HS256"})";
  const std::string base = R"({"iss":"rapport-head-office","aud":"rapportd","exp":1800003600)";
  ExpectRefused(Hs256Verifier(), SignJws(Hs256(), head, base + R"(,"role":"rep"})").value(),
                "no subject");
  ExpectRefused(Hs256Verifier(), SignJws(Hs256(), head, base + R"(,"sub":"li"})").value(),
                "no role");
  ExpectRefused(Hs256Verifier(),
                SignJws(Hs256(), head, base + R"(,"sub":"li","role":"superuser"})").value(),
                "unknown role \"superuser\"");
  ExpectRefused(Hs256Verifier(),
                SignJws(Hs256(), head, base + R"(,"sub":"li","role":"Admin"})").value(),
                "unknown role \"Admin\"");
}

TEST_F(TokenVerifierTest, ConfigErrors) {
  VerifierConfig config = Config();
  EXPECT_EQ(TokenVerifier::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.hs256_secret = "short";
  EXPECT_EQ(TokenVerifier::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.hs256_secret = "";
  config.rs256_public_key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  auto bad_pem = TokenVerifier::Create(config);
  EXPECT_EQ(bad_pem.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_pem.status().message().find("PUBLIC KEY"), std::string::npos);
  config = Config();
  config.hs256_secret = kSecret;
  config.issuer = "";
  EXPECT_EQ(TokenVerifier::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenVerifierTest, ConcurrentVerifyOnOneVerifier) {
  const TokenVerifier verifier = Rs256Verifier();
  const std::string good = IssueToken(Rs256(Ours()), RepClaims()).value();
  const std::string bad = IssueToken(Rs256(Theirs()), RepClaims()).value();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!verifier.Verify(good).ok() || verifier.Verify(bad).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(TokenVerifierTest, IssueTokenRefusesIncompleteClaims) {
  Claims claims = RepClaims();
  claims.subject = "";
  EXPECT_EQ(IssueToken(Hs256(), claims).status().code(), absl::StatusCode::kInvalidArgument);
  claims = RepClaims();
  claims.expires_at = 0;
  EXPECT_EQ(IssueToken(Hs256(), claims).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueToken(Hs256("short"), RepClaims()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rapport::auth
