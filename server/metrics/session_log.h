// Structured log lines for sync sessions, one line per event in logfmt, e.g.
//
//   ts=2026-03-02T09:00:00.000Z event=session_start peer=ipv4:127.0.0.1:51234
//       replica=0123456789abcdef scope=all                                  (one line)
//   ts=2026-03-02T09:00:01.250Z event=session_end peer=ipv4:127.0.0.1:51234
//       replica=0123456789abcdef scope=all pushed=3 pulled=120 rejected=0 bytes_in=812
//       bytes_out=40311 duration_ms=1250 status=OK                          (one line)
//
// A failed session ends with status=<CODE> error="<message>". Values holding a space, '=',
// a quote, a backslash or a control character, and empty values, are double-quoted; inside the
// quotes a quote or backslash gets a backslash before it, newline, CR and tab become the two
// characters \n, \r, \t, other control characters \u00XX. So every event stays on one line
// and parses back exactly.
//
// Thread-safe if the sink is (the default stderr sink is: each line is one stdio write).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rapport::server {

struct SessionStartEvent {
  std::string peer;     // the client's network address as gRPC gives it
  std::string replica;  // the client's replica id (Hello), empty if it never said hello
  std::string scope;    // what the session may see ("all" until scopes land)
};

struct SessionEndEvent {
  std::string peer;
  std::string replica;
  std::string scope;
  uint64_t pushed = 0;    // deltas received
  uint64_t pulled = 0;    // deltas sent
  uint64_t rejected = 0;  // pushed deltas refused
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  absl::Duration duration;
  absl::Status status;
};

// Receives one line, without its newline.
using LogSink = std::function<void(std::string_view line)>;

// Writes each line and a newline to stderr in one write.
LogSink StderrLogSink();

class SessionLog {
 public:
  // `now` is read once per event; tests pass a fixed clock.
  explicit SessionLog(
      LogSink sink = StderrLogSink(), std::function<absl::Time()> now = [] { return absl::Now(); });

  void SessionStarted(const SessionStartEvent& event) const;
  void SessionEnded(const SessionEndEvent& event) const;

 private:
  LogSink sink_;
  std::function<absl::Time()> now_;
};

// The lines SessionLog writes, for the given time.
std::string FormatSessionStart(absl::Time ts, const SessionStartEvent& event);
std::string FormatSessionEnd(absl::Time ts, const SessionEndEvent& event);

// `value` as a logfmt value: as is when it needs no quotes, else quoted and escaped.
std::string LogfmtValue(std::string_view value);

}  // namespace rapport::server
