// The import of one file into a store, apart from the command line so tests can run it in
// process: rows are decoded and checked one by one, refused rows are collected with their line,
// column and reason, and valid rows are committed in batches of `batch_size` (one Replica::Apply,
// one durable commit each). A row whose external_key (or id) names an existing record updates it
// (import_plan.h); a later row repeating an external key of the same file is refused, and so is
// a malformed id. A well-formed id this store does not have creates a new record (counted in
// unknown_ids). A refused row stores nothing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "rapport/replica.h"
#include "tools/cli/input_rows.h"
#include "tools/cli/progress_meter.h"

namespace rapport::cli {

enum class InputFormat { kCsv, kJsonLines };

struct ImportOptions {
  std::string path;
  InputFormat format = InputFormat::kCsv;
  std::string mapping_path;  // empty: columns are field names
  size_t batch_size = 1000;
  std::string key_field = "external_key";
};

struct ImportSummary {
  size_t rows = 0;
  size_t imported = 0;   // new records
  size_t updated = 0;    // existing records changed
  size_t unchanged = 0;  // existing records the row already matched
  size_t refused = 0;
  // Of `imported`: rows whose id column named a record this store does not have (a file from
  // another store); they became new records with new ids.
  size_t unknown_ids = 0;
  std::vector<RowIssue> issues;  // every reason of every refused row, in line order
  double seconds = 0;
};

// The format named by a file's extension (.csv, .jsonl / .ndjson), InvalidArgument otherwise.
absl::StatusOr<InputFormat> FormatOfPath(const std::string& path);
absl::StatusOr<InputFormat> ParseFormatName(const std::string& name);

// Imports the file. Errors that stop the whole import (unreadable file, bad header, unknown
// mapping, a store failure) are returned; refused rows are not errors but part of the summary.
absl::StatusOr<ImportSummary> RunImport(Replica& replica, const schema::RecordType& type,
                                        const ImportOptions& options, ProgressMeter& progress);

}  // namespace rapport::cli
