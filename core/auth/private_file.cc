#include "core/auth/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/string_view_compat.h"

namespace rapport::auth {
namespace {

// Closes a POSIX file descriptor when it leaves scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may carry (a failed delayed write).
  int Close() {
    const int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string Errno() { return std::strerror(errno); }

}  // namespace

absl::Status WriteNewPrivateFile(const std::string& path, std::string_view text,
                                 std::string_view what) {
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    const std::string why = Errno();
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(AV(what), " ", path, " already exists; it is never overwritten"));
    }
    return absl::PermissionDeniedError(absl::StrCat("creating ", AV(what), " ", path, ": ", why));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = Errno();
      unlink(path.c_str());
      return absl::InternalError(absl::StrCat("writing ", AV(what), " ", path, ": ", why));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0 || fd.Close() != 0) {
    const std::string why = Errno();
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("writing ", AV(what), " ", path, ": ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPrivateFile(const std::string& path, std::string_view what,
                                            size_t max_bytes) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const std::string why = Errno();
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(AV(what), " ", path, ": ", why));
    return absl::PermissionDeniedError(absl::StrCat(AV(what), " ", path, ": ", why));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return absl::InternalError(absl::StrCat(AV(what), " ", path, ": ", Errno()));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " ", path, ": not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s %s: mode %04o lets group or others read or write it; run "
                        "`chmod 600 %s`",
                        AV(what), path, st.st_mode & 07777, path));
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " ", path, ": ", st.st_size,
                                                   " bytes is too large for a ", AV(what)));
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat(AV(what), " ", path, ": ", Errno()));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return content;
}

}  // namespace rapport::auth
