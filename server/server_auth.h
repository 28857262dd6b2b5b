// Turns rapportd's auth configuration into the SessionGate's AuthOptions, including the embedded
// default: with nothing configured, a signing key is generated in the data directory at first
// start, and an admin token is minted for the operator. docs/security.md. Thread-compatible.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "server/session_gate.h"

namespace rapport::server {

inline constexpr char kDefaultIssuer[] = "rapportd";
inline constexpr char kDefaultAudience[] = "rapport";

struct AuthFiles {
  std::string key_file;         // signing key (verifies too); empty: see public_key_file
  std::string public_key_file;  // RS256 public key only
  std::string issuer = kDefaultIssuer;
  std::string audience = kDefaultAudience;
};

// Fills `auth->verifier` from `files`. With neither file set, uses data_dir/auth.key, creating it
// (and data_dir/admin.token, mode 0600) if absent: returns the new admin token then, so the
// operator sees it once; nullopt otherwise.
absl::StatusOr<std::optional<std::string>> PrepareAuth(const AuthFiles& files,
                                                       const std::string& data_dir,
                                                       AuthOptions* auth);

}  // namespace rapport::server
