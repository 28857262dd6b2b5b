#include "tools/cli/sync_command.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "rapport/sync.h"
#include "tools/cli/command_common.h"
#include "tools/cli/json_value.h"

namespace rapport::cli {
namespace {

struct SyncFlags {
  StoreFlags store;
  std::string server;
  std::string token;
  std::string ca_file;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read CA file '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status RunSync(const SyncFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, /*create=*/true));
  SyncOptions options;
  options.token = flags.token;
  if (options.token.empty()) {
    if (const char* env = std::getenv("RAPPORT_TOKEN")) options.token = env;
  }
  if (!flags.ca_file.empty()) {
    ASSIGN_OR_RETURN(options.tls_root_ca_pem, ReadFile(flags.ca_file));
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  options.on_progress = [tty](const SyncProgress& p) {
    std::cerr << (tty ? "\r" : "") << "sync: pushed " << p.pushed << " (acknowledged "
              << p.acknowledged << "), pulled " << p.pulled;
    if (p.estimated_total > 0) std::cerr << " of about " << p.estimated_total;
    std::cerr << ", " << p.bytes << " bytes" << (tty ? "" : "\n") << std::flush;
  };
  absl::StatusOr<SyncSummary> summary = SyncOnce(*replica, flags.server, options);
  if (tty) std::cerr << "\n";
  if (!summary.ok()) return summary.status();
  if (flags.store.json) {
    JsonValue out;
    out.Set("pushed", summary->pushed);
    out.Set("pulled", summary->pulled);
    out.Set("pulled_changed", summary->pulled_changed);
    out.Set("purged", summary->purged);
    out.Set("rejected", summary->rejected);
    out.Set("bytes", summary->bytes);
    JsonValue::Array rejections;
    for (const SyncRejection& r : summary->rejections) {
      JsonValue rejection;
      rejection.Set("record_id", r.record_id);
      rejection.Set("code", r.code);
      rejection.Set("message", r.message);
      rejections.push_back(std::move(rejection));
    }
    out.Set("rejections", JsonValue(std::move(rejections)));
    std::cout << out.Serialize() << "\n";
    return absl::OkStatus();
  }
  std::cout << "synced with " << flags.server << ": pushed " << summary->pushed << ", pulled "
            << summary->pulled << " (" << summary->pulled_changed << " changed), purged "
            << summary->purged << ", refused " << summary->rejected << ", " << summary->bytes
            << " bytes\n";
  for (const SyncRejection& r : summary->rejections) {
    std::cout << "  refused " << r.record_id << ": " << r.message << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddSyncCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SyncFlags>();
  CLI::App* command = app.add_subcommand("sync", "Sync a local store with a rapportd, once");
  AddStoreFlags(command, &flags->store);
  command->add_option("--server", flags->server, "HOST:PORT of the rapportd")->required();
  command->add_option("--token", flags->token,
                      "bearer token (default: the RAPPORT_TOKEN environment variable)");
  command->add_option("--ca", flags->ca_file, "PEM of the CA to trust (TLS); default plaintext");
  SetAction(command, exit_code, [flags] { return RunSync(*flags); });
}

}  // namespace rapport::cli
