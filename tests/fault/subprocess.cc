#include "tests/fault/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"

extern char** environ;

namespace rapport::fault {

absl::StatusOr<Subprocess> Subprocess::Spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("Subprocess::Spawn: empty argv");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the child's stdout; both pipe ends close in the child at exec.
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", AV(argv[0]), ": ", std::strerror(rc)));
  }
  return Subprocess(pid, std::move(read_end));
}

Subprocess::~Subprocess() {
  if (pid_ > 0) Kill();
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(other.status_),
      out_(std::move(other.out_)),
      pending_(std::move(other.pending_)),
      eof_(other.eof_) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) Kill();
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
    out_ = std::move(other.out_);
    pending_ = std::move(other.pending_);
    eof_ = other.eof_;
  }
  return *this;
}

absl::StatusOr<std::optional<std::string>> Subprocess::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    if (eof_) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " wrote no line within ", timeout.count(), " ms"));
    }
    pollfd p{out_.get(), POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(out_.get(), buffer, sizeof buffer);
    if (n == 0) {
      eof_ = true;
    } else if (n > 0) {
      pending_.append(buffer, static_cast<size_t>(n));
    } else if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("read: ", std::strerror(errno)));
    }
  }
}

int Subprocess::Reap() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  status_ = status;
  return status;
}

int Subprocess::Kill() {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGKILL);
  return Reap();
}

int Subprocess::Wait() {
  if (pid_ <= 0) return status_;
  return Reap();
}

}  // namespace rapport::fault
