// The real rapportd as a child process of a crash test: started on an OS-chosen loopback port
// with a data directory and a config file, its address read from the line it prints once it
// serves. Killing it is the test's business (Subprocess::Kill). Move-only; not thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/fault/subprocess.h"

namespace rapport::fault {

struct RapportdProcess {
  Subprocess process;
  std::string address;

  // RAPPORT_RAPPORTD_PATH (from CMake) with --listen 127.0.0.1:0 --data --config.
  // DeadlineExceeded if it does not announce its address within `timeout` in all (a chatty
  // rapportd that never serves must not keep the test waiting line after line).
  static absl::StatusOr<RapportdProcess> Start(
      const std::string& data_dir, const std::string& config,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) {
    return StartBinary(RAPPORT_RAPPORTD_PATH, data_dir, config, timeout);
  }

  // The same with another binary that speaks like rapportd (the tests of this helper).
  static absl::StatusOr<RapportdProcess> StartBinary(const std::string& binary,
                                                     const std::string& data_dir,
                                                     const std::string& config,
                                                     std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto process = Subprocess::Spawn(
        {binary, "--listen", "127.0.0.1:0", "--data", data_dir, "--config", config});
    if (!process.ok()) return process.status();
    // rapportd prints "rapportd listening on HOST:PORT (data DIR)" once it serves.
    const std::string prefix = "rapportd listening on ";
    auto too_late = [&] {
      return absl::DeadlineExceededError(absl::StrCat(binary, " on ", data_dir,
                                                      " did not announce its address within ",
                                                      timeout.count(), " ms"));
    };
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return too_late();
      auto line = process->ReadLine(left);
      if (absl::IsDeadlineExceeded(line.status())) return too_late();
      if (!line.ok()) return line.status();
      if (!line->has_value())
        return absl::InternalError(absl::StrCat(binary, " exited before listening"));
      if ((*line)->rfind(prefix, 0) == 0) {
        const std::string rest = (*line)->substr(prefix.size());
        return RapportdProcess{*std::move(process), rest.substr(0, rest.find(' '))};
      }
    }
  }
};

}  // namespace rapport::fault
