#include "server/quiesce.h"

#include <cstdint>

namespace rapport::server {

void Quiesce(WorkerPool& workers, CommitQueue& commits) {
  // Both were idle at some moment of each pass; if no submission happened between one pass and
  // the next, neither had anything to run in between, so neither can be woken again.
  uint64_t previous = UINT64_MAX;
  for (;;) {
    const uint64_t submitted = workers.WaitUntilIdle() + commits.WaitUntilIdle();
    if (submitted == previous) return;
    previous = submitted;
  }
}

}  // namespace rapport::server
