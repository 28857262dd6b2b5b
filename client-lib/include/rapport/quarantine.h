// Changes the server refused, kept on the device instead of being dropped: the app lists them
// (with the server's reason), asks for one to be pushed again at the next sync (after the
// rights were fixed, say), or discards it, which drops the device's copy of the record and
// fetches the server's again at the next sync. docs/security.md, "Quarantine".
//
// Thread-safe, as Replica.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/replica.h"

namespace rapport {

struct QuarantinedChange {
  std::string record_id;
  int code = 0;         // absl::StatusCode of the refusal, e.g. 7 (PERMISSION_DENIED)
  std::string message;  // the server's reason (which field, which rule)
  int64_t refused_at_ms = 0;
  bool retry_pending = false;
};

absl::StatusOr<std::vector<QuarantinedChange>> ListQuarantine(const Replica& replica);
// NotFound if the record has nothing in quarantine.
absl::Status RetryQuarantined(Replica& replica, const std::string& record_id);
absl::Status DiscardQuarantined(Replica& replica, const std::string& record_id);

}  // namespace rapport
