#include "server/server_auth.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/auth/private_file.h"
#include "core/auth/token_issuer.h"
#include "core/status_macros.h"

namespace rapport::server {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<FirstStart> MakeFirstStart(const AuthFiles& files, const std::string& data_dir) {
  FirstStart first;
  first.key_file = (std::filesystem::path(data_dir) / "auth.key").string();
  first.token_file = (std::filesystem::path(data_dir) / "admin.token").string();
  ASSIGN_OR_RETURN(first.key, auth::GenerateHs256Key());
  const auth::Claims admin{
      .subject = "admin",
      .role = auth::Role::kAdmin,
      .territories = {},
      .branches = {},
      .expires_at = absl::ToUnixSeconds(absl::Now() + kFirstStartAdminTokenLifetime),
      .issuer = files.issuer,
      .audience = files.audience};
  ASSIGN_OR_RETURN(first.admin_token, auth::IssueToken(first.key, admin));
  return first;
}

}  // namespace

absl::StatusOr<std::optional<FirstStart>> PrepareAuth(const AuthFiles& files,
                                                      const std::string& data_dir,
                                                      AuthOptions* auth) {
  auth->required = true;
  auth->verifier.issuer = files.issuer;
  auth->verifier.audience = files.audience;
  if (!files.public_key_file.empty()) {
    ASSIGN_OR_RETURN(auth->verifier.rs256_public_key_pem, ReadText(files.public_key_file));
  }
  if (!files.key_file.empty()) {
    ASSIGN_OR_RETURN(const auth::SigningKey key, auth::LoadSigningKey(files.key_file));
    if (key.algorithm == auth::SigningKey::Algorithm::kRs256 && !files.public_key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "auth: key_file ", files.key_file, " is an RS256 key and public_key_file ",
          files.public_key_file,
          " an RS256 public key; a server verifies with one RS256 key, so configure one of them "
          "(docs/security.md \"Key files and rotation\")"));
    }
    RETURN_IF_ERROR(auth::AddVerificationKey(key, &auth->verifier));
    return std::nullopt;
  }
  if (!files.public_key_file.empty()) return std::nullopt;

  const std::string key_file = (std::filesystem::path(data_dir) / "auth.key").string();
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec)) {
    ASSIGN_OR_RETURN(const auth::SigningKey key, auth::LoadSigningKey(key_file));
    RETURN_IF_ERROR(auth::AddVerificationKey(key, &auth->verifier));
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(FirstStart first, MakeFirstStart(files, data_dir));
  RETURN_IF_ERROR(auth::AddVerificationKey(first.key, &auth->verifier));
  return first;
}

absl::Status WriteFirstStartFiles(const FirstStart& first_start) {
  RETURN_IF_ERROR(auth::WriteHs256KeyFile(first_start.key_file, first_start.key));
  absl::Status token = auth::WriteNewPrivateFile(
      first_start.token_file, absl::StrCat(first_start.admin_token, "\n"), "admin token file");
  if (!token.ok()) {
    return absl::Status(
        token.code(),
        absl::StrCat(token.message(), "; the key ", first_start.key_file,
                     " was written: mint an admin token with `rapport token issue --key ",
                     first_start.key_file, " --subject admin --role admin --days 1`"));
  }
  return absl::OkStatus();
}

}  // namespace rapport::server
