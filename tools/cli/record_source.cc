#include "tools/cli/record_source.h"

#include "core/status_macros.h"
#include "tools/cli/query_expression.h"

namespace rapport::cli {

absl::StatusOr<std::vector<RecordView>> LoadRecords(const Replica& replica, const std::string& type,
                                                    const std::optional<Query>& query,
                                                    bool include_deleted) {
  std::vector<RecordView> records;
  if (!query.has_value()) {
    RETURN_IF_ERROR(replica.ForEachRecord([&](const RecordView& record) {
      if (record.type == type && (include_deleted || (!record.deleted && !record.erased))) {
        records.push_back(record);
      }
      return true;
    }));
    return records;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> ids, AllMatches(replica, *query));
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::optional<RecordView> record, replica.Get(id));
    if (record.has_value()) records.push_back(*std::move(record));
  }
  return records;
}

}  // namespace rapport::cli
