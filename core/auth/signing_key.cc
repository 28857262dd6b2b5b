#include "core/auth/signing_key.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/auth/openssl_crypto.h"
#include "core/auth/private_file.h"
#include "core/status_macros.h"

namespace rapport::auth {
namespace {

// Key files are small; anything larger is not a key file.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

// Standard or URL-safe base64, padding optional, whitespace anywhere ignored.
bool DecodeBase64Secret(std::string_view text, std::string* secret) {
  std::string compact;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '=') continue;
    if (c == '+') c = '-';
    if (c == '/') c = '_';
    compact += c;
  }
  for (char c : compact) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return !compact.empty() && compact.size() % 4 != 1 &&
         absl::WebSafeBase64Unescape(compact, secret);
}

}  // namespace

absl::StatusOr<SigningKey> LoadSigningKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string content, ReadPrivateFile(path, "key file", kMaxKeyFileBytes));
  SigningKey key;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(content), "-----BEGIN")) {
    auto parsed = internal::ParseRsaPrivateKeyPem(content);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file ", path, ": ", parsed.status().message()));
    }
    key.algorithm = SigningKey::Algorithm::kRs256;
    key.rs256_private_key_pem = std::move(content);
    return key;
  }
  key.algorithm = SigningKey::Algorithm::kHs256;
  if (!DecodeBase64Secret(content, &key.hs256_secret)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path,
        ": neither a PEM RSA private key nor a base64 HS256 secret (make one with `openssl rand "
        "-base64 32`)"));
  }
  if (key.hs256_secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, ": the HS256 secret is ", key.hs256_secret.size(), " bytes; at least ",
        kMinHs256SecretBytes, " are required (`openssl rand -base64 32`)"));
  }
  return key;
}

absl::StatusOr<SigningKey> GenerateHs256Key() {
  SigningKey key;
  key.algorithm = SigningKey::Algorithm::kHs256;
  ASSIGN_OR_RETURN(key.hs256_secret, internal::RandomBytes(kMinHs256SecretBytes));
  return key;
}

absl::Status WriteHs256KeyFile(const std::string& path, const SigningKey& key) {
  if (key.algorithm != SigningKey::Algorithm::kHs256 ||
      key.hs256_secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": only an HS256 secret of at least ", kMinHs256SecretBytes,
                     " bytes is written as a key file"));
  }
  return WriteNewPrivateFile(path, absl::StrCat(absl::Base64Escape(key.hs256_secret), "\n"),
                             "key file");
}

absl::Status GenerateHs256KeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(const SigningKey key, GenerateHs256Key());
  return WriteHs256KeyFile(path, key);
}

absl::Status AddVerificationKey(const SigningKey& key, VerifierConfig* config) {
  switch (key.algorithm) {
    case SigningKey::Algorithm::kHs256:
      config->hs256_secret = key.hs256_secret;
      return absl::OkStatus();
    case SigningKey::Algorithm::kRs256: {
      ASSIGN_OR_RETURN(internal::EvpPkeyPtr private_key,
                       internal::ParseRsaPrivateKeyPem(key.rs256_private_key_pem));
      ASSIGN_OR_RETURN(config->rs256_public_key_pem, internal::PublicKeyPem(private_key.get()));
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown signing key algorithm");
}

}  // namespace rapport::auth
