// The export formats, readable again by `rapport import` (docs/cli.md, "Formats"):
// CSV with a header `id,<every field of the type in schema order>`, values as text and
// counters as integers, sets, timelines and maps as JSON in their cells; JSON Lines with one
// object per record ({"id", field: JSON form...}, fields the record does not hold left out).
// Only displayed values are exported: the siblings of a conflict stay in the store (`rapport
// conflicts`). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/schema/schema.h"
#include "rapport/record_view.h"

namespace rapport::cli {

std::vector<std::string> CsvHeader(const schema::RecordType& type);
std::vector<std::string> CsvCells(const schema::RecordType& type, const RecordView& record);

// Appends the whole file: header and rows (CSV), or one line per record (JSON Lines).
void AppendCsv(const schema::RecordType& type, const std::vector<RecordView>& records,
               std::string& out);
void AppendJsonLines(const schema::RecordType& type, const std::vector<RecordView>& records,
                     std::string& out);

}  // namespace rapport::cli
