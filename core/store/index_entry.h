// One secondary-index posting of a record: the store keeps (index, key, record id) -> empty in
// the same write transaction as the record. Keys are order-preserving bytes (see
// core/schema/index_key.h), so a range of values is a range of keys.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/crdt/record.h"

namespace rapport::store {

struct IndexEntry {
  std::string index;  // index name, e.g. "name", "tags", "next_follow_up"
  std::string key;    // order-preserving encoding of the indexed value
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
  friend auto operator<=>(const IndexEntry&, const IndexEntry&) = default;
};

// Computes a record's postings (the schema knows which fields are indexed). Must be pure.
using IndexExtractor = std::function<std::vector<IndexEntry>(const crdt::Record&)>;

}  // namespace rapport::store
