// rapport_fault_device: a field device for the device crash test. It opens the Replica in
// STORE_DIR and, for edit numbers FIRST, FIRST+1, ... (at most COUNT of them), commits one edit
// to customer RECORD (loyalty_points +1 and an interaction "edit N"), prints "committed N", syncs
// with the server at ADDRESS and, if the sync returned OK, prints "acked N" (every edit up to N
// is acknowledged). The test kills it with SIGKILL at random moments and checks the store.
//
// Usage: rapport_fault_device STORE_DIR ADDRESS RECORD FIRST COUNT
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rapport/replica.h"
#include "rapport/sync.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s STORE_DIR ADDRESS RECORD FIRST COUNT\n", argv[0]);
    return 2;
  }
  const std::string store_dir = argv[1], address = argv[2], record = argv[3];
  const long long first = std::atoll(argv[4]), count = std::atoll(argv[5]);
  auto replica = rapport::Replica::Open(store_dir);
  if (!replica.ok()) {
    std::fprintf(stderr, "rapport_fault_device: %s\n", replica.status().ToString().c_str());
    return 1;
  }
  for (long long n = first; n < first + count; ++n) {
    auto done = (*replica)->Apply(
        {rapport::Mutation::Increment(record, "loyalty_points", 1),
         rapport::Mutation::AppendEntry(
             record, "interactions", rapport::Timestamp{1700000000000 + n},
             {{"kind", rapport::EnumValue{"visit"}}, {"summary", "edit " + std::to_string(n)}})});
    if (!done.ok()) {
      std::fprintf(stderr, "rapport_fault_device: %s\n", done.status().ToString().c_str());
      return 1;
    }
    std::printf("committed %lld\n", n);
    std::fflush(stdout);
    rapport::SyncOptions options;
    options.deadline_ms = 5000;
    options.max_push_batch_bytes = 256;
    if (rapport::SyncOnce(**replica, address, options).ok()) {
      std::printf("acked %lld\n", n);
      std::fflush(stdout);
    }
  }
  return 0;
}
