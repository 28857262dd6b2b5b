// What one imported row does to the store: the checks the schema makes (run before the batch,
// so one bad row is refused alone and with its column) and the mutations that create the record
// or bring an existing one to the row's contents. Pure functions; thread-safe.
//
// Update rules (docs/cli.md, "Re-import"): only fields the input names are touched; a value
// is set when it differs from the displayed one; a counter is moved by the difference; a set
// gets the row's elements exactly; timeline entries the record already has (same id, or same
// time and fields) are skipped and new ones appended, none is ever retracted by an import; map
// entries get the sub-fields the row gives.
#pragma once

#include <string>
#include <vector>

#include "core/schema/schema.h"
#include "rapport/mutation.h"
#include "rapport/record_view.h"
#include "tools/cli/input_rows.h"

namespace rapport::cli {

// Appends an issue to `row.issues` for every value that breaks a rule of its field (type,
// enum, pattern, length, range, UTF-8), and, when `creating`, for every required field the row
// leaves empty. Timeline entries and map entries are checked for their required sub-fields.
void CheckRow(const schema::RecordType& type, bool creating, InputRow& row);

// Counts of what a batch has created so far, for "@N" references.
struct BatchRefs {
  size_t records = 0;
  size_t entries = 0;
};

// Appends the mutations of `row` to `out`: a new record when `existing` is null, otherwise
// the changes that make `existing` show the row. Returns false when an existing record needs no
// change.
bool AppendRowMutations(const schema::RecordType& type, const InputRow& row,
                        const RecordView* existing, BatchRefs& refs, std::vector<Mutation>& out);

}  // namespace rapport::cli
