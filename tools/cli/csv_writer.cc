#include "tools/cli/csv_writer.h"

namespace rapport::cli {

void AppendCsvField(std::string& out, std::string_view field) {
  // A leading U+FEFF is quoted too: unquoted at the start of a file, a reader takes it for the
  // byte order mark and drops it (found by fuzz/csv_import).
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' ')) ||
                     field.substr(0, 3) == "\xEF\xBB\xBF";
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvField(out, fields[i]);
  }
  out += "\r\n";
}

}  // namespace rapport::cli
