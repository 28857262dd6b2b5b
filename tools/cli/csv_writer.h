// Writes RFC 4180 CSV records: a field is quoted when it holds a comma, quote, CR or LF, or
// starts or ends with a space; quotes are doubled; records end with CRLF as the RFC says
// (spreadsheets expect it; our reader takes LF too).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rapport::cli {

void AppendCsvField(std::string& out, std::string_view field);
// Appends the fields separated by commas, then CRLF.
void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields);

}  // namespace rapport::cli
