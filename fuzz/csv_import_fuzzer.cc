// libFuzzer target: the CSV reader of `rapport import` on arbitrary bytes. Every input is read to
// its end in bounded steps (each record consumes input), each record is either well formed or
// carries an error naming a field that exists, line numbers never go back, and every
// well-formed record written back with the CSV writer reads back as the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cli/csv_reader.h"
#include "tools/cli/csv_writer.h"

namespace {

void Check(bool ok, const char* law) {
  if (ok) return;
  std::fprintf(stderr, "csv_import: %s\n", law);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rapport::cli::CsvReader reader(text);
  rapport::cli::CsvRecord record;
  int last_line = 0;
  size_t last_position = 0;
  while (reader.Next(record)) {
    Check(reader.position() > last_position, "every record consumes input");
    Check(reader.position() <= reader.size(), "the reader stays inside the text");
    last_position = reader.position();
    Check(record.line >= last_line && record.line >= 1, "line numbers start at 1 and grow");
    last_line = record.line;
    if (!record.error.empty()) {
      Check(record.error_field >= 1, "a malformed record names the field (1-based)");
      continue;
    }
    // Round trip: written back and read again, the fields are the same.
    std::string written;
    rapport::cli::AppendCsvRecord(written, record.fields);
    rapport::cli::CsvReader again(written);
    rapport::cli::CsvRecord reread;
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (blank) continue;  // a lone empty field is a blank line, which the reader skips
    Check(again.Next(reread), "a written record reads back");
    Check(reread.error.empty(), "a written record is well formed");
    Check(reread.fields == record.fields, "a written record reads back as the same fields");
  }
  return 0;
}
