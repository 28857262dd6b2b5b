// RapportdProcess::Start against stand-in scripts that speak like rapportd: the address is read
// from the announcement, and one overall deadline bounds the wait however much the process
// writes before (or instead of) announcing.
#include "tests/fault/rapportd_process.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/temp_dir.h"

namespace rapport::fault {
namespace {

using std::chrono::milliseconds;

// An executable shell script in `tmp` with `body` after the shebang line.
std::string Script(testing::TempDir& tmp, const std::string& name, const std::string& body) {
  const std::string path = tmp.Sub(name);
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path.c_str(), 0755);
  return path;
}

TEST(RapportdProcess, ReadsTheAddressFromTheAnnouncementAfterOtherLines) {
  testing::TempDir tmp;
  const std::string binary = Script(tmp, "announces",
                                    "echo 'opening store'\n"
                                    "echo 'rapportd listening on 127.0.0.1:4242 (data somewhere)'\n"
                                    "exec sleep 30\n");
  auto started =
      RapportdProcess::StartBinary(binary, tmp.Sub("data"), "config", milliseconds(20000));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->address, "127.0.0.1:4242");
}

TEST(RapportdProcess, ChattyProcessThatNeverServesHitsOneOverallDeadline) {
  testing::TempDir tmp;
  // A line every 50 ms, forever: a timeout restarted per line would never expire.
  const std::string binary =
      Script(tmp, "chatty", "while :; do echo 'still starting'; sleep 0.05; done\n");
  const auto start = std::chrono::steady_clock::now();
  auto started = RapportdProcess::StartBinary(binary, tmp.Sub("data"), "config", milliseconds(400));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(started.status().code(), absl::StatusCode::kDeadlineExceeded) << started.status();
  EXPECT_NE(started.status().message().find("within 400 ms"), std::string::npos)
      << started.status();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(RapportdProcess, ProcessThatExitsBeforeServingIsAnError) {
  testing::TempDir tmp;
  const std::string binary = Script(tmp, "exits", "echo 'cannot open store' >&2\nexit 1\n");
  auto started =
      RapportdProcess::StartBinary(binary, tmp.Sub("data"), "config", milliseconds(20000));
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInternal) << started.status();
  EXPECT_NE(started.status().message().find("exited before listening"), std::string::npos);
}

}  // namespace
}  // namespace rapport::fault
