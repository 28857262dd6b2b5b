// The real rapportd as a child process of a crash test: started on an OS-chosen loopback port
// with a data directory and a config file, its address read from the line it prints once it
// serves. Killing it is the test's business (Subprocess::Kill). Move-only; not thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "tests/fault/subprocess.h"

namespace rapport::fault {

struct RapportdProcess {
  Subprocess process;
  std::string address;

  // RAPPORT_RAPPORTD_PATH (from CMake) with --listen 127.0.0.1:0 --data --config.
  static absl::StatusOr<RapportdProcess> Start(const std::string& data_dir,
                                               const std::string& config) {
    constexpr std::chrono::milliseconds kStartTimeout{20000};
    auto process = Subprocess::Spawn(
        {RAPPORT_RAPPORTD_PATH, "--listen", "127.0.0.1:0", "--data", data_dir, "--config", config});
    if (!process.ok()) return process.status();
    // rapportd prints "rapportd listening on HOST:PORT (data DIR)" once it serves.
    const std::string prefix = "rapportd listening on ";
    for (;;) {
      auto line = process->ReadLine(kStartTimeout);
      if (!line.ok()) return line.status();
      if (!line->has_value()) return absl::InternalError("rapportd exited before listening");
      if ((*line)->rfind(prefix, 0) == 0) {
        const std::string rest = (*line)->substr(prefix.size());
        return RapportdProcess{*std::move(process), rest.substr(0, rest.find(' '))};
      }
    }
  }
};

}  // namespace rapport::fault
