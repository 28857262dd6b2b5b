// rapportd's start-up, in order: auth from the configured key files (for the embedded default a
// key made in memory at first start), the server, and only once the server serves, the embedded
// default's key file and admin token on disk. So a server that refuses to start (plaintext on a
// non-loopback address, a port in use, a bad schema) writes no key and no token, and the next
// start is again a first start. docs/security.md "Key files and rotation". Thread-compatible.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "server/sync_server.h"

namespace rapport::server {

struct StartedRapportd {
  std::unique_ptr<SyncServer> server;
  // The embedded default's first start: the new admin token, for rapportd to print once (it is
  // also in data_dir/admin.token). nullopt otherwise.
  std::optional<std::string> new_admin_token;
};

// Starts a server for `options`; with options.auth.required, its keys come from
// options.auth_files (server_auth.h PrepareAuth). Errors: PrepareAuth's, SyncServer::Start's, or
// WriteFirstStartFiles' (the server is shut down then).
absl::StatusOr<StartedRapportd> StartRapportd(ServerOptions options);

}  // namespace rapport::server
