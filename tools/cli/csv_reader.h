// An RFC 4180 CSV reader over a whole text in memory: fields separated by commas, records by
// CRLF or LF, double-quoted fields may hold commas, quotes ("") and line breaks. A UTF-8 byte
// order mark at the start is skipped. Each record carries the physical line it starts on, so
// errors can point at the spreadsheet row. Not thread-safe (one reader per thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::cli {

struct CsvRecord {
  int line = 0;  // 1-based physical line the record starts on
  std::vector<std::string> fields;
  // Empty for a well-formed record; otherwise why the record is malformed and which field
  // (1-based) it went wrong in. A malformed record's fields are not meaningful.
  std::string error;
  size_t error_field = 0;
};

class CsvReader {
 public:
  // `text` must outlive the reader.
  explicit CsvReader(std::string_view text);

  // Reads the next record into `record`; false at the end of the text. Blank lines are
  // skipped. A malformed record (an unterminated quoted field, text after a closing quote) is
  // returned with `error` set, and reading resumes on the line after the one it started on, so
  // one stray quote costs one row, not the rest of the file.
  bool Next(CsvRecord& record);

  // Bytes consumed so far (for progress).
  size_t position() const { return pos_; }
  size_t size() const { return text_.size(); }

 private:
  // Advances past the end of the line starting at `from`; returns the new position.
  size_t SkipLine(size_t from) const;

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace rapport::cli
