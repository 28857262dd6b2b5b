#include "tools/cli/stats_command.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/json_value.h"
#include "tools/cli/server_stats.h"
#include "tools/cli/text_table.h"

namespace rapport::cli {
namespace {

struct RecordCounts {
  uint64_t live = 0, deleted = 0, erased = 0, in_conflict = 0;
};

uint64_t FileBytes(const std::string& dir) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(std::filesystem::path(dir) / "data.mdb", ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

absl::Status RunStats(const StoreFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags, false));
  ASSIGN_OR_RETURN(StoreInfo info, replica->Info());
  RecordCounts counts;
  RETURN_IF_ERROR(replica->ForEachRecord([&](const RecordView& r) {
    if (r.erased) {
      ++counts.erased;
    } else if (r.deleted) {
      ++counts.deleted;
    } else {
      ++counts.live;
      if (r.has_conflicts()) ++counts.in_conflict;
    }
    return true;
  }));
  const uint64_t file_bytes = FileBytes(flags.store);
  if (flags.json) {
    JsonValue out;
    out.Set("records", info.records);
    out.Set("live", counts.live);
    out.Set("deleted", counts.deleted);
    out.Set("erased", counts.erased);
    out.Set("conflicts", counts.in_conflict);
    out.Set("postings", info.postings);
    out.Set("last_seq", info.last_seq);
    out.Set("file_bytes", file_bytes);
    out.Set("used_bytes", info.used_bytes);
    out.Set("map_bytes", info.map_bytes);
    JsonValue::Array peers;
    for (const StoreInfo::Peer& p : info.peers) {
      JsonValue peer;
      peer.Set("peer", p.id);
      peer.Set("pull_base", p.pull_base);
      peer.Set("pull_position", p.pull_position);
      peer.Set("push_base", p.push_base);
      peer.Set("push_position", p.push_position);
      peers.push_back(std::move(peer));
    }
    out.Set("peers", JsonValue(std::move(peers)));
    std::cout << out.Serialize() << "\n";
    return absl::OkStatus();
  }
  std::cout << "store       " << info.path << "\n"
            << "records     " << info.records << " (" << counts.live << " live, " << counts.deleted
            << " deleted, " << counts.erased << " erased)\n"
            << "conflicts   " << counts.in_conflict << " record(s) with an open conflict\n"
            << "postings    " << info.postings << " index entries\n"
            << "last seq    " << info.last_seq << "\n"
            << "size        " << file_bytes << " bytes on disk, " << info.used_bytes
            << " in use, map " << info.map_bytes << "\n"
            << "peers       " << info.peers.size() << "\n";
  if (!info.peers.empty()) {
    TextTable table({"peer", "pull (base/position)", "push (base/position)"});
    for (const StoreInfo::Peer& p : info.peers) {
      table.AddRow({p.id, std::to_string(p.pull_base) + "/" + std::to_string(p.pull_position),
                    std::to_string(p.push_base) + "/" + std::to_string(p.push_position)});
    }
    table.Print(std::cout);
  }
  return absl::OkStatus();
}

absl::Status RunInspect(const StoreFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags, false));
  ASSIGN_OR_RETURN(StoreInfo info, replica->Info());
  if (flags.json) {
    JsonValue out;
    out.Set("path", info.path);
    out.Set("format_version", info.format_version);
    out.Set("replica_id", info.replica_id);
    out.Set("schema_name", info.schema_name);
    out.Set("schema_version", static_cast<uint64_t>(info.schema_version));
    out.Set("schema_hash", info.schema_hash);
    out.Set("last_seq", info.last_seq);
    out.Set("records", info.records);
    std::cout << out.Serialize() << "\n";
    return absl::OkStatus();
  }
  std::cout << "path            " << info.path << "\n"
            << "format version  " << info.format_version << "\n"
            << "replica id      " << info.replica_id << "\n"
            << "schema          " << info.schema_name << " v" << info.schema_version << ", hash "
            << info.schema_hash << "\n"
            << "last seq        " << info.last_seq << "\n"
            << "records         " << info.records << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddStatsCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<StoreFlags>();
  auto server = std::make_shared<ServerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "stats",
      "Records, conflicts, sync peers and their checkpoints, store size: of a local store "
      "(--store) or of a server (--server, admin token)");
  AddStoreFlags(cmd, flags.get(), /*store_optional=*/true);
  cmd->add_option("--server", server->server, "HOST:PORT of a rapportd (Admin RPC)");
  cmd->add_option("--token", server->token, "admin token (default: RAPPORT_TOKEN)");
  cmd->add_option("--ca", server->ca_file, "PEM of the CA to trust (TLS)");
  SetAction(cmd, exit_code, [flags, server]() -> absl::Status {
    if (flags->store.empty() == server->server.empty()) {
      return absl::InvalidArgumentError("give exactly one of --store PATH and --server HOST:PORT");
    }
    return server->server.empty() ? RunStats(*flags) : RunServerStats(*server, flags->json);
  });
}

void AddInspectCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<StoreFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "A store's meta: format version, replica id, schema name and hash, last seq");
  AddStoreFlags(cmd, flags.get());
  SetAction(cmd, exit_code, [flags] { return RunInspect(*flags); });
}

}  // namespace rapport::cli
