// rapportd's configuration file: a rapport.v1.ServerConfig in protobuf text format
// (proto/rapport/v1/server_config.proto), applied over ServerOptions. Thread-compatible.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "server/sync_server.h"

namespace rapport::server {

// Sets in `options` every field the file at `path` sets (files it names, such as the upstream
// token, are read now). InvalidArgument naming the file, line and field for a malformed file;
// NotFound for a missing one.
absl::Status ApplyConfigFile(const std::string& path, ServerOptions* options);

// The same for config text already read (for tests); `origin` names it in errors.
absl::Status ApplyConfigText(const std::string& text, const std::string& origin,
                             ServerOptions* options);

}  // namespace rapport::server
