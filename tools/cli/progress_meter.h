// Import progress on stderr: on a terminal a bar redrawn in place with rows/s and ETA; otherwise
// (a log, a pipe, CI) a plain line every `plain_every` rows, so logs stay readable and
// deterministic. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>

namespace rapport::cli {

class ProgressMeter {
 public:
  enum class Mode { kBar, kLines, kQuiet };
  ProgressMeter(std::ostream& out, Mode mode, size_t plain_every = 10000);

  // `rows` read so far, `fraction` of the input consumed.
  void Update(size_t rows, double fraction);
  // Clears the bar (a terminal) before the summary is printed.
  void Finish(size_t rows);

  // kBar when stderr is a terminal, else kLines.
  static Mode ModeForStderr();

 private:
  double Seconds() const;

  std::ostream& out_;
  Mode mode_;
  size_t plain_every_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t next_line_at_;
  bool drawn_ = false;
};

}  // namespace rapport::cli
