// A record as text for the terminal: one line per field in schema order, conflicts shown
// beside the displayed value, timeline entries and map entries indented below their field.
#pragma once

#include <ostream>

#include "core/schema/schema.h"
#include "rapport/record_view.h"

namespace rapport::cli {

void PrintRecord(const schema::RecordType& type, const RecordView& record, std::ostream& out);

}  // namespace rapport::cli
