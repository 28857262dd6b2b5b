// Helpers shared by the client library tests: a replica on a controllable clock (and TempDir).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "tests/temp_dir.h"

namespace rapport::testing {

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
