// The few OpenSSL primitives tokens need (HMAC-SHA-256, RSASSA-PKCS1-v1_5 with SHA-256, PEM key
// parsing, random bytes), behind RAII handles and absl::Status. Internal to rapport_auth.
//
// Thread safety: the functions keep no state. A parsed key (EvpPkeyPtr) is never modified after
// parsing, and OpenSSL 3 allows one EVP_PKEY to be used by many threads at once for signing and
// verifying, each with its own EVP_MD_CTX (which these functions create per call).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rapport::auth::internal {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// RSA keys shorter than this are refused (NIST SP 800-131A: 2048 bits minimum).
inline constexpr int kMinRsaBits = 2048;

// Parses a PEM "PUBLIC KEY" (SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it).
// InvalidArgument if it is not PEM, not RSA, or shorter than kMinRsaBits.
absl::StatusOr<EvpPkeyPtr> ParseRsaPublicKeyPem(std::string_view pem);
// Parses an unencrypted PEM "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1). Same checks;
// an encrypted key is refused (a server cannot type a passphrase at start-up).
absl::StatusOr<EvpPkeyPtr> ParseRsaPrivateKeyPem(std::string_view pem);
// The PEM "PUBLIC KEY" of a private or public key.
absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key);

// HMAC-SHA-256 of `data` under `key` (32 bytes).
absl::StatusOr<std::string> HmacSha256(std::string_view key, std::string_view data);
// Constant-time comparison of two MACs (false if the lengths differ).
bool MacEquals(std::string_view a, std::string_view b);

// RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256").
absl::StatusOr<std::string> RsaSha256Sign(EVP_PKEY* private_key, std::string_view data);
// True only if `signature` is a valid RS256 signature of `data` under `public_key`.
bool RsaSha256Verify(EVP_PKEY* public_key, std::string_view data, std::string_view signature);

// `n` bytes from OpenSSL's CSPRNG (RAND_bytes); Internal if it cannot provide them.
absl::StatusOr<std::string> RandomBytes(size_t n);

}  // namespace rapport::auth::internal
