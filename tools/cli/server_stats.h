// `rapport stats --server HOST:PORT --token T`: a server's stats and peers from its Admin RPC
// (admin token required), printed like the local `stats`.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace rapport::cli {

struct ServerFlags {
  std::string server;   // --server HOST:PORT
  std::string token;    // --token, or RAPPORT_TOKEN
  std::string ca_file;  // --ca: TLS trusting this CA; empty: plaintext
};

absl::Status RunServerStats(const ServerFlags& flags, bool json);

}  // namespace rapport::cli
