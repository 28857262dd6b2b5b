#include "tools/cli/record_printer.h"

#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

std::string FieldsText(const ValueFields& fields) {
  std::string out;
  for (const auto& [name, view] : fields) {
    if (IsNull(view.displayed)) continue;
    if (!out.empty()) out += ", ";
    out += name + "=" + FormatValueText(view.displayed);
    for (const Value& other : view.conflicts) out += " [conflict: " + FormatValueText(other) + "]";
  }
  return out;
}

}  // namespace

void PrintRecord(const schema::RecordType& type, const RecordView& record, std::ostream& out) {
  out << "id: " << record.id << (record.deleted ? "  (deleted)" : "")
      << (record.erased ? "  (erased)" : "") << "\n";
  for (const schema::FieldSpec& spec : type.fields()) {
    const std::string& name = spec.name();
    switch (spec.kind()) {
      case crdt::FieldKind::kValue: {
        auto it = record.values.find(name);
        if (it == record.values.end() || IsNull(it->second.displayed)) break;
        out << name << ": " << FormatValueText(it->second.displayed);
        for (const Value& other : it->second.conflicts) {
          out << "   [conflict: " << FormatValueText(other) << "]";
        }
        out << "\n";
        break;
      }
      case crdt::FieldKind::kCounter:
        if (auto it = record.counters.find(name); it != record.counters.end()) {
          out << name << ": " << it->second << "\n";
        }
        break;
      case crdt::FieldKind::kSet:
        if (auto it = record.sets.find(name); it != record.sets.end() && !it->second.empty()) {
          out << name << ":";
          for (const std::string& e : it->second) out << " " << e;
          out << "\n";
        }
        break;
      case crdt::FieldKind::kTimeline:
        if (auto it = record.timelines.find(name);
            it != record.timelines.end() && !it->second.empty()) {
          out << name << ":\n";
          for (const EntryView& e : it->second) {
            out << "  " << FormatTimestamp(e.occurred_at) << (e.retracted ? " (retracted)" : "")
                << "  " << FieldsText(e.fields) << "   [" << e.id << "]\n";
          }
        }
        break;
      case crdt::FieldKind::kMap:
        if (auto it = record.maps.find(name); it != record.maps.end() && !it->second.empty()) {
          out << name << ":\n";
          for (const auto& [key, fields] : it->second) {
            out << "  " << key << ": " << FieldsText(fields) << "\n";
          }
        }
        break;
    }
  }
}

}  // namespace rapport::cli
