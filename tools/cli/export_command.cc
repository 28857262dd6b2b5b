#include "tools/cli/export_command.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/export_writer.h"
#include "tools/cli/import_runner.h"
#include "tools/cli/query_expression.h"
#include "tools/cli/record_source.h"

namespace rapport::cli {
namespace {

struct ExportFlags {
  StoreFlags store;
  std::string format = "csv";
  std::string query;
  std::string output;
  bool include_deleted = false;
};

absl::Status RunExport(const ExportFlags& flags) {
  ASSIGN_OR_RETURN(InputFormat format, ParseFormatName(flags.format));
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  std::optional<Query> query;
  if (!flags.query.empty()) {
    ASSIGN_OR_RETURN(query, ParseQueryExpression(*type, flags.query));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(std::vector<RecordView> records,
                   LoadRecords(*replica, type->name(), query, flags.include_deleted));
  std::string text;
  if (format == InputFormat::kCsv) {
    AppendCsv(*type, records, text);
  } else {
    AppendJsonLines(*type, records, text);
  }
  if (flags.output.empty()) {
    std::cout << text << std::flush;
    return std::cout ? absl::OkStatus() : absl::InternalError("could not write to stdout");
  }
  std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("could not write \"", flags.output, "\""));
  std::cerr << "exported " << records.size() << " records to " << flags.output << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddExportCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Export records as CSV or JSON Lines that `rapport import` reads back");
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("--format", flags->format, "csv (default) or jsonl");
  cmd->add_option(
      "--query", flags->query,
      "Only records matching FIELD=VALUE, FIELD^=TEXT or FIELD=LO..HI (indexed fields)");
  cmd->add_option("-o,--output", flags->output, "Write to FILE instead of stdout");
  cmd->add_flag("--include-deleted", flags->include_deleted, "Export deleted records too");
  SetAction(cmd, exit_code, [flags] { return RunExport(*flags); });
}

}  // namespace rapport::cli
