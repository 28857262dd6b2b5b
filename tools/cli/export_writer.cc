#include "tools/cli/export_writer.h"

#include "tools/cli/csv_writer.h"
#include "tools/cli/record_json.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {

std::vector<std::string> CsvHeader(const schema::RecordType& type) {
  std::vector<std::string> header = {"id"};
  for (const schema::FieldSpec& spec : type.fields()) header.push_back(spec.name());
  return header;
}

std::vector<std::string> CsvCells(const schema::RecordType& type, const RecordView& record) {
  std::vector<std::string> cells = {record.id};
  for (const schema::FieldSpec& spec : type.fields()) {
    if (spec.kind() == crdt::FieldKind::kValue) {
      auto it = record.values.find(spec.name());
      cells.push_back(it == record.values.end() ? "" : FormatValueText(it->second.displayed));
      continue;
    }
    const JsonValue json = FieldToJson(spec, record);
    if (json.is_null()) {
      cells.emplace_back();
    } else if (const JsonValue::Number* n = json.as_number()) {
      cells.push_back(n->text);
    } else {
      cells.push_back(json.Serialize());
    }
  }
  return cells;
}

void AppendCsv(const schema::RecordType& type, const std::vector<RecordView>& records,
               std::string& out) {
  AppendCsvRecord(out, CsvHeader(type));
  for (const RecordView& record : records) AppendCsvRecord(out, CsvCells(type, record));
}

void AppendJsonLines(const schema::RecordType& type, const std::vector<RecordView>& records,
                     std::string& out) {
  for (const RecordView& record : records) {
    out += RecordToJson(type, record).Serialize();
    out += "\n";
  }
}

}  // namespace rapport::cli
