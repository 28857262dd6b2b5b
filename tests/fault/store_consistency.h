// The consistency a crash test demands of a store that reopened without repair: every durable
// commit whole, none partial. Checked through the store's public API:
//  - the change feed and the records table are in one-to-one correspondence: every feed entry
//    names a record that exists and decodes, no record has two entries, and the tables hold as
//    many entries as records (so no record lacks one);
//  - each record's feed entry is at its latest local seq (Record::MaxSeq), the one the next
//    write moves, and no seq is beyond the store's last seq;
//  - the secondary indexes hold exactly the postings the extractor gives for the records
//    (none for deleted or erased ones): none missing, none stale.
// A commit torn between tables, a record overwritten without its feed entry moving, or an index
// posting left behind fails one of these, naming the record and what is wrong.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/store/index_entry.h"
#include "core/store/record_store.h"

namespace rapport::fault {

// OK, or DataLoss naming the first inconsistency. `indexes` must be the extractor the store
// was written with (the schema's Indexer() for replicas and servers).
absl::Status CheckStoreConsistency(const store::RecordStore& store,
                                   const store::IndexExtractor& indexes);

// Opens the store in `dir` as rapportd with the default customer schema does (indexes, schema
// hash). Only while no other process has it open: a killed server's, between its restarts.
absl::StatusOr<std::unique_ptr<store::RecordStore>> OpenServerStore(const std::string& dir);

// OpenServerStore, then the check above against the default customer schema's indexes.
absl::Status CheckStoreDirConsistency(const std::string& dir);

}  // namespace rapport::fault
