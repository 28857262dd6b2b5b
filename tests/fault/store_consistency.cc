#include "tests/fault/store_consistency.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/schema/schema.h"
#include "core/status_macros.h"

namespace rapport::fault {
namespace {

// Postings per (index, key): the ids that must be found under exactly that key.
using ExpectedPostings = std::map<std::pair<std::string, std::string>, std::set<crdt::RecordId>>;

// The ids Scan finds under exactly `key` of `index`: every key in [key, key + "\0") is `key`.
absl::StatusOr<std::set<crdt::RecordId>> IdsUnderKey(const store::RecordStore& store,
                                                     const std::string& index,
                                                     const std::string& key) {
  std::set<crdt::RecordId> out;
  std::string cursor;
  const std::string hi = key + std::string(1, '\0');
  // Bounded: each page either ends the scan or adds 256 ids of a store of finitely many.
  for (;;) {
    ASSIGN_OR_RETURN(store::QueryPage page, store.Scan(index, key, hi, 256, cursor));
    out.insert(page.ids.begin(), page.ids.end());
    if (page.next_cursor.empty()) return out;
    cursor = std::move(page.next_cursor);
  }
}

}  // namespace

absl::Status CheckStoreConsistency(const store::RecordStore& store,
                                   const store::IndexExtractor& indexes) {
  const std::string where = absl::StrCat("store at ", store.dir(), ": ");
  // Read last_seq first: a record committed later than this read (none in a crash test, where
  // nothing writes while the check runs) would be reported rather than missed.
  const uint64_t last_seq = store.last_seq();
  std::set<crdt::RecordId> seen;
  uint64_t entries = 0;
  ExpectedPostings expected;
  uint64_t expected_count = 0;
  absl::Status problem;
  RETURN_IF_ERROR(store.ScanFeed(
      0, std::numeric_limits<size_t>::max(), [&](const crdt::Record& record, uint64_t seq) {
        ++entries;
        const std::string id = record.id().ToString();
        if (!seen.insert(record.id()).second) {
          problem = absl::DataLossError(
              absl::StrCat(where, "record ", id, " has a second change-feed entry, at seq ", seq));
          return false;
        }
        if (seq > last_seq) {
          problem = absl::DataLossError(absl::StrCat(where, "record ", id, " is at seq ", seq,
                                                     " beyond the store's last seq ", last_seq));
          return false;
        }
        if (record.MaxSeq() != seq) {
          problem = absl::DataLossError(
              absl::StrCat(where, "record ", id, " has its change-feed entry at seq ", seq,
                           " but its latest change at seq ", record.MaxSeq()));
          return false;
        }
        if (!record.deleted() && !record.erased() && indexes) {
          std::vector<store::IndexEntry> postings = indexes(record);
          std::sort(postings.begin(), postings.end());
          postings.erase(std::unique(postings.begin(), postings.end()), postings.end());
          for (store::IndexEntry& e : postings) {
            expected[{std::move(e.index), std::move(e.key)}].insert(record.id());
            ++expected_count;
          }
        }
        return true;
      }));
  RETURN_IF_ERROR(problem);

  ASSIGN_OR_RETURN(const store::StoreStats stats, store.Stats());
  if (stats.records != entries || stats.changes != entries) {
    return absl::DataLossError(absl::StrCat(
        where, "table 'records' holds ", stats.records, " records and table 'changes' ",
        stats.changes, " entries, but the feed names ", entries,
        " distinct records: some record has no change-feed entry"));
  }

  for (const auto& [index_key, ids] : expected) {
    const auto& [index, key] = index_key;
    ASSIGN_OR_RETURN(const std::set<crdt::RecordId> found, IdsUnderKey(store, index, key));
    for (const crdt::RecordId& id : ids) {
      if (!found.contains(id)) {
        return absl::DataLossError(absl::StrCat(where, "record ", id.ToString(),
                                                " lacks its posting in index '", index,
                                                "' under key \"", absl::CEscape(key), "\""));
      }
    }
    for (const crdt::RecordId& id : found) {
      if (!ids.contains(id)) {
        return absl::DataLossError(absl::StrCat(where, "index '", index, "' has a stale posting",
                                                " under key \"", absl::CEscape(key),
                                                "\" for record ", id.ToString()));
      }
    }
  }
  if (stats.postings != expected_count) {
    return absl::DataLossError(absl::StrCat(where, "table 'indexes' holds ", stats.postings,
                                            " postings but the records call for ", expected_count,
                                            ": some posting is stale"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<store::RecordStore>> OpenServerStore(const std::string& dir) {
  const schema::Schema& schema = schema::Schema::DefaultCustomer();
  store::StoreOptions options;
  options.indexes = schema.Indexer();
  options.schema_hash = schema.Hash();
  return store::RecordStore::Open(dir, std::move(options));
}

absl::Status CheckStoreDirConsistency(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::RecordStore> store, OpenServerStore(dir));
  return CheckStoreConsistency(*store, schema::Schema::DefaultCustomer().Indexer());
}

}  // namespace rapport::fault
