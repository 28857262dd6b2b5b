#include "tools/cli/command_common.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace rapport::cli {

void AddStoreFlags(CLI::App* command, StoreFlags* flags, bool store_optional) {
  CLI::Option* store = command->add_option("--store", flags->store, "Directory of the local store");
  if (!store_optional) store->required();
  command->add_option("--schema", flags->schema_path,
                      "Schema file (text proto); default: the built-in customer schema");
  command->add_option("--type", flags->type, "Record type (default: customer)");
  command->add_flag("--json", flags->json, "Print JSON for scripts instead of text");
}

absl::StatusOr<schema::Schema> LoadSchema(const StoreFlags& flags) {
  if (flags.schema_path.empty()) return schema::Schema::DefaultCustomer();
  return schema::Schema::LoadFile(flags.schema_path);
}

absl::StatusOr<const schema::RecordType*> FindRecordType(const schema::Schema& schema,
                                                         const std::string& type) {
  const schema::RecordType* found = schema.FindType(type);
  if (found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the schema \"", schema.name(), "\" has no record type \"", type, "\""));
  }
  return found;
}

std::string AuthorOr(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("RAPPORT_AUTHOR");
  return env != nullptr ? env : "";
}

absl::StatusOr<std::unique_ptr<Replica>> OpenStore(const StoreFlags& flags, bool create,
                                                   const std::string& author) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(std::filesystem::path(flags.store) / "data.mdb", ec)) {
    return absl::NotFoundError(absl::StrCat("no store at \"", flags.store,
                                            "\" (no data.mdb there); check --store, or create "
                                            "one with `rapport import`"));
  }
  OpenOptions options;
  options.schema_path = flags.schema_path;
  options.author = AuthorOr(author);
  return Replica::Open(flags.store, std::move(options));
}

void SetAction(CLI::App* command, int* exit_code, std::function<absl::Status()> body) {
  command->callback([command, exit_code, body = std::move(body)] {
    absl::Status status = body();
    if (status.ok()) return;
    std::string path = command->get_name();
    for (const CLI::App* parent = command->get_parent();
         parent != nullptr && parent->get_parent() != nullptr; parent = parent->get_parent()) {
      path = parent->get_name() + " " + path;
    }
    std::cerr << "rapport " << path << ": " << status.message() << "\n";
    *exit_code = status.code() == absl::StatusCode::kNotFound ? kExitNotFound : kExitError;
  });
}

}  // namespace rapport::cli
