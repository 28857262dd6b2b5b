// Waits out the work that hops between a WorkerPool and a CommitQueue: a worker decoding a push
// submits its commit, whose Done hands the reply back to the pool, and a Pull batch goes
// worker → commit (the delivered marks) → worker. Neither can stop while the other may still
// submit to it, so a server first waits for both to be quiet together.
#pragma once

#include "server/commit_queue.h"
#include "server/worker_pool.h"

namespace rapport::server {

// Returns once neither holds nor runs any work and no other work was submitted to either while
// this waited. The caller must have stopped every other source of work first (the gRPC server,
// the commit fan-out).
void Quiesce(WorkerPool& workers, CommitQueue& commits);

}  // namespace rapport::server
