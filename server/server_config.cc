#include "server/server_config.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "rapport/v1/server_config.pb.h"

namespace rapport::server {
namespace {

// Collects the parser's messages instead of letting protobuf log them to stderr.
class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors.push_back(absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message));
  }
  std::vector<std::string> errors;
};

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " file '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::Status ApplyConfigText(const std::string& text, const std::string& origin,
                             ServerOptions* options) {
  rapport::v1::ServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", origin, ": ", absl::StrJoin(errors.errors, "; ")));
  }
  if (!config.listen().empty()) options->listen = config.listen();
  if (!config.data_dir().empty()) options->data_dir = config.data_dir();
  if (!config.schema_file().empty()) options->schema_file = config.schema_file();
  if (config.max_pull_batch_bytes() > 0) {
    options->max_pull_batch_bytes = config.max_pull_batch_bytes();
  }
  if (config.pull_memory_budget_bytes() > 0) {
    options->pull_memory_budget_bytes = config.pull_memory_budget_bytes();
  }
  if (config.max_receive_message_bytes() > 0) {
    options->max_receive_message_bytes = config.max_receive_message_bytes();
  }
  if (config.max_concurrent_streams() > 0) {
    options->max_concurrent_streams = config.max_concurrent_streams();
  }
  if (config.metrics_listen() == "off") {
    options->metrics_listen.clear();
  } else if (!config.metrics_listen().empty()) {
    options->metrics_listen = config.metrics_listen();
  }
  if (config.has_auth()) {
    const rapport::v1::Auth& a = config.auth();
    options->auth.required = !a.disabled();
    if (!a.key_file().empty()) options->auth_files.key_file = a.key_file();
    if (!a.public_key_file().empty()) options->auth_files.public_key_file = a.public_key_file();
    if (!a.issuer().empty()) options->auth_files.issuer = a.issuer();
    if (!a.audience().empty()) options->auth_files.audience = a.audience();
    if (a.max_sessions_per_subject() > 0) {
      options->auth.max_sessions_per_subject = a.max_sessions_per_subject();
    }
  }
  if (config.has_tls()) {
    if (config.tls().cert_file().empty() || config.tls().key_file().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", origin, ": tls needs both cert_file and key_file"));
    }
    ASSIGN_OR_RETURN(options->tls_cert_chain_pem, ReadFile(config.tls().cert_file(), "TLS cert"));
    ASSIGN_OR_RETURN(options->tls_private_key_pem, ReadFile(config.tls().key_file(), "TLS key"));
  }
  options->allow_plaintext_non_loopback = config.allow_plaintext_non_loopback();
  if (config.has_upstream()) {
    const rapport::v1::Upstream& up = config.upstream();
    if (up.address().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", origin, ": upstream needs an address (host:port)"));
    }
    options->upstream.address = up.address();
    if (!up.schedule().empty()) options->upstream.schedule = up.schedule();
    if (!up.token_file().empty()) {
      ASSIGN_OR_RETURN(std::string token, ReadFile(up.token_file(), "upstream token"));
      options->upstream.token = std::string(absl::StripAsciiWhitespace(token));
    }
    if (!up.tls_root_ca_file().empty()) {
      ASSIGN_OR_RETURN(options->upstream.tls_root_ca_pem,
                       ReadFile(up.tls_root_ca_file(), "upstream CA"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigFile(const std::string& path, ServerOptions* options) {
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path, "config"));
  return ApplyConfigText(text, absl::StrCat("'", path, "'"), options);
}

}  // namespace rapport::server
