// One change of a write batch passed to Replica::Apply, addressed by field NAME. Plain value type;
// not thread-safe (copy freely).
//
// Record references: an existing record's id text (26 Crockford base32 characters), or "@N" for
// the N-th (0-based) record created by a Create earlier in the same batch. Timeline entry
// references: an entry id text (as returned in ChangeSummary::entries or EntryView::id), or "@N"
// for the N-th entry appended earlier in the same batch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rapport/value.h"

namespace rapport {

// A field name (or sub-field name inside an entry) and its value.
using FieldValue = std::pair<std::string, Value>;

struct Mutation {
  enum class Op {
    kCreate,
    kSet,
    kIncrement,
    kAddElement,
    kRemoveElement,
    kAppendEntry,
    kAmendEntry,
    kRetractEntry,
    kSetInMap,
    kDelete,
    kUndelete,
  };

  // A new record of `type` with initial VALUE fields; its required fields are checked once the
  // whole batch has been applied.
  static Mutation Create(std::string type, std::vector<FieldValue> values = {});
  // `field` is a top-level VALUE field ("name", "next_follow_up").
  static Mutation Set(std::string record, std::string field, Value value);
  // `field` is a COUNTER; `amount` may be negative.
  static Mutation Increment(std::string record, std::string field, int64_t amount);
  // `field` is a SET ("tags").
  static Mutation AddElement(std::string record, std::string field, std::string element);
  static Mutation RemoveElement(std::string record, std::string field, std::string element);
  // Appends an entry to the TIMELINE `timeline` ("interactions") with its sub-field values.
  static Mutation AppendEntry(std::string record, std::string timeline, Timestamp occurred_at,
                              std::vector<FieldValue> values);
  // `field_path` is "<timeline>.<sub-field>" ("interactions.summary").
  static Mutation AmendEntry(std::string record, std::string field_path, std::string entry,
                             Value value);
  static Mutation RetractEntry(std::string record, std::string timeline, std::string entry);
  // `field_path` is "<map>.<sub-field>" ("contacts.phone"); `key` names the map entry.
  static Mutation SetInMap(std::string record, std::string field_path, std::string key,
                           Value value);
  static Mutation Delete(std::string record);
  static Mutation Undelete(std::string record);

  Op op = Op::kSet;
  std::string record;  // record reference (unused by kCreate)
  std::string type;    // kCreate
  std::string field;   // field name or dotted path
  std::string entry;   // entry reference (kAmendEntry, kRetractEntry)
  std::string key;     // map key (kSetInMap) or set element
  Value value;
  int64_t amount = 0;
  Timestamp occurred_at;
  std::vector<FieldValue> values;  // kCreate, kAppendEntry
};

// What a committed batch did.
struct ChangeSummary {
  std::vector<std::string> created;  // ids of created records, in batch order
  std::vector<std::string> entries;  // ids of appended timeline entries, in batch order
  std::vector<std::string> changed;  // ids of every record that changed, in commit order
};

}  // namespace rapport
