#include "tools/cli/token_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/auth/token_issuer.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"
#include "tools/cli/command_common.h"

namespace rapport::cli {
namespace {

struct TokenFlags {
  std::string key_file;
  std::string subject;
  std::string role;
  std::vector<std::string> territories;
  std::vector<std::string> branches;
  std::string issuer = "rapportd";
  std::string audience = "rapport";
  int days = 30;
};

absl::Status RunIssue(const TokenFlags& flags) {
  const std::optional<auth::Role> role = auth::ParseRole(flags.role);
  if (!role) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role '", flags.role, "' is not one of rep, manager, admin, replica"));
  }
  if (flags.days <= 0) return absl::InvalidArgumentError("--days must be at least 1");
  ASSIGN_OR_RETURN(const auth::SigningKey key, auth::LoadSigningKey(flags.key_file));
  const auth::Claims claims{
      .subject = flags.subject,
      .role = *role,
      .territories = flags.territories,
      .branches = flags.branches,
      .expires_at = absl::ToUnixSeconds(absl::Now()) + int64_t{flags.days} * 86400,
      .issuer = flags.issuer,
      .audience = flags.audience};
  ASSIGN_OR_RETURN(const std::string token, auth::IssueToken(key, claims));
  std::cout << token << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddTokenCommand(CLI::App& app, int* exit_code) {
  CLI::App* token = app.add_subcommand("token", "Bearer tokens for rapportd");
  token->require_subcommand(1);
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* issue = token->add_subcommand("issue", "Mint a token signed with a key file");
  issue->add_option("--key", flags->key_file, "signing key file (rapportd's auth.key)")->required();
  issue->add_option("--subject", flags->subject, "who: a user name or a branch id")->required();
  issue->add_option("--role", flags->role, "rep, manager, admin or replica")->required();
  issue->add_option("--territory", flags->territories, "a territory in scope (repeatable)");
  issue->add_option("--branch", flags->branches, "a branch in scope (repeatable)");
  issue->add_option("--issuer", flags->issuer, "iss claim")->capture_default_str();
  issue->add_option("--audience", flags->audience, "aud claim")->capture_default_str();
  issue->add_option("--days", flags->days, "valid for this many days")->capture_default_str();
  SetAction(issue, exit_code, [flags] { return RunIssue(*flags); });
}

}  // namespace rapport::cli
