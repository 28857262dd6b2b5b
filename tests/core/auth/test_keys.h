// Test keys and certificates, made with the `openssl` command in a directory the test owns (a
// rapport::testing::TempDir): an RSA key pair for RS256 tokens, and a TLS set for a server on
// loopback. Every call makes fresh keys; nothing is shared between tests. Not thread-safe only in
// that two calls must not share a directory and name.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rapport::testing {

// Paths of an RSA key pair (3072 bits is the deployment advice; tests use 2048 for speed).
struct RsaKeyFiles {
  std::string private_key_pem;  // PKCS#8 "PRIVATE KEY", mode 0600
  std::string public_key_pem;   // "PUBLIC KEY"
};
// Writes <dir>/<name>.key and <dir>/<name>.pub.
absl::StatusOr<RsaKeyFiles> GenerateRsaKeyPair(const std::string& dir,
                                               const std::string& name = "rs256");

// Paths of a TLS set (P-256 keys, valid from now for 30 days).
struct TlsFiles {
  std::string ca_cert;  // the test CA (trust this one)
  std::string ca_key;
  std::string server_cert;    // issued by ca_cert for CN=localhost, subjectAltName
                              // IP:127.0.0.1, DNS:localhost; serverAuth
  std::string server_key;     // the server certificate's key, mode 0600
  std::string other_ca_cert;  // an unrelated CA: a client trusting only it must fail
  std::string other_ca_key;
};
// Writes ca.crt, ca.key, server.crt, server.key, other-ca.crt, other-ca.key in `dir`.
absl::StatusOr<TlsFiles> GenerateTlsFiles(const std::string& dir);

// Runs `openssl <args...>` (no shell) with stdout and stderr appended to <dir>/openssl.log.
// Internal if it cannot start, exits non-zero or dies by a signal; the message holds the command
// and the log's tail.
absl::Status RunOpenssl(const std::vector<std::string>& args, const std::string& dir);

}  // namespace rapport::testing
