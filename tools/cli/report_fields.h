// Small readers of a RecordView shared by the reports: the displayed value of a field, a
// counter (0 when absent), the live interactions. Pure inline functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rapport/record_view.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {

inline const Value* DisplayedValue(const RecordView& record, const std::string& field) {
  auto it = record.values.find(field);
  if (it == record.values.end() || IsNull(it->second.displayed)) return nullptr;
  return &it->second.displayed;
}

// The displayed value as text, "" when null.
inline std::string DisplayedText(const RecordView& record, const std::string& field) {
  const Value* v = DisplayedValue(record, field);
  return v == nullptr ? "" : FormatValueText(*v);
}

inline int64_t CounterValue(const RecordView& record, const std::string& field) {
  auto it = record.counters.find(field);
  return it == record.counters.end() ? 0 : it->second;
}

// Interactions not retracted, in display order (occurred_at, then creation).
inline std::vector<const EntryView*> LiveInteractions(const RecordView& record) {
  std::vector<const EntryView*> out;
  auto it = record.timelines.find("interactions");
  if (it == record.timelines.end()) return out;
  for (const EntryView& e : it->second) {
    if (!e.retracted) out.push_back(&e);
  }
  return out;
}

// The symbol of an entry's enum field ("" when absent).
inline std::string EntryText(const EntryView& entry, const std::string& field) {
  auto it = entry.fields.find(field);
  return it == entry.fields.end() ? "" : FormatValueText(it->second.displayed);
}

}  // namespace rapport::cli
