#include "core/auth/token_issuer.h"

#include "core/auth/claims_json.h"
#include "core/auth/jws.h"

namespace rapport::auth {

absl::StatusOr<std::string> IssueToken(const SigningKey& key, const Claims& claims) {
  // The verifier refuses tokens without these; refusing them here tells the operator at once.
  if (claims.subject.empty()) return absl::InvalidArgumentError("token: the subject is empty");
  if (claims.issuer.empty()) return absl::InvalidArgumentError("token: the issuer is empty");
  if (claims.audience.empty()) return absl::InvalidArgumentError("token: the audience is empty");
  if (claims.expires_at <= 0) {
    return absl::InvalidArgumentError("token: expires_at must be a unix time in seconds");
  }
  const char* alg = key.algorithm == SigningKey::Algorithm::kHs256 ? "HS256" : "RS256";
  return internal::SignJws(key, internal::HeaderJson(alg), internal::PayloadJson(claims));
}

}  // namespace rapport::auth
