// Turns rapportd's auth configuration into the SessionGate's AuthOptions, including the embedded
// default: with no key configured, a signing key is generated for data_dir/auth.key at first
// start and an admin token is minted for the operator. docs/security.md. Thread-compatible.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/auth/signing_key.h"
#include "server/session_gate.h"

namespace rapport::server {

inline constexpr char kDefaultIssuer[] = "rapportd";
inline constexpr char kDefaultAudience[] = "rapport";

// The first-start admin token is short-lived like every admin token (docs/security.md "Tokens"):
// it bootstraps; later admin tokens are minted with `rapport token issue --key <data>/auth.key`.
inline constexpr absl::Duration kFirstStartAdminTokenLifetime = absl::Hours(24);

struct AuthFiles {
  // Signing key (HS256 secret or RSA private key); verifies the tokens it signs.
  std::string key_file;
  // RS256 public key (PEM) of tokens minted elsewhere. With an HS256 key_file both are accepted
  // (switching algorithms without downtime); with an RS256 key_file it is refused: a server
  // holds one RS256 key.
  std::string public_key_file;
  std::string issuer = kDefaultIssuer;
  std::string audience = kDefaultAudience;
};

// The embedded default's first start: a new signing key and admin token, so far in memory only.
struct FirstStart {
  std::string key_file;  // data_dir/auth.key
  auth::SigningKey key;
  std::string token_file;  // data_dir/admin.token
  std::string admin_token;
};

// Fills `auth->verifier` from `files` and writes nothing. With neither file set, uses
// data_dir/auth.key if it exists; otherwise makes a key and an admin token in memory and
// returns them, to be written by WriteFirstStartFiles once the server serves (a server that
// refuses to start leaves no key behind). InvalidArgument for an RS256 key_file together with a
// public_key_file; the key loaders' errors otherwise.
absl::StatusOr<std::optional<FirstStart>> PrepareAuth(const AuthFiles& files,
                                                      const std::string& data_dir,
                                                      AuthOptions* auth);

// Writes the key file, then the admin token file: each created new, mode 0600, fsync'ed.
// AlreadyExists if either exists (another rapportd on the same data directory got there first).
absl::Status WriteFirstStartFiles(const FirstStart& first_start);

}  // namespace rapport::server
