#include "tools/cli/record_lookup.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace rapport::cli {

absl::StatusOr<RecordView> LookUpRecord(const Replica& replica, const std::string& type,
                                        const std::string& id, const std::string& external_key) {
  if (id.empty() == external_key.empty()) {
    return absl::InvalidArgumentError("name the record by its ID or by --key EXTERNAL_KEY");
  }
  std::string record_id = id;
  if (!external_key.empty()) {
    Query q = Query::Equals("external_key", external_key);
    q.type = type;
    q.limit = 1;
    ASSIGN_OR_RETURN(QueryResult found, replica.Query(q));
    if (found.ids.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no record with external_key \"", external_key, "\""));
    }
    record_id = found.ids.front();
  }
  ASSIGN_OR_RETURN(std::optional<RecordView> record, replica.Get(record_id));
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("no record ", record_id, " in this store"));
  }
  return *std::move(record);
}

}  // namespace rapport::cli
