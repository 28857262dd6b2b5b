#include "tools/cli/csv_reader.h"

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"

namespace rapport::cli {

CsvReader::CsvReader(std::string_view text) : text_(text) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

size_t CsvReader::SkipLine(size_t from) const {
  const size_t nl = text_.find('\n', from);
  return nl == std::string_view::npos ? text_.size() : nl + 1;
}

bool CsvReader::Next(CsvRecord& record) {
  // Skip blank lines (an empty line is not a record with one empty field).
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;

  record.line = line_;
  record.fields.clear();
  record.error.clear();
  record.error_field = 0;
  const size_t start = pos_;
  const int start_line = line_;
  // Says where reading goes on, since the rest of the file is still read.
  auto fail = [&](std::string_view why) {
    pos_ = SkipLine(start);
    line_ = start_line + 1;
    record.error =
        pos_ < text_.size()
            ? absl::StrCat(AV(why), "; this row is skipped and reading resumes on line ", line_)
            : absl::StrCat(AV(why), "; this row, the last row of the file, is skipped");
    record.error_field = record.fields.size() + 1;
    return true;
  };

  std::string field;
  for (;;) {
    field.clear();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      for (;;) {
        const size_t quote = text_.find('"', pos_);
        if (quote == std::string_view::npos) {
          return fail("unterminated quoted field: no closing '\"' in the rest of the file");
        }
        for (size_t i = pos_; i < quote; ++i) {
          if (text_[i] == '\n') ++line_;
        }
        field.append(text_.substr(pos_, quote - pos_));
        pos_ = quote + 1;
        if (pos_ < text_.size() && text_[pos_] == '"') {  // "" is one quote
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
          !(text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'))) {
        return fail(
            "text after a closing quote (a quote inside a quoted field must be doubled: \"\"); "
            "the quoted field may be unterminated");
      }
    } else {
      const size_t end = text_.find_first_of(",\n", pos_);
      const size_t stop = end == std::string_view::npos ? text_.size() : end;
      std::string_view raw = text_.substr(pos_, stop - pos_);
      if (!raw.empty() && raw.back() == '\r' && (stop == text_.size() || text_[stop] == '\n')) {
        raw.remove_suffix(1);
      }
      if (raw.find('"') != std::string_view::npos) {
        return fail("a quote inside an unquoted field (quote the whole field and double it)");
      }
      field.assign(raw);
      pos_ = stop;
    }
    record.fields.push_back(field);
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == ',') {
      ++pos_;
      if (pos_ >= text_.size()) {  // trailing comma at the end of the text: one empty field
        record.fields.emplace_back();
        return true;
      }
      continue;
    }
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return true;
  }
}

}  // namespace rapport::cli
