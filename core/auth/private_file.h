// Files only their owner may read: signing keys and bearer tokens. Created with mode 0600 from
// the first byte (the umask can only remove bits, so there is no window where others may read),
// never replaced, fsync'ed; read back only if group and others still have no access, like ssh's
// private keys. Free functions; no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rapport::auth {

// Creates `path` holding `text`. `what` names the file in messages ("key file"). AlreadyExists if
// `path` exists (a key is never silently replaced: that would invalidate every token it signed),
// PermissionDenied if it cannot be created, Internal if writing or syncing fails (the partial
// file is removed).
absl::Status WriteNewPrivateFile(const std::string& path, std::string_view text,
                                 std::string_view what);

// The content of `path`. NotFound if it is missing, FailedPrecondition if its mode lets group or
// others read or write it (the message says `chmod 600`), InvalidArgument if it is not a regular
// file or is larger than `max_bytes`.
absl::StatusOr<std::string> ReadPrivateFile(const std::string& path, std::string_view what,
                                            size_t max_bytes);

}  // namespace rapport::auth
