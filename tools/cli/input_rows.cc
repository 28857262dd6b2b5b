#include "tools/cli/input_rows.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/string_view_compat.h"
#include "tools/cli/csv_reader.h"
#include "tools/cli/json_value.h"
#include "tools/cli/record_json.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

using crdt::FieldKind;

// One CSV cell into `row.data`.
absl::Status DecodeCell(const schema::FieldSpec& spec, const std::string& cell, RecordView& data) {
  switch (spec.kind()) {
    case FieldKind::kValue: {
      absl::StatusOr<Value> value = ParseValueText(spec, cell);
      if (!value.ok()) return value.status();
      data.values[spec.name()] = ValueView{*std::move(value), {}};
      return absl::OkStatus();
    }
    case FieldKind::kCounter:
      return FieldFromJson(spec, JsonValue(cell), data);
    case FieldKind::kSet:
      if (!cell.empty() && cell.front() != '[') {  // the spreadsheet-friendly form a;b;c
        JsonValue::Array items;
        for (absl::string_view part : absl::StrSplit(cell, ';', absl::SkipWhitespace())) {
          items.emplace_back(std::string(absl::StripAsciiWhitespace(part)));
        }
        return FieldFromJson(spec, JsonValue(std::move(items)), data);
      }
      [[fallthrough]];
    case FieldKind::kTimeline:
    case FieldKind::kMap: {
      if (cell.empty()) return FieldFromJson(spec, JsonValue(), data);
      absl::StatusOr<JsonValue> json = ParseJson(cell);
      if (!json.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field \"", spec.name(), "\" holds JSON in CSV: ", json.status().message()));
      }
      return FieldFromJson(spec, *json, data);
    }
  }
  return absl::OkStatus();
}

class CsvRows : public RowSource {
 public:
  CsvRows(std::string_view text, const schema::RecordType& type) : reader_(text), type_(type) {}

  // Reads the header and resolves each column.
  absl::Status Init(const FieldMapping& mapping) {
    CsvRecord header;
    if (!reader_.Next(header)) return absl::InvalidArgumentError("the CSV file is empty");
    if (!header.error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", header.line, ": the header row is malformed: ", header.error));
    }
    std::set<std::string> seen;
    for (const std::string& column : header.fields) {
      const std::string field = mapping.FieldFor(column);
      Column c{column, nullptr, false};
      if (field.empty()) {
        // ignored by the mapping
      } else if (field == "id") {
        c.is_id = true;
      } else {
        c.spec = type_.FindField(field);
        if (c.spec == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", header.line, ": column \"", column,
                           "\" names no field of type \"", type_.name(), "\"",
                           field != column ? absl::StrCat(" (mapped to \"", field, "\")") : "",
                           "; rename it, or map it with --mapping (field \"-\" ignores it)"));
        }
      }
      if (!field.empty() && !seen.insert(field).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", header.line, ": field \"", field, "\" is named by two columns"));
      }
      columns_.push_back(c);
    }
    return absl::OkStatus();
  }

  bool Next(InputRow& row) override {
    CsvRecord record;
    if (!reader_.Next(record)) return false;
    row = InputRow();
    row.line = record.line;
    if (!record.error.empty()) {
      const size_t i = record.error_field - 1;
      row.issues.push_back(
          {record.line, i < columns_.size() ? columns_[i].name : "", record.error});
      return true;
    }
    if (record.fields.size() != columns_.size()) {
      row.issues.push_back({record.line, "",
                            absl::StrCat("the row has ", record.fields.size(),
                                         " fields but the header has ", columns_.size())});
      return true;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      const Column& c = columns_[i];
      if (c.is_id) {
        row.data.id = record.fields[i];
        row.id_column = c.name;
        continue;
      }
      if (c.spec == nullptr) continue;
      row.present.push_back(c.spec->name());
      absl::Status s = DecodeCell(*c.spec, record.fields[i], row.data);
      if (!s.ok()) row.issues.push_back({record.line, c.name, std::string(s.message())});
    }
    return true;
  }

  double fraction_done() const override {
    return reader_.size() == 0 ? 1.0 : static_cast<double>(reader_.position()) / reader_.size();
  }

 private:
  struct Column {
    std::string name;
    const schema::FieldSpec* spec;  // null: ignored (or the id column)
    bool is_id;
  };
  CsvReader reader_;
  const schema::RecordType& type_;
  std::vector<Column> columns_;
};

class JsonLinesRows : public RowSource {
 public:
  JsonLinesRows(std::string_view text, const schema::RecordType& type, const FieldMapping& mapping)
      : text_(text), type_(type), mapping_(mapping) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  bool Next(InputRow& row) override {
    std::string_view line;
    for (;;) {
      if (pos_ >= text_.size()) return false;
      const size_t nl = text_.find('\n', pos_);
      const size_t end = nl == std::string_view::npos ? text_.size() : nl;
      line = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      ++line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") != std::string_view::npos) break;
    }
    row = InputRow();
    row.line = line_;
    absl::StatusOr<JsonValue> json = ParseJson(line);
    if (!json.ok() || json->as_object() == nullptr) {
      row.issues.push_back(
          {line_, "",
           json.ok() ? "the line is not a JSON object" : std::string(json.status().message())});
      return true;
    }
    std::set<std::string> seen;
    for (const auto& [key, value] : *json->as_object()) {
      const std::string field = mapping_.FieldFor(key);
      if (field.empty()) continue;
      if (!seen.insert(field).second) {
        row.issues.push_back({line_, key, absl::StrCat("field \"", field, "\" is given twice")});
        continue;
      }
      if (field == "id") {
        row.id_column = key;
        if (const std::string* id = value.as_string()) {
          row.data.id = *id;
        } else if (!value.is_null()) {
          row.issues.push_back({line_, key,
                                absl::StrCat("a record id is a string of 26 characters, not a "
                                             "JSON ",
                                             AV(value.TypeName()))});
        }
        continue;
      }
      const schema::FieldSpec* spec = type_.FindField(field);
      if (spec == nullptr) {
        row.issues.push_back(
            {line_, key,
             absl::StrCat("\"", field, "\" is not a field of type \"", type_.name(), "\"")});
        continue;
      }
      row.present.push_back(spec->name());
      absl::Status s = FieldFromJson(*spec, value, row.data);
      if (!s.ok()) row.issues.push_back({line_, key, std::string(s.message())});
    }
    return true;
  }

  double fraction_done() const override {
    return text_.empty() ? 1.0 : std::min(1.0, static_cast<double>(pos_) / text_.size());
  }

 private:
  std::string_view text_;
  const schema::RecordType& type_;
  const FieldMapping& mapping_;
  size_t pos_ = 0;
  int line_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RowSource>> OpenCsvRows(std::string_view text,
                                                       const schema::RecordType& type,
                                                       const FieldMapping& mapping) {
  auto rows = std::make_unique<CsvRows>(text, type);
  absl::Status s = rows->Init(mapping);
  if (!s.ok()) return s;
  return std::unique_ptr<RowSource>(std::move(rows));
}

absl::StatusOr<std::unique_ptr<RowSource>> OpenJsonLinesRows(std::string_view text,
                                                             const schema::RecordType& type,
                                                             const FieldMapping& mapping) {
  return std::unique_ptr<RowSource>(std::make_unique<JsonLinesRows>(text, type, mapping));
}

}  // namespace rapport::cli
