#include "server/metrics/session_log.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace rapport::server {
namespace {

// 2026-03-02 09:00:00.250 UTC.
absl::Time Monday9am() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone()) +
         absl::Milliseconds(250);
}

TEST(SessionLogTest, WritesOneLogfmtLinePerEvent) {
  std::vector<std::string> lines;
  SessionLog log([&lines](std::string_view line) { lines.emplace_back(line); },
                 [] { return Monday9am(); });
  log.SessionStarted({"ipv4:127.0.0.1:51234", "0123456789abcdef", "all"});
  SessionEndEvent end;
  end.peer = "ipv4:127.0.0.1:51234";
  end.replica = "0123456789abcdef";
  end.scope = "all";
  end.pushed = 3;
  end.pulled = 120;
  end.rejected = 1;
  end.bytes_in = 812;
  end.bytes_out = 40311;
  end.duration = absl::Milliseconds(1250);
  log.SessionEnded(end);

  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "ts=2026-03-02T09:00:00.250Z event=session_start peer=ipv4:127.0.0.1:51234 "
            "replica=0123456789abcdef scope=all");
  EXPECT_EQ(lines[1],
            "ts=2026-03-02T09:00:00.250Z event=session_end peer=ipv4:127.0.0.1:51234 "
            "replica=0123456789abcdef scope=all pushed=3 pulled=120 rejected=1 bytes_in=812 "
            "bytes_out=40311 duration_ms=1250 status=OK");
}

TEST(SessionLogTest, FailedSessionQuotesItsError) {
  SessionEndEvent end;
  end.peer = "ipv6:[::1]:4000";
  end.scope = "territory=north east";
  end.duration = absl::Milliseconds(7);
  end.status = absl::FailedPreconditionError("protocol version 2 \"new\"\nnot supported");
  EXPECT_EQ(FormatSessionEnd(Monday9am(), end),
            "ts=2026-03-02T09:00:00.250Z event=session_end peer=ipv6:[::1]:4000 replica=\"\" "
            "scope=\"territory=north east\" pushed=0 pulled=0 rejected=0 bytes_in=0 bytes_out=0 "
            "duration_ms=7 status=FAILED_PRECONDITION "
            "error=\"protocol version 2 \\\"new\\\"\\nnot supported\"");
}

TEST(SessionLogTest, LogfmtValueQuotesOnlyWhenNeeded) {
  EXPECT_EQ(LogfmtValue("plain"), "plain");
  EXPECT_EQ(LogfmtValue("Zürich"), "Zürich");  // UTF-8 passes through unquoted
  EXPECT_EQ(LogfmtValue(""), "\"\"");
  EXPECT_EQ(LogfmtValue("two words"), "\"two words\"");
  EXPECT_EQ(LogfmtValue("a=b"), "\"a=b\"");
  EXPECT_EQ(LogfmtValue("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(LogfmtValue("back\\slash"), "\"back\\\\slash\"");
  EXPECT_EQ(LogfmtValue("line\nbreak\r\ttab"), "\"line\\nbreak\\r\\ttab\"");
  EXPECT_EQ(LogfmtValue(std::string("nul\0bell\x07", 9)), "\"nul\\u0000bell\\u0007\"");
}

}  // namespace
}  // namespace rapport::server
