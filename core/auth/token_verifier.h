// Verifies bearer tokens: compact JWS (JWT) signed with HS256 or RS256, and turns a valid one
// into Claims. Format and claims: docs/security.md "Tokens".
//
// The algorithm is chosen by the configuration, never by the token: a token is accepted only
// with an algorithm for which the config holds a key (HS256 needs hs256_secret, RS256 needs
// rs256_public_key_pem). "none", any other algorithm, and HS256 when only an RSA key is
// configured (the classic confusion where the public key is used as an HMAC secret) are refused.
//
// Thread safety: a TokenVerifier is immutable after Create; any number of threads may call
// Verify on one instance (or on copies, which share the parsed key) without synchronization,
// provided `clock` is itself safe to call concurrently (absl::Now is).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/auth/claims.h"

namespace rapport::auth {

struct VerifierConfig {
  std::string hs256_secret;          // raw bytes (>= 32); empty: HS256 tokens are refused
  std::string rs256_public_key_pem;  // PEM "PUBLIC KEY"; empty: RS256 tokens are refused
  std::string issuer;                // required: `iss` must equal it
  std::string audience;              // required: `aud` must be or contain it
  std::function<absl::Time()> clock = absl::Now;  // for tests
  absl::Duration leeway = absl::Seconds(60);      // clock skew allowed on `exp` and `nbf`
};

// Tokens longer than this are refused before any parsing (bounds the work of a hostile caller).
inline constexpr size_t kMaxTokenBytes = 8192;

class TokenVerifier {
 public:
  // InvalidArgument if the config has no key, an HS256 secret shorter than 32 bytes, a public key
  // that is not a PEM RSA key of 2048 bits or more, an empty issuer or audience, or no clock.
  static absl::StatusOr<TokenVerifier> Create(VerifierConfig config);

  // The claims of a valid token. `bearer_token` is the token, optionally prefixed "Bearer " as in
  // an `authorization` header. Every refusal is Unauthenticated with a message saying what is
  // wrong (missing, malformed, algorithm, signature, expired, not yet valid, issuer, audience,
  // subject, role) and never echoing the token itself.
  absl::StatusOr<Claims> Verify(std::string_view bearer_token) const;

 private:
  struct Keys;
  TokenVerifier(VerifierConfig config, std::shared_ptr<const Keys> keys);

  VerifierConfig config_;
  std::shared_ptr<const Keys> keys_;
};

}  // namespace rapport::auth
