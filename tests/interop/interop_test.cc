// A client built by someone else's toolchain talks to the sync server: pull_records.py, with
// Python stubs generated at run time from proto/ by Debian's protoc + grpc_python_plugin (and,
// separately, by python3-grpc-tools), opens a plain gRPC Session and pulls every record. The
// server runs in-process on an OS-chosen loopback port, seeded through the C++ client library.
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/auth/token_issuer.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

struct ProcessResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& arg) {
  std::string quoted = "'";
  for (const char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stderr_path) {
  std::string command;
  for (const std::string& arg : argv) command += ShellQuote(arg) + " ";
  command += "2>" + ShellQuote(stderr_path);
  ProcessResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.err = "popen failed for: " + command;
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  std::ifstream err(stderr_path);
  std::stringstream text;
  text << err.rdbuf();
  result.err = text.str();
  return result;
}

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = tmp_.Sub("server");
    options.max_pull_batch_bytes = 200;  // several Pull batches for a few records
    // Real tokens: the Python client must carry one in its metadata like any other client.
    const auth::SigningKey key{.algorithm = auth::SigningKey::Algorithm::kHs256,
                               .hs256_secret = std::string(32, 'k'),
                               .rs256_private_key_pem = ""};
    options.auth.verifier.hs256_secret = key.hs256_secret;
    options.auth.verifier.issuer = "interop-test";
    options.auth.verifier.audience = "rapport";
    auto token =
        auth::IssueToken(key, auth::Claims{.subject = "interop",
                                           .role = auth::Role::kAdmin,
                                           .territories = {},
                                           .branches = {},
                                           .expires_at = absl::ToUnixSeconds(absl::Now()) + 3600,
                                           .issuer = "interop-test",
                                           .audience = "rapport"});
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = *token;
    auto server = server::SyncServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    auto replica = Replica::Open(tmp_.Sub("seed"));
    ASSERT_TRUE(replica.ok()) << replica.status();
    for (const char* name : {"Chen Hardware", "Lina Rice Mill", "Café \"Zürich\" & Söhne",
                             "Wang Tea House", "Okafor Textiles"}) {
      auto change = (*replica)->Apply({Mutation::Create("customer", {{"name", name}})});
      ASSERT_TRUE(change.ok()) << change.status();
      seeded_ids_.push_back(change->created.at(0));
    }
    SyncOptions sync;
    sync.token = token_;
    auto summary = SyncOnce(**replica, server_->address(), sync);
    ASSERT_TRUE(summary.ok()) << summary.status();
    ASSERT_EQ(summary->pushed, seeded_ids_.size());
  }

  // Runs pull_records.py with `extra_args` and returns its parsed JSON output.
  void PullWithPython(const std::vector<std::string>& extra_args,
                      google::protobuf::Struct* output) {
    // Debian's interpreter, not the PATH python3 (pyenv, without grpc). Missing packages fail
    // the test: skipping would let the interop guarantee rot unnoticed.
    const ProcessResult probe = RunProcess(
        {RAPPORT_INTEROP_PYTHON, "-c", "import grpc, grpc_tools.protoc"}, tmp_.Sub("probe"));
    ASSERT_EQ(probe.exit_code, 0)
        << RAPPORT_INTEROP_PYTHON
        << " cannot import grpc and grpc_tools: install the Debian packages python3-grpcio and "
           "python3-grpc-tools (apt-get install python3-grpcio python3-grpc-tools).\n"
        << probe.err;

    std::vector<std::string> argv = {
        RAPPORT_INTEROP_PYTHON, RAPPORT_INTEROP_SCRIPT, "--address", server_->address(),
        "--proto-root",         RAPPORT_PROTO_ROOT,     "--timeout", "30"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    const ProcessResult pull = RunProcess(argv, tmp_.Sub("stderr"));
    ASSERT_EQ(pull.exit_code, 0) << "pull_records.py failed:\n" << pull.err;
    const auto parsed = google::protobuf::util::JsonStringToMessage(pull.out, output);
    ASSERT_TRUE(parsed.ok()) << parsed.ToString() << "\noutput:\n" << pull.out;
  }

  void ExpectExactlyTheSeededRecords(const google::protobuf::Struct& output) {
    const auto& fields = output.fields();
    ASSERT_TRUE(fields.contains("records")) << output.DebugString();
    std::vector<std::string> ids;
    for (const google::protobuf::Value& record : fields.at("records").list_value().values()) {
      ids.push_back(record.struct_value().fields().at("id").string_value());
      EXPECT_EQ(record.struct_value().fields().at("type").string_value(), "customer");
    }
    // Each seeded record exactly once: nothing missing, nothing doubled, nothing else.
    EXPECT_THAT(ids, SizeIs(seeded_ids_.size()));
    EXPECT_THAT(ids, UnorderedElementsAreArray(seeded_ids_));
    EXPECT_THAT(fields.at("server_replica_id").string_value(), SizeIs(16));
    EXPECT_GT(fields.at("checkpoint").number_value(), 0);
    EXPECT_GT(fields.at("pull_batches").number_value(), 1);  // max_pull_batch_bytes = 200
    EXPECT_EQ(fields.at("revocations").number_value(), 0);
  }

  testing::TempDir tmp_;
  std::string token_;
  std::unique_ptr<server::SyncServer> server_;
  std::vector<std::string> seeded_ids_;
};

TEST_F(InteropTest, PythonClientFromDebianProtocPullsEveryRecord) {
  ASSERT_TRUE(std::filesystem::exists(RAPPORT_GRPC_PYTHON_PLUGIN))
      << "grpc_python_plugin not found at configure time (" << RAPPORT_GRPC_PYTHON_PLUGIN
      << "): install the Debian package protobuf-compiler-grpc and re-run cmake";
  google::protobuf::Struct output;
  ASSERT_NO_FATAL_FAILURE(
      PullWithPython({"--generator", "protoc", "--protoc", RAPPORT_PROTOC, "--grpc-python-plugin",
                      RAPPORT_GRPC_PYTHON_PLUGIN, "--token", token_},
                     &output));
  ExpectExactlyTheSeededRecords(output);
}

TEST_F(InteropTest, PythonClientFromGrpcToolsPullsEveryRecord) {
  google::protobuf::Struct output;
  ASSERT_NO_FATAL_FAILURE(
      PullWithPython({"--generator", "grpc_tools", "--token", token_}, &output));
  ExpectExactlyTheSeededRecords(output);
}

}  // namespace
}  // namespace rapport
