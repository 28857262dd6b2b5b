#include "tools/cli/import_command.h"

#include <iostream>
#include <memory>

#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/import_runner.h"
#include "tools/cli/json_value.h"
#include "tools/cli/text_table.h"

namespace rapport::cli {
namespace {

struct ImportFlags {
  StoreFlags store;
  std::string file;
  std::string format;
  std::string mapping;
  size_t batch_size = 1000;
  bool quiet = false;
};

void PrintSummary(const ImportSummary& s, bool json) {
  const double rate = s.seconds > 0 ? s.rows / s.seconds : 0;
  if (json) {
    JsonValue out;
    out.Set("rows", static_cast<uint64_t>(s.rows));
    out.Set("imported", static_cast<uint64_t>(s.imported));
    out.Set("updated", static_cast<uint64_t>(s.updated));
    out.Set("unchanged", static_cast<uint64_t>(s.unchanged));
    out.Set("refused", static_cast<uint64_t>(s.refused));
    out.Set("unknown_ids", static_cast<uint64_t>(s.unknown_ids));
    out.Set("seconds", s.seconds);
    out.Set("rows_per_second", rate);
    JsonValue::Array errors;
    for (const RowIssue& issue : s.issues) {
      JsonValue e;
      e.Set("line", issue.line);
      e.Set("column", issue.column);
      e.Set("reason", issue.reason);
      errors.push_back(std::move(e));
    }
    out.Set("errors", JsonValue(std::move(errors)));
    std::cout << out.Serialize() << "\n";
    return;
  }
  for (const RowIssue& issue : s.issues) {
    std::cerr << "line " << issue.line;
    if (!issue.column.empty()) std::cerr << ", column \"" << issue.column << "\"";
    std::cerr << ": " << issue.reason << "\n";
  }
  std::cout << "imported " << s.imported << ", updated " << s.updated << ", unchanged "
            << s.unchanged << ", refused " << s.refused << " (" << s.rows << " rows in "
            << Fixed(s.seconds, 2) << " s, " << static_cast<long>(rate) << " rows/s)\n";
  if (s.unknown_ids > 0) {
    std::cout << s.unknown_ids << " of the imported rows named an id this store does not have; "
              << "they are new records with new ids\n";
  }
}

absl::Status RunImportCommand(const ImportFlags& flags, int* exit_code) {
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  ImportOptions options;
  options.path = flags.file;
  options.mapping_path = flags.mapping;
  options.batch_size = flags.batch_size;
  if (flags.format.empty()) {
    ASSIGN_OR_RETURN(options.format, FormatOfPath(flags.file));
  } else {
    ASSIGN_OR_RETURN(options.format, ParseFormatName(flags.format));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, /*create=*/true));
  ProgressMeter progress(
      std::cerr, flags.quiet ? ProgressMeter::Mode::kQuiet : ProgressMeter::ModeForStderr());
  ASSIGN_OR_RETURN(ImportSummary summary, RunImport(*replica, *type, options, progress));
  PrintSummary(summary, flags.store.json);
  if (summary.refused > 0) *exit_code = kExitRowsRefused;
  return absl::OkStatus();
}

}  // namespace

void AddImportCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import customer rows from CSV (RFC 4180) or JSON Lines; re-import updates by external_key");
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("FILE", flags->file, "Input file (.csv or .jsonl)")->required();
  cmd->add_option("--format", flags->format, "csv or jsonl (default: from the file extension)");
  cmd->add_option("--mapping", flags->mapping,
                  "CSV file of `column,field` lines renaming input columns to schema fields");
  cmd->add_option("--batch-size", flags->batch_size, "Rows per commit (default 1000)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet", flags->quiet, "No progress output");
  SetAction(cmd, exit_code, [flags, exit_code] { return RunImportCommand(*flags, exit_code); });
}

}  // namespace rapport::cli
