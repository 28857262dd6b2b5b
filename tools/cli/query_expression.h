// Index queries written on the command line (`find`, `export --query`), against the schema's
// indexed fields (docs/cli.md, "Queries"):
//   FIELD=VALUE      equals (EXACT, PREFIX folded, RANGE); on a set: has the element
//   FIELD^=TEXT      prefix of a PREFIX-indexed string (case, width and separators ignored)
//   FIELD=LO..HI     range LO <= value < HI on a RANGE index; either bound may be left out
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/schema/schema.h"
#include "rapport/query.h"
#include "rapport/replica.h"

namespace rapport::cli {

absl::StatusOr<Query> ParseQueryExpression(const schema::RecordType& type,
                                           const std::string& expression);

// Every id the query matches, following next_cursor to the end.
absl::StatusOr<std::vector<std::string>> AllMatches(const Replica& replica, Query query);

}  // namespace rapport::cli
