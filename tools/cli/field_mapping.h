// Which schema field each input column (CSV header cell, JSON Lines key) fills. By default a
// column fills the field of the same name; a mapping file renames columns, e.g. a Chinese
// spreadsheet header. The mapping file is itself CSV with two columns, `column,field`; a field
// of `-` ignores the column (docs/cli.md, "Mapping file"). Plain value type.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace rapport::cli {

class FieldMapping {
 public:
  // Reads a mapping file. InvalidArgument names the line of a malformed entry.
  static absl::StatusOr<FieldMapping> Load(const std::string& path);

  // The field `column` fills: the mapped name, the column itself when unmapped, or "" when the
  // mapping says to ignore it.
  std::string FieldFor(const std::string& column) const;

 private:
  std::map<std::string, std::string> field_of_;
};

// Reads a whole file. NotFound / Internal with the path on failure.
absl::StatusOr<std::string> ReadFileText(const std::string& path);

}  // namespace rapport::cli
