// Finds the record a command names: by id, or by its external_key (the spreadsheet key).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "rapport/record_view.h"
#include "rapport/replica.h"

namespace rapport::cli {

// Exactly one of `id` and `external_key` is set. NotFound names what was looked for.
absl::StatusOr<RecordView> LookUpRecord(const Replica& replica, const std::string& type,
                                        const std::string& id, const std::string& external_key);

}  // namespace rapport::cli
