#include "server/server_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/auth/signing_key.h"
#include "core/auth/token_issuer.h"
#include "core/status_macros.h"

namespace rapport::server {
namespace {

constexpr int64_t kAdminTokenDays = 90;

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status WritePrivateFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "'"));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return absl::DataLossError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> PrepareAuth(const AuthFiles& files,
                                                       const std::string& data_dir,
                                                       AuthOptions* auth) {
  auth->required = true;
  auth->verifier.issuer = files.issuer;
  auth->verifier.audience = files.audience;
  if (!files.public_key_file.empty() && files.key_file.empty()) {
    ASSIGN_OR_RETURN(auth->verifier.rs256_public_key_pem, ReadText(files.public_key_file));
    return std::nullopt;
  }
  std::string key_file = files.key_file;
  bool generated = false;
  if (key_file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    key_file = (std::filesystem::path(data_dir) / "auth.key").string();
    if (!std::filesystem::exists(key_file, ec)) {
      RETURN_IF_ERROR(auth::GenerateHs256KeyFile(key_file));
      generated = true;
    }
  }
  ASSIGN_OR_RETURN(const auth::SigningKey key, auth::LoadSigningKey(key_file));
  RETURN_IF_ERROR(auth::AddVerificationKey(key, &auth->verifier));
  if (!generated) return std::nullopt;
  const auth::Claims admin{.subject = "admin",
                           .role = auth::Role::kAdmin,
                           .territories = {},
                           .branches = {},
                           .expires_at = absl::ToUnixSeconds(absl::Now()) + kAdminTokenDays * 86400,
                           .issuer = files.issuer,
                           .audience = files.audience};
  ASSIGN_OR_RETURN(std::string token, auth::IssueToken(key, admin));
  RETURN_IF_ERROR(
      WritePrivateFile((std::filesystem::path(data_dir) / "admin.token").string(), token + "\n"));
  return token;
}

}  // namespace rapport::server
