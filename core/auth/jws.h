// JWS compact serialization (RFC 7515 section 7.1), the framing of a JWT:
//   BASE64URL(header JSON) "." BASE64URL(payload JSON) "." BASE64URL(signature)
// with the signature over the ASCII of the first two parts. Internal to rapport_auth; tests use
// SignJws to craft tokens the issuer would never make (alg none, odd claims).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/auth/signing_key.h"

namespace rapport::auth::internal {

// Unpadded base64url (RFC 4648 section 5), as JWS requires.
std::string Base64UrlEncode(std::string_view bytes);
// Strict inverse of Base64UrlEncode: only [A-Za-z0-9_-], no padding, no whitespace, and
// canonical (the unused low bits of the last character are zero), so one token has one
// spelling. False on anything else.
bool Base64UrlDecode(std::string_view text, std::string* bytes);

struct CompactJws {
  std::string header_json;         // decoded
  std::string payload_json;        // decoded
  std::string signature;           // decoded
  std::string_view signing_input;  // "header.payload" as received; points into the token
};

// Splits and decodes a compact JWS. InvalidArgument (saying which part) if it does not have
// exactly three parts or a part is not strict base64url.
absl::StatusOr<CompactJws> SplitCompactJws(std::string_view token);

// Signs header and payload (taken as they are: callers supply the JSON) with `key`.
absl::StatusOr<std::string> SignJws(const SigningKey& key, std::string_view header_json,
                                    std::string_view payload_json);

}  // namespace rapport::auth::internal
