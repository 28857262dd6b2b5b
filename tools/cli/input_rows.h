// Rows of an import file decoded against the schema: each row becomes the record contents it
// describes (a RecordView without ids of its own), or the reasons it cannot be imported, with
// the line and column to point at. CSV cells hold values as text and sets, timelines and maps
// as JSON (a set may also be written `a;b;c`); JSON Lines objects hold them as JSON
// (record_json.h). Not thread-safe (one source per thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "rapport/record_view.h"
#include "tools/cli/field_mapping.h"

namespace rapport::cli {

// Why a row (or one of its cells) was refused.
struct RowIssue {
  int line = 0;
  std::string column;  // the input's column name (or field), empty for the row as a whole
  std::string reason;
};

struct InputRow {
  int line = 0;
  RecordView data;                   // data.id: the row's "id" column, if any
  std::string id_column;             // the input's name of that column (or JSON key)
  std::vector<std::string> present;  // the fields the input names, in input order
  std::vector<RowIssue> issues;      // not empty: the row is refused
};

class RowSource {
 public:
  virtual ~RowSource() = default;
  // Decodes the next row; false at the end of the input.
  virtual bool Next(InputRow& row) = 0;
  // Fraction of the input read so far, for progress.
  virtual double fraction_done() const = 0;
};

// `text` must outlive the source. InvalidArgument for a header that names an unknown field or
// the same field twice (nothing can be imported then).
absl::StatusOr<std::unique_ptr<RowSource>> OpenCsvRows(std::string_view text,
                                                       const schema::RecordType& type,
                                                       const FieldMapping& mapping);
absl::StatusOr<std::unique_ptr<RowSource>> OpenJsonLinesRows(std::string_view text,
                                                             const schema::RecordType& type,
                                                             const FieldMapping& mapping);

}  // namespace rapport::cli
