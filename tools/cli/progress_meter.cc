#include "tools/cli/progress_meter.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "tools/cli/text_table.h"

namespace rapport::cli {

ProgressMeter::ProgressMeter(std::ostream& out, Mode mode, size_t plain_every)
    : out_(out),
      mode_(mode),
      plain_every_(std::max<size_t>(plain_every, 1)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      next_line_at_(plain_every_) {}

ProgressMeter::Mode ProgressMeter::ModeForStderr() {
  return isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLines;
}

double ProgressMeter::Seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressMeter::Update(size_t rows, double fraction) {
  if (mode_ == Mode::kQuiet) return;
  if (mode_ == Mode::kLines) {
    if (rows < next_line_at_) return;
    next_line_at_ = rows + plain_every_;
    out_ << "import: " << rows << " rows read (" << Percent(fraction) << ")\n";
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double secs = Seconds();
  const double rate = secs > 0 ? rows / secs : 0;
  const double eta = fraction > 0.001 ? secs * (1 - fraction) / fraction : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  out_ << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
       << Percent(fraction) << "  " << rows << " rows  " << static_cast<long>(rate)
       << " rows/s  ETA " << Fixed(eta, 0) << "s   " << std::flush;
}

void ProgressMeter::Finish(size_t rows) {
  if (mode_ == Mode::kBar && drawn_) out_ << "\r" << std::string(79, ' ') << "\r" << std::flush;
  (void)rows;
}

}  // namespace rapport::cli
