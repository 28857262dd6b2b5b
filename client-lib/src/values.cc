// Factories of the public plain types.
#include <utility>

#include "rapport/mutation.h"
#include "rapport/query.h"
#include "rapport/record_view.h"

namespace rapport {

Mutation Mutation::Create(std::string type, std::vector<FieldValue> values) {
  Mutation m;
  m.op = Op::kCreate;
  m.type = std::move(type);
  m.values = std::move(values);
  return m;
}

Mutation Mutation::Set(std::string record, std::string field, Value value) {
  Mutation m;
  m.op = Op::kSet;
  m.record = std::move(record);
  m.field = std::move(field);
  m.value = std::move(value);
  return m;
}

Mutation Mutation::Increment(std::string record, std::string field, int64_t amount) {
  Mutation m;
  m.op = Op::kIncrement;
  m.record = std::move(record);
  m.field = std::move(field);
  m.amount = amount;
  return m;
}

Mutation Mutation::AddElement(std::string record, std::string field, std::string element) {
  Mutation m;
  m.op = Op::kAddElement;
  m.record = std::move(record);
  m.field = std::move(field);
  m.key = std::move(element);
  return m;
}

Mutation Mutation::RemoveElement(std::string record, std::string field, std::string element) {
  Mutation m = AddElement(std::move(record), std::move(field), std::move(element));
  m.op = Op::kRemoveElement;
  return m;
}

Mutation Mutation::AppendEntry(std::string record, std::string timeline, Timestamp occurred_at,
                               std::vector<FieldValue> values) {
  Mutation m;
  m.op = Op::kAppendEntry;
  m.record = std::move(record);
  m.field = std::move(timeline);
  m.occurred_at = occurred_at;
  m.values = std::move(values);
  return m;
}

Mutation Mutation::AmendEntry(std::string record, std::string field_path, std::string entry,
                              Value value) {
  Mutation m;
  m.op = Op::kAmendEntry;
  m.record = std::move(record);
  m.field = std::move(field_path);
  m.entry = std::move(entry);
  m.value = std::move(value);
  return m;
}

Mutation Mutation::RetractEntry(std::string record, std::string timeline, std::string entry) {
  Mutation m;
  m.op = Op::kRetractEntry;
  m.record = std::move(record);
  m.field = std::move(timeline);
  m.entry = std::move(entry);
  return m;
}

Mutation Mutation::SetInMap(std::string record, std::string field_path, std::string key,
                            Value value) {
  Mutation m;
  m.op = Op::kSetInMap;
  m.record = std::move(record);
  m.field = std::move(field_path);
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

Mutation Mutation::Delete(std::string record) {
  Mutation m;
  m.op = Op::kDelete;
  m.record = std::move(record);
  return m;
}

Mutation Mutation::Undelete(std::string record) {
  Mutation m = Delete(std::move(record));
  m.op = Op::kUndelete;
  return m;
}

Query Query::Equals(std::string index, Value value) {
  Query q;
  q.index = std::move(index);
  q.kind = Kind::kEquals;
  q.value = std::move(value);
  return q;
}

Query Query::Prefix(std::string index, std::string text) {
  Query q = Equals(std::move(index), std::move(text));
  q.kind = Kind::kPrefix;
  return q;
}

Query Query::Range(std::string index, Value lo, Value hi) {
  Query q = Equals(std::move(index), std::move(lo));
  q.kind = Kind::kRange;
  q.hi = std::move(hi);
  return q;
}

Query Query::HasTag(std::string index, std::string element) {
  Query q = Equals(std::move(index), std::move(element));
  q.kind = Kind::kHasTag;
  return q;
}

namespace {
bool AnyConflict(const ValueFields& fields) {
  for (const auto& [name, v] : fields) {
    if (!v.conflicts.empty()) return true;
  }
  return false;
}
}  // namespace

bool RecordView::has_conflicts() const {
  if (AnyConflict(values)) return true;
  for (const auto& [name, entries] : timelines) {
    for (const EntryView& e : entries) {
      if (AnyConflict(e.fields)) return true;
    }
  }
  for (const auto& [name, entries] : maps) {
    for (const auto& [key, fields] : entries) {
      if (AnyConflict(fields)) return true;
    }
  }
  return false;
}

}  // namespace rapport
