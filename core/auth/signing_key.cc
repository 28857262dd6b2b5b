#include "core/auth/signing_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/auth/openssl_crypto.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::auth {
namespace {

// Key files are small; anything larger is not a key file.
constexpr off_t kMaxKeyFileBytes = 64 * 1024;

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

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const std::string why = Errno();
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("key file ", path, ": ", why));
    return absl::PermissionDeniedError(absl::StrCat("key file ", path, ": ", why));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return absl::InternalError(absl::StrCat("key file ", path, ": ", Errno()));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("key file ", path, ": not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "key file %s: mode %04o lets group or others read or write a signing key; run "
        "`chmod 600 %s`",
        path, st.st_mode & 07777, path));
  }
  if (st.st_size > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": ", st.st_size, " bytes is too large for a key file"));
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("key file ", path, ": ", Errno()));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return content;
}

// Standard or URL-safe base64, padding optional, whitespace anywhere ignored.
bool DecodeBase64Secret(std::string_view text, std::string* secret) {
  std::string compact;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '=') continue;
    if (c == '+') c = '-';
    if (c == '/') c = '_';
    compact += c;
  }
  for (char c : compact) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return !compact.empty() && compact.size() % 4 != 1 &&
         absl::WebSafeBase64Unescape(compact, secret);
}

}  // namespace

absl::StatusOr<SigningKey> LoadSigningKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string content, ReadKeyFile(path));
  SigningKey key;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(content), "-----BEGIN")) {
    auto parsed = internal::ParseRsaPrivateKeyPem(content);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file ", path, ": ", parsed.status().message()));
    }
    key.algorithm = SigningKey::Algorithm::kRs256;
    key.rs256_private_key_pem = std::move(content);
    return key;
  }
  key.algorithm = SigningKey::Algorithm::kHs256;
  if (!DecodeBase64Secret(content, &key.hs256_secret)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path,
        ": neither a PEM RSA private key nor a base64 HS256 secret (make one with `openssl rand "
        "-base64 32`)"));
  }
  if (key.hs256_secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, ": the HS256 secret is ", key.hs256_secret.size(), " bytes; at least ",
        kMinHs256SecretBytes, " are required (`openssl rand -base64 32`)"));
  }
  return key;
}

absl::Status GenerateHs256KeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string secret, internal::RandomBytes(kMinHs256SecretBytes));
  const std::string text = absl::StrCat(absl::Base64Escape(secret), "\n");
  // O_EXCL: never replace an existing key; 0600 from the start, so no window where the secret
  // is readable by others (the umask can only remove bits).
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    const std::string why = Errno();
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("key file ", path, " already exists; it is never overwritten"));
    }
    return absl::PermissionDeniedError(absl::StrCat("creating key file ", path, ": ", why));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = Errno();
      unlink(path.c_str());
      return absl::InternalError(absl::StrCat("writing key file ", path, ": ", why));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0 || fd.Close() != 0) {
    const std::string why = Errno();
    unlink(path.c_str());
    return absl::InternalError(absl::StrCat("writing key file ", path, ": ", why));
  }
  return absl::OkStatus();
}

absl::Status AddVerificationKey(const SigningKey& key, VerifierConfig* config) {
  switch (key.algorithm) {
    case SigningKey::Algorithm::kHs256:
      config->hs256_secret = key.hs256_secret;
      return absl::OkStatus();
    case SigningKey::Algorithm::kRs256: {
      ASSIGN_OR_RETURN(internal::EvpPkeyPtr private_key,
                       internal::ParseRsaPrivateKeyPem(key.rs256_private_key_pem));
      ASSIGN_OR_RETURN(config->rs256_public_key_pem, internal::PublicKeyPem(private_key.get()));
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown signing key algorithm");
}

}  // namespace rapport::auth
