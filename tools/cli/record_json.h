// The JSON form of a record's fields, shared by JSON Lines, the JSON-encoded cells of CSV files
// and `--json` output (docs/cli.md, "Formats"):
//   value      its scalar (value_text.h)
//   counter    integer
//   set        array of strings, ascending
//   timeline   array of entries {"id", "occurred_at", ["retracted": true], sub-field: value...}
//   map        object key -> {sub-field: value...}
// Pure functions; thread-safe.
#pragma once

#include <set>
#include <string>

#include "absl/status/status.h"
#include "core/schema/schema.h"
#include "rapport/record_view.h"
#include "tools/cli/json_value.h"

namespace rapport::cli {

// The JSON form of top-level field `spec` of `record`; null when the record does not hold it.
JsonValue FieldToJson(const schema::FieldSpec& spec, const RecordView& record);
// {"id": ..., every field the record holds, in schema order}. `with_conflicts` adds
// "conflicts": {field: [values not displayed]} when there are any, and "deleted": true.
JsonValue RecordToJson(const schema::RecordType& type, const RecordView& record,
                       bool with_conflicts = false);

// Decodes the JSON form of field `spec` into `record` (replacing what it held for the field).
// InvalidArgument names the field (and entry) and why.
absl::Status FieldFromJson(const schema::FieldSpec& spec, const JsonValue& json,
                           RecordView& record);

// Whether two records hold the same field contents (ids of records and entries ignored):
// the round-trip equality of import and export.
bool SameContents(const RecordView& a, const RecordView& b);
// Whether two entries hold the same occurred_at, retraction and fields.
bool SameEntry(const EntryView& a, const EntryView& b);

}  // namespace rapport::cli
