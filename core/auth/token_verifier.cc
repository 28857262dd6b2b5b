#include "core/auth/token_verifier.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/auth/claims_json.h"
#include "core/auth/jws.h"
#include "core/auth/openssl_crypto.h"
#include "core/auth/signing_key.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::auth {

struct TokenVerifier::Keys {
  std::string hs256_secret;    // empty: HS256 not accepted
  internal::EvpPkeyPtr rs256;  // null: RS256 not accepted
};

namespace {

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid bearer token: ", AV(why)));
}

std::string FormatUnix(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

}  // namespace

TokenVerifier::TokenVerifier(VerifierConfig config, std::shared_ptr<const Keys> keys)
    : config_(std::move(config)), keys_(std::move(keys)) {}

absl::StatusOr<TokenVerifier> TokenVerifier::Create(VerifierConfig config) {
  if (config.hs256_secret.empty() && config.rs256_public_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "token verifier: no key configured; set an HS256 secret, an RS256 public key, or both");
  }
  if (!config.hs256_secret.empty() && config.hs256_secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("token verifier: the HS256 secret is ",
                                                   config.hs256_secret.size(), " bytes; at least ",
                                                   kMinHs256SecretBytes, " are required"));
  }
  if (config.issuer.empty() || config.audience.empty()) {
    return absl::InvalidArgumentError(
        "token verifier: the expected issuer and audience must both be set; a token is only "
        "accepted by the servers it was issued for");
  }
  if (!config.clock) return absl::InvalidArgumentError("token verifier: no clock");
  auto keys = std::make_shared<Keys>();
  keys->hs256_secret = config.hs256_secret;
  if (!config.rs256_public_key_pem.empty()) {
    auto key = internal::ParseRsaPublicKeyPem(config.rs256_public_key_pem);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("token verifier: ", key.status().message()));
    }
    keys->rs256 = *std::move(key);
  }
  return TokenVerifier(std::move(config), std::move(keys));
}

absl::StatusOr<Claims> TokenVerifier::Verify(std::string_view bearer_token) const {
  absl::string_view token = absl::StripAsciiWhitespace(AV(bearer_token));
  // The scheme alone ("Bearer", its trailing space already stripped) carries no token.
  if (absl::EqualsIgnoreCase(token, "Bearer")) token = {};
  if (token.size() >= 7 && absl::EqualsIgnoreCase(token.substr(0, 7), "Bearer ")) {
    token = absl::StripLeadingAsciiWhitespace(token.substr(7));
  }
  if (token.empty()) return Unauthenticated("missing bearer token");
  if (token.size() > kMaxTokenBytes) {
    return Unauthenticated(
        absl::StrCat("malformed token: ", token.size(), " bytes; the limit is ", kMaxTokenBytes));
  }

  // 1. Framing and header. Nothing of the payload is trusted before the signature is checked.
  auto jws = internal::SplitCompactJws(std::string_view(token.data(), token.size()));
  if (!jws.ok()) return Unauthenticated(absl::StrCat("malformed token: ", jws.status().message()));
  auto alg = internal::ParseHeaderAlg(jws->header_json);
  if (!alg.ok()) return Unauthenticated(absl::StrCat("malformed token: ", alg.status().message()));

  // 2. Algorithm: pinned by which keys the config holds, never by the token.
  std::vector<std::string> accepted;
  if (!keys_->hs256_secret.empty()) accepted.push_back("HS256");
  if (keys_->rs256 != nullptr) accepted.push_back("RS256");
  const std::string accepted_text = absl::StrJoin(accepted, ", ");
  bool signature_ok = false;
  if (*alg == "HS256" && !keys_->hs256_secret.empty()) {
    auto mac = internal::HmacSha256(keys_->hs256_secret, jws->signing_input);
    if (!mac.ok()) return mac.status();
    signature_ok = internal::MacEquals(*mac, jws->signature);
  } else if (*alg == "RS256" && keys_->rs256 != nullptr) {
    signature_ok =
        internal::RsaSha256Verify(keys_->rs256.get(), jws->signing_input, jws->signature);
  } else if (absl::EqualsIgnoreCase(*alg, "none")) {
    return Unauthenticated(absl::StrCat("unsigned tokens (alg \"none\") are never accepted; ",
                                        "this server accepts ", accepted_text));
  } else {
    return Unauthenticated(absl::StrCat("algorithm \"", absl::CEscape(alg->substr(0, 16)),
                                        "\" is not accepted; this server accepts ", accepted_text));
  }
  if (!signature_ok) {
    return Unauthenticated(
        absl::StrCat("wrong signature: the token was not signed with this server's ", *alg,
                     " key (issued by another server, altered, or signed with a rotated-out key)"));
  }

  // 3. Claims, now that they are authentic.
  auto received = internal::ParsePayload(jws->payload_json);
  if (!received.ok()) {
    return Unauthenticated(absl::StrCat("malformed claims: ", received.status().message()));
  }
  const int64_t now = absl::ToUnixSeconds(config_.clock());
  const int64_t leeway = absl::ToInt64Seconds(config_.leeway);
  if (!received->expires_at) return Unauthenticated("the token has no expiry (\"exp\")");
  if (now >= *received->expires_at + leeway) {
    return Unauthenticated(absl::StrCat("token expired at ", FormatUnix(*received->expires_at),
                                        " (now ", FormatUnix(now), ", leeway ", leeway,
                                        " s); ask for a new token"));
  }
  if (received->not_before && now + leeway < *received->not_before) {
    return Unauthenticated(absl::StrCat("token not yet valid: valid from ",
                                        FormatUnix(*received->not_before), " (now ",
                                        FormatUnix(now), ", leeway ", leeway, " s)"));
  }
  if (received->issuer != config_.issuer) {
    return Unauthenticated(absl::StrCat("wrong issuer \"", absl::CEscape(received->issuer),
                                        "\"; this server accepts tokens of \"", config_.issuer,
                                        "\""));
  }
  if (std::find(received->audiences.begin(), received->audiences.end(), config_.audience) ==
      received->audiences.end()) {
    return Unauthenticated(absl::StrCat("wrong audience: the token is for \"",
                                        absl::CEscape(absl::StrJoin(received->audiences, ", ")),
                                        "\", not \"", config_.audience, "\""));
  }
  if (received->subject.empty()) return Unauthenticated("the token has no subject (\"sub\")");
  if (!received->role) return Unauthenticated("the token has no role (\"role\")");
  std::optional<Role> role = ParseRole(*received->role);
  if (!role) {
    return Unauthenticated(absl::StrCat("unknown role \"", absl::CEscape(*received->role),
                                        "\" (roles: rep, manager, admin, replica)"));
  }

  Claims claims;
  claims.subject = std::move(received->subject);
  claims.role = *role;
  claims.territories = std::move(received->territories);
  claims.branches = std::move(received->branches);
  claims.expires_at = *received->expires_at;
  claims.issuer = std::move(received->issuer);
  claims.audience = config_.audience;
  return claims;
}

}  // namespace rapport::auth
