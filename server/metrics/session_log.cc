#include "server/metrics/session_log.h"

#include <stdio.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/string_view_compat.h"

namespace rapport::server {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;  // `key=` alone reads ambiguously in some parsers
  for (const char c : value) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || IsControl(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

// Milliseconds, UTC, RFC 3339: sorts as text and every log tool parses it.
std::string FormatTs(absl::Time ts) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone());
}

void AppendPair(std::string& line, std::string_view key, std::string_view value) {
  absl::StrAppend(&line, " ", AV(key), "=", LogfmtValue(value));
}

std::string StartOfLine(absl::Time ts, std::string_view event, std::string_view peer,
                        std::string_view replica, std::string_view scope) {
  std::string line = absl::StrCat("ts=", FormatTs(ts));
  AppendPair(line, "event", event);
  AppendPair(line, "peer", peer);
  AppendPair(line, "replica", replica);
  AppendPair(line, "scope", scope);
  return line;
}

}  // namespace

std::string LogfmtValue(std::string_view value) {
  if (!NeedsQuotes(value)) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (IsControl(static_cast<unsigned char>(c))) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;  // UTF-8 bytes pass through: names are often not ASCII
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatSessionStart(absl::Time ts, const SessionStartEvent& event) {
  return StartOfLine(ts, "session_start", event.peer, event.replica, event.scope);
}

std::string FormatSessionEnd(absl::Time ts, const SessionEndEvent& event) {
  std::string line = StartOfLine(ts, "session_end", event.peer, event.replica, event.scope);
  absl::StrAppend(&line, " pushed=", event.pushed, " pulled=", event.pulled,
                  " rejected=", event.rejected, " bytes_in=", event.bytes_in,
                  " bytes_out=", event.bytes_out,
                  " duration_ms=", absl::ToInt64Milliseconds(event.duration));
  AppendPair(line, "status", absl::StatusCodeToString(event.status.code()));
  if (!event.status.ok()) {
    const absl::string_view message = event.status.message();
    AppendPair(line, "error", std::string_view(message.data(), message.size()));
  }
  return line;
}

LogSink StderrLogSink() {
  return [](std::string_view line) {
    // One fwrite per line: stdio locks the stream per call, so lines of concurrent sessions
    // never interleave.
    std::string with_newline = absl::StrCat(AV(line), "\n");
    fwrite(with_newline.data(), 1, with_newline.size(), stderr);
  };
}

SessionLog::SessionLog(LogSink sink, std::function<absl::Time()> now)
    : sink_(std::move(sink)), now_(std::move(now)) {}

void SessionLog::SessionStarted(const SessionStartEvent& event) const {
  sink_(FormatSessionStart(now_(), event));
}

void SessionLog::SessionEnded(const SessionEndEvent& event) const {
  sink_(FormatSessionEnd(now_(), event));
}

}  // namespace rapport::server
