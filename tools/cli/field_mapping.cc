#include "tools/cli/field_mapping.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tools/cli/csv_reader.h"

namespace rapport::cli {

absl::StatusOr<std::string> ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open \"", path, "\" for reading"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("error reading \"", path, "\""));
  return text.str();
}

absl::StatusOr<FieldMapping> FieldMapping::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileText(path);
  if (!text.ok()) return text.status();
  FieldMapping mapping;
  CsvReader reader(*text);
  CsvRecord record;
  bool first = true;
  while (reader.Next(record)) {
    if (!record.error.empty() || record.fields.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mapping file \"", path, "\" line ", record.line,
          ": expected two CSV columns, `column,field` (field \"-\" ignores the column)",
          record.error.empty() ? "" : absl::StrCat(": ", record.error)));
    }
    const bool header = first && record.fields[0] == "column" && record.fields[1] == "field";
    first = false;
    if (header) continue;
    mapping.field_of_[record.fields[0]] = record.fields[1] == "-" ? "" : record.fields[1];
  }
  return mapping;
}

std::string FieldMapping::FieldFor(const std::string& column) const {
  auto it = field_of_.find(column);
  return it == field_of_.end() ? column : it->second;
}

}  // namespace rapport::cli
