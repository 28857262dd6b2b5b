// A plain, detached snapshot of one record for display, with fields by name. Fields whose numbers
// the replica's schema does not know (written under a newer schema) appear as "#<number>".
// Plain value types; not thread-safe (copy freely).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rapport/value.h"

namespace rapport {

// A value field: the displayed value, and the concurrent values not displayed (its open
// conflict; empty when there is none). Every replica displays the same value.
struct ValueView {
  Value displayed;
  std::vector<Value> conflicts;
};

using ValueFields = std::map<std::string, ValueView>;

// One timeline entry.
struct EntryView {
  std::string id;  // entry reference for AmendEntry / RetractEntry
  Timestamp occurred_at;
  bool retracted = false;
  ValueFields fields;  // sub-fields other than occurred_at and retracted
};

struct RecordView {
  std::string id;
  std::string type;
  bool deleted = false;
  bool erased = false;
  ValueFields values;
  std::map<std::string, int64_t> counters;
  std::map<std::string, std::vector<std::string>> sets;            // elements ascending (bytewise)
  std::map<std::string, std::vector<EntryView>> timelines;         // entries in display order
  std::map<std::string, std::map<std::string, ValueFields>> maps;  // map field -> key -> fields

  // True if any value (top-level, entry or map entry) has an open conflict.
  bool has_conflicts() const;
};

}  // namespace rapport
