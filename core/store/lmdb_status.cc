#include "core/store/lmdb_status.h"

#include <lmdb.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rapport::store {
namespace {

constexpr absl::string_view kPayloadUrl = "type.rapport/lmdb.rc";

absl::StatusCode CodeFor(int rc) {
  switch (rc) {
    case MDB_MAP_FULL:
    case MDB_DBS_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
    case ENOSPC:
    case ENOMEM:
      return absl::StatusCode::kResourceExhausted;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      return absl::StatusCode::kDataLoss;
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
    case MDB_MAP_RESIZED:
      return absl::StatusCode::kFailedPrecondition;
    case MDB_READERS_FULL:
    case EAGAIN:
    case EBUSY:
      return absl::StatusCode::kUnavailable;
    case MDB_BAD_VALSIZE:
      return absl::StatusCode::kInvalidArgument;
    case MDB_NOTFOUND:
      return absl::StatusCode::kNotFound;
    case MDB_KEYEXIST:
      return absl::StatusCode::kAlreadyExists;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status MdbStatus(int rc, absl::string_view op, absl::string_view table) {
  absl::Status status(CodeFor(rc),
                      absl::StrCat("lmdb ", op, " on '", table, "' failed: ", mdb_strerror(rc)));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(rc)));
  return status;
}

std::optional<int> MdbCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);  // absl::optional, not std:: in Debian's build
  int rc = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &rc)) return std::nullopt;
  return rc;
}

}  // namespace rapport::store
