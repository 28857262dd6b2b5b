#include "server/rapportd_start.h"

#include <utility>

#include "core/status_macros.h"
#include "server/server_auth.h"

namespace rapport::server {

absl::StatusOr<StartedRapportd> StartRapportd(ServerOptions options) {
  std::optional<FirstStart> first_start;
  if (options.auth.required) {
    ASSIGN_OR_RETURN(first_start, PrepareAuth(options.auth_files, options.data_dir, &options.auth));
  }
  StartedRapportd started;
  ASSIGN_OR_RETURN(started.server, SyncServer::Start(std::move(options)));
  if (first_start) {
    absl::Status written = WriteFirstStartFiles(*first_start);
    if (!written.ok()) {
      started.server->Shutdown(/*grace_ms=*/0);
      return written;
    }
    started.new_admin_token = first_start->admin_token;
  }
  return started;
}

}  // namespace rapport::server
