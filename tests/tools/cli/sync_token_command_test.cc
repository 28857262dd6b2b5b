// `rapport token issue` and `rapport sync` against a rapportd that verifies the tokens: a rep's
// token pulls only the rep's territory, a tampered token is refused, and --json parses.
#include <filesystem>
#include <memory>
#include <string>

#include "core/auth/signing_key.h"
#include "gtest/gtest.h"
#include "server/server_auth.h"
#include "server/sync_server.h"
#include "tests/temp_dir.h"
#include "tests/tools/cli/run_rapport.h"
#include "tools/cli/json_value.h"

namespace rapport::cli {
namespace {

TEST(RapportSyncCommand, TokenIssueThenSyncPullsTheRepsScopeOnly) {
  testing::TempDir tmp;
  const std::string key = tmp.Sub("auth.key");
  ASSERT_TRUE(auth::GenerateHs256KeyFile(key).ok());
  server::ServerOptions options;
  options.data_dir = tmp.Sub("server");
  server::AuthFiles files;
  files.key_file = key;
  ASSERT_TRUE(server::PrepareAuth(files, options.data_dir, &options.auth).ok());
  auto server = server::SyncServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();

  const RunResult admin = RunRapport(
      {"token", "issue", "--key", key, "--subject", "ops", "--role", "admin", "--days", "1"});
  ASSERT_EQ(admin.exit_code, 0);
  const std::string admin_token = admin.out.substr(0, admin.out.find('\n'));
  const RunResult rep = RunRapport(
      {"token", "issue", "--key", key, "--subject", "li", "--role", "rep", "--territory", "north"});
  ASSERT_EQ(rep.exit_code, 0);
  const std::string rep_token = rep.out.substr(0, rep.out.find('\n'));
  EXPECT_EQ(
      RunRapport({"token", "issue", "--key", key, "--subject", "x", "--role", "boss"}).exit_code,
      1);

  const std::string hq = tmp.Sub("hq");
  ASSERT_EQ(RunRapport({"import", "--store", hq, RAPPORT_SAMPLE_CSV}).exit_code, 0);
  const RunResult pushed =
      RunRapport({"sync", "--store", hq, "--server", address, "--token", admin_token, "--json"});
  ASSERT_EQ(pushed.exit_code, 0);
  auto pushed_json = ParseJson(pushed.out);
  ASSERT_TRUE(pushed_json.ok()) << pushed.out;
  EXPECT_EQ(pushed_json->Find("pushed")->as_number()->text, "200");

  const RunResult pulled = RunRapport(
      {"sync", "--store", tmp.Sub("phone"), "--server", address, "--token", rep_token, "--json"});
  ASSERT_EQ(pulled.exit_code, 0);
  auto pulled_json = ParseJson(pulled.out);
  ASSERT_TRUE(pulled_json.ok()) << pulled.out;
  const int got = std::stoi(pulled_json->Find("pulled")->as_number()->text);
  EXPECT_GT(got, 0);
  EXPECT_LT(got, 200);  // only territory north

  // The server's stats over the Admin RPC: admin token only.
  const RunResult stats =
      RunRapport({"stats", "--server", address, "--token", admin_token, "--json"});
  ASSERT_EQ(stats.exit_code, 0);
  auto stats_json = ParseJson(stats.out);
  ASSERT_TRUE(stats_json.ok()) << stats.out;
  EXPECT_EQ(stats_json->Find("records")->as_number()->text, "200");
  EXPECT_EQ(RunRapport({"stats", "--server", address, "--token", rep_token}).exit_code, 1);
  EXPECT_EQ(RunRapport({"stats"}).exit_code, 1);  // neither --store nor --server

  std::string tampered = rep_token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  const RunResult refused =
      RunRapport({"sync", "--store", tmp.Sub("phone2"), "--server", address, "--token", tampered},
                 tmp.Sub("err.txt"));
  EXPECT_EQ(refused.exit_code, 1);
}

}  // namespace
}  // namespace rapport::cli
