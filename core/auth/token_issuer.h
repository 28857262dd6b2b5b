// Mints bearer tokens (compact JWS) for `rapport token issue`, rapportd's embedded default admin
// token, and tests. The inverse of TokenVerifier. Free functions; no shared state.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/auth/claims.h"
#include "core/auth/signing_key.h"

namespace rapport::auth {

// A token carrying `claims`, signed with `key` (header {"alg":"HS256"|"RS256","typ":"JWT"};
// payload: iss, aud, sub, exp, role, territories, branches — docs/security.md "Tokens").
// InvalidArgument if the subject, issuer or audience is empty, expires_at is not positive, or the
// key is unusable (HS256 secret under 32 bytes, RS256 key not a PEM RSA key of 2048+ bits).
absl::StatusOr<std::string> IssueToken(const SigningKey& key, const Claims& claims);

}  // namespace rapport::auth
