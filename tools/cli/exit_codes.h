// The exit codes of `rapport`, a contract for operators' scripts (docs/cli.md, "Exit codes").
#pragma once

namespace rapport::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // the command failed: store, file or argument error (message on stderr)
  kExitUsage = 2,        // the command line could not be parsed
  kExitRowsRefused = 3,  // import finished, but some rows were refused (listed on stderr)
  kExitNotFound = 4,     // get / conflicts show: no such record
};

}  // namespace rapport::cli
