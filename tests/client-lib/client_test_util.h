// Helpers shared by the client library tests: temporary store directories and a replica on a
// controllable clock.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "rapport/replica.h"

namespace rapport::testing {

// A fresh directory under TMPDIR, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rapport-client-XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path(const std::string& sub = "store") const { return path_ + "/" + sub; }

 private:
  std::string path_;
};

// 2026-03-02 09:00 UTC (a Monday).
inline constexpr int64_t kMonday9am = 1772442000000;

inline std::unique_ptr<Replica> OpenAt(const std::string& dir, int64_t* now_ms) {
  OpenOptions options;
  options.wall_clock_ms = [now_ms] { return *now_ms; };
  auto replica = Replica::Open(dir, std::move(options));
  EXPECT_TRUE(replica.ok()) << replica.status();
  return replica.ok() ? *std::move(replica) : nullptr;
}

}  // namespace rapport::testing
