// The JSON of a token's header and payload (RFC 7519 claims plus Rapport's own). Writing is ours
// (fixed keys, escaped strings); reading uses protobuf's JSON parser into google.protobuf.Struct,
// which the project already ships, so no second JSON library is needed. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/auth/claims.h"

namespace rapport::auth::internal {

// {"alg":"<alg>","typ":"JWT"}
std::string HeaderJson(std::string_view alg);
// {"iss":…,"aud":…,"sub":…,"exp":…,"role":…,"territories":[…],"branches":[…]}
std::string PayloadJson(const Claims& claims);

// The `alg` of a header. InvalidArgument if the header is not a JSON object, `alg` is missing or
// not a string, `typ` is present and not "JWT", or `crit` is present (RFC 7515 4.1.11: a
// recipient must refuse extensions it does not understand, and we understand none).
absl::StatusOr<std::string> ParseHeaderAlg(std::string_view header_json);

// The payload's claims as received, before any policy check. Missing claims stay empty /
// nullopt; a claim of the wrong JSON type is InvalidArgument naming it.
struct ReceivedClaims {
  std::string subject;
  std::optional<std::string> role;
  std::vector<std::string> territories;
  std::vector<std::string> branches;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> not_before;
  std::string issuer;
  std::vector<std::string> audiences;  // `aud` may be one string or an array (RFC 7519 4.1.3)
};
absl::StatusOr<ReceivedClaims> ParsePayload(std::string_view payload_json);

}  // namespace rapport::auth::internal
