// The records a command works on: every live record of the store (deleted and erased left out
// unless asked), or those an index query matches. Detached copies, in store order.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "rapport/query.h"
#include "rapport/record_view.h"
#include "rapport/replica.h"

namespace rapport::cli {

absl::StatusOr<std::vector<RecordView>> LoadRecords(const Replica& replica, const std::string& type,
                                                    const std::optional<Query>& query,
                                                    bool include_deleted = false);

}  // namespace rapport::cli
