// Runs the real `rapport` binary (RAPPORT_CLI_PATH, from CMake) for the CLI's end-to-end tests.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>
#include <vector>

namespace rapport::cli {

struct RunResult {
  int exit_code = -1;
  std::string out;
};

inline std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  q.push_back('\'');
  return q;
}

// Runs rapport with `args`; stdout is returned, stderr goes to `err_path` (or /dev/null).
inline RunResult RunRapport(const std::vector<std::string>& args,
                            const std::string& err_path = "/dev/null") {
  std::string command = Quote(RAPPORT_CLI_PATH);
  for (const std::string& a : args) {
    command.push_back(' ');
    command += Quote(a);
  }
  command += " 2>";
  command += Quote(err_path);
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace rapport::cli
