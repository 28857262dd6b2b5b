// What every store subcommand shares: the --store / --schema / --json options, opening the
// store, and turning a command's absl::Status into a message on stderr and an exit code.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "rapport/replica.h"
#include "tools/cli/exit_codes.h"

namespace rapport::cli {

struct StoreFlags {
  std::string store;        // --store PATH
  std::string schema_path;  // --schema FILE; empty: the built-in customer schema
  std::string type = "customer";
  bool json = false;  // --json
};

// Adds --store (required unless `store_optional`), --schema, --type and --json to `command`.
void AddStoreFlags(CLI::App* command, StoreFlags* flags, bool store_optional = false);

// The schema the store is opened with, and its record type `flags.type`.
absl::StatusOr<schema::Schema> LoadSchema(const StoreFlags& flags);
absl::StatusOr<const schema::RecordType*> FindRecordType(const schema::Schema& schema,
                                                         const std::string& type);

// `given` if not empty, else the RAPPORT_AUTHOR environment variable, else "".
std::string AuthorOr(const std::string& given);

// Opens the store. Unless `create`, a directory without a store is refused (NotFound) rather
// than turned into a new empty store, so a mistyped path is reported, not silently created.
// AuthorOr(`author`) is the author of the history entries the library records for this
// process's changes (OpenOptions::author).
absl::StatusOr<std::unique_ptr<Replica>> OpenStore(const StoreFlags& flags, bool create,
                                                   const std::string& author = "");

// Makes `body` the command's action: an error is printed as "rapport <command>: <message>" on
// stderr and sets *exit_code to kExitError (kExitNotFound for NotFound); success leaves it.
void SetAction(CLI::App* command, int* exit_code, std::function<absl::Status()> body);

}  // namespace rapport::cli
