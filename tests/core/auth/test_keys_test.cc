// The test key generator itself: the certificate chain verifies for 127.0.0.1 and localhost
// against its CA and not against the unrelated one.
#include "tests/core/auth/test_keys.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/temp_dir.h"

namespace rapport::testing {
namespace {

TEST(TestKeysTest, TlsFilesChainToTheirCaOnly) {
  TempDir dir;
  auto files = GenerateTlsFiles(dir.path());
  ASSERT_TRUE(files.ok()) << files.status();
  for (const std::string& path : {files->ca_cert, files->ca_key, files->server_cert,
                                  files->server_key, files->other_ca_cert, files->other_ca_key}) {
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  }
  EXPECT_TRUE(RunOpenssl({"verify", "-CAfile", files->ca_cert, "-purpose", "sslserver",
                          "-verify_ip", "127.0.0.1", files->server_cert},
                         dir.path())
                  .ok());
  EXPECT_TRUE(RunOpenssl({"verify", "-CAfile", files->ca_cert, "-verify_hostname", "localhost",
                          files->server_cert},
                         dir.path())
                  .ok());
  const absl::Status other =
      RunOpenssl({"verify", "-CAfile", files->other_ca_cert, files->server_cert}, dir.path());
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_NE(other.message().find("exited with status"), std::string::npos) << other;
}

TEST(TestKeysTest, FailingCommandReportsItsOutput) {
  TempDir dir;
  const absl::Status s = RunOpenssl({"pkey", "-in", dir.Sub("missing.pem")}, dir.path());
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("openssl pkey -in"), std::string::npos) << s;
}

}  // namespace
}  // namespace rapport::testing
