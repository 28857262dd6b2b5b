// Turns LMDB return codes into absl::Status values that say what failed, on which table, and
// why (mdb_strerror). The LMDB code rides along as a payload so callers can react to specific
// conditions (MDB_MAP_FULL: grow the map and retry) without parsing messages.
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rapport::store {

// Status for LMDB return code `rc` (must not be MDB_SUCCESS). `op` names the operation
// ("put", "open environment"), `table` the sub-database or path it touched.
// The code is chosen by what the caller should do: MDB_MAP_FULL is ResourceExhausted (the store
// grows the map and retries), MDB_CORRUPTED/MDB_PAGE_NOTFOUND are DataLoss, MDB_INVALID and
// MDB_VERSION_MISMATCH are FailedPrecondition, MDB_READERS_FULL is Unavailable.
absl::Status MdbStatus(int rc, absl::string_view op, absl::string_view table);

// The LMDB return code carried by a status made by MdbStatus, if any.
std::optional<int> MdbCodeOf(const absl::Status& status);

inline bool IsMdbCode(const absl::Status& status, int rc) { return MdbCodeOf(status) == rc; }

}  // namespace rapport::store
