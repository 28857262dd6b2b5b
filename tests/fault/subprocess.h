// A child process for the crash tests: spawned with its stdout on a pipe (stderr shared with the
// test, for diagnostics), read line by line with a deadline, killed with SIGKILL. The destructor
// kills and reaps a child still running, so no test leaves a process behind. Move-only; not
// thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/fault/unique_fd.h"

namespace rapport::fault {

class Subprocess {
 public:
  // Starts argv[0] (a path) with arguments argv[1..]. Internal error if it cannot be spawned.
  static absl::StatusOr<Subprocess> Spawn(const std::vector<std::string>& argv);
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line the child wrote to stdout, without its newline; nullopt at end of output.
  // DeadlineExceeded if no whole line arrives within `timeout`.
  absl::StatusOr<std::optional<std::string>> ReadLine(std::chrono::milliseconds timeout);

  // Sends SIGKILL and reaps the child; returns its wait status. Harmless if already reaped.
  int Kill();
  // Waits for the child to exit by itself; returns its wait status.
  int Wait();

 private:
  Subprocess(pid_t pid, UniqueFd out) : pid_(pid), out_(std::move(out)) {}
  int Reap();

  pid_t pid_ = -1;  // -1 once reaped
  int status_ = 0;
  UniqueFd out_;
  std::string pending_;  // bytes read past the last line returned
  bool eof_ = false;
};

}  // namespace rapport::fault
