// Internal access to a Replica's store and schema, for the library's own sources, tests and the
// future sync client (like LevelDB's write_batch_internal.h). Not part of the public API.
// Thread-safe as Replica is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/schema/schema.h"
#include "core/store/record_store.h"
#include "rapport/replica.h"

namespace rapport {

struct Replica::Impl {
  schema::Schema schema;
  std::unique_ptr<store::RecordStore> store;
  std::string author;  // OpenOptions::author
};

class ReplicaInternal {
 public:
  static store::RecordStore& Store(Replica& replica) { return *replica.impl_->store; }
  static const store::RecordStore& Store(const Replica& replica) { return *replica.impl_->store; }
  static const schema::Schema& GetSchema(const Replica& replica) { return replica.impl_->schema; }

  // Every record changed after local seq `since`, as deltas, and the seq to resume from.
  struct Changes {
    std::vector<crdt::Record> deltas;
    uint64_t last_seq = 0;
  };
  static absl::StatusOr<Changes> ChangesSince(const Replica& replica, uint64_t since);

  // Validates every delta against the schema (Schema::ValidateDelta) and joins them all in one
  // atomic write, as a sync client does on receipt. Returns the ids that changed.
  static absl::StatusOr<std::vector<std::string>> ApplyRemoteDeltas(
      Replica& replica, const std::vector<crdt::Record>& deltas);
};

}  // namespace rapport
