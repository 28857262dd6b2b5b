// Keys that sign tokens, and their files.
//
// Key file format (LoadSigningKey reads either; docs/security.md "Key files"):
//   * RS256: an unencrypted PEM RSA private key of at least 2048 bits, PKCS#8
//     ("-----BEGIN PRIVATE KEY-----") or PKCS#1 ("-----BEGIN RSA PRIVATE KEY-----"), e.g. from
//     `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rs256.pem`.
//   * HS256: the secret in standard or URL-safe base64 (padding optional, whitespace and line
//     breaks ignored) decoding to at least 32 bytes, e.g. from `openssl rand -base64 32`.
//     Base64 rather than raw bytes so the file is printable, copyable and never mistaken for PEM.
// A file starting with "-----BEGIN" is PEM, anything else is an HS256 secret. Key files must not
// be readable or writable by group or others (mode 0600 or stricter), like ssh's private keys: a
// signing key mints admin tokens.
//
// Plain value types and free functions; no shared state.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/auth/token_verifier.h"

namespace rapport::auth {

// HS256 secrets shorter than this are refused (RFC 7518 3.2: a key of at least the hash size).
inline constexpr size_t kMinHs256SecretBytes = 32;

struct SigningKey {
  enum class Algorithm { kHs256, kRs256 };
  Algorithm algorithm = Algorithm::kHs256;
  std::string hs256_secret;           // raw bytes, kHs256 only
  std::string rs256_private_key_pem;  // kRs256 only
};

// Reads a key file in the format above. NotFound if the file is missing, FailedPrecondition if
// its mode lets group or others read or write it, InvalidArgument (naming the path) if its
// content is neither a usable PEM RSA private key nor a base64 secret of 32 bytes or more.
absl::StatusOr<SigningKey> LoadSigningKey(const std::string& path);

// A fresh HS256 key: 32 bytes from OpenSSL's CSPRNG. Nothing is written.
absl::StatusOr<SigningKey> GenerateHs256Key();

// Creates `path` holding `key` (an HS256 key) in the format above: base64, mode 0600, written and
// fsync'ed before returning (private_file.h). AlreadyExists if `path` exists (a key is never
// silently replaced: that would invalidate every token issued with it); InvalidArgument for an
// RS256 key or a secret under 32 bytes.
absl::Status WriteHs256KeyFile(const std::string& path, const SigningKey& key);

// GenerateHs256Key, then WriteHs256KeyFile.
absl::Status GenerateHs256KeyFile(const std::string& path);

// Adds what verifies tokens signed by `key` to `config`: the HS256 secret, or the RS256 public
// key derived from the private key. For a server that issues and verifies with one key (the
// embedded default). InvalidArgument if the private key cannot be parsed.
absl::Status AddVerificationKey(const SigningKey& key, VerifierConfig* config);

}  // namespace rapport::auth
