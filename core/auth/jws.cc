#include "core/auth/jws.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/auth/openssl_crypto.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::auth::internal {

std::string Base64UrlEncode(std::string_view bytes) { return absl::WebSafeBase64Escape(AV(bytes)); }

bool Base64UrlDecode(std::string_view text, std::string* bytes) {
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  if (text.size() % 4 == 1) return false;  // no byte string encodes to this length
  if (!absl::WebSafeBase64Unescape(AV(text), bytes)) return false;
  // Reject non-canonical spellings (stray low bits in the last character).
  return Base64UrlEncode(*bytes) == text;
}

absl::StatusOr<CompactJws> SplitCompactJws(std::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(AV(token), '.');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("a token has 3 dot-separated parts (header.payload.signature); this one has ",
                     parts.size()));
  }
  CompactJws jws;
  const std::string_view part_names[3] = {"header", "payload", "signature"};
  std::string* outputs[3] = {&jws.header_json, &jws.payload_json, &jws.signature};
  for (int i = 0; i < 3; ++i) {
    if (!Base64UrlDecode(std::string_view(parts[i].data(), parts[i].size()), outputs[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("the token's ", AV(part_names[i]), " is not unpadded base64url"));
    }
  }
  jws.signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  return jws;
}

absl::StatusOr<std::string> SignJws(const SigningKey& key, std::string_view header_json,
                                    std::string_view payload_json) {
  std::string input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  std::string signature;
  switch (key.algorithm) {
    case SigningKey::Algorithm::kHs256: {
      if (key.hs256_secret.size() < kMinHs256SecretBytes) {
        return absl::InvalidArgumentError(absl::StrCat("the HS256 secret is ",
                                                       key.hs256_secret.size(), " bytes; at least ",
                                                       kMinHs256SecretBytes, " are required"));
      }
      ASSIGN_OR_RETURN(signature, HmacSha256(key.hs256_secret, input));
      break;
    }
    case SigningKey::Algorithm::kRs256: {
      ASSIGN_OR_RETURN(EvpPkeyPtr private_key, ParseRsaPrivateKeyPem(key.rs256_private_key_pem));
      ASSIGN_OR_RETURN(signature, RsaSha256Sign(private_key.get(), input));
      break;
    }
  }
  return absl::StrCat(input, ".", Base64UrlEncode(signature));
}

}  // namespace rapport::auth::internal
