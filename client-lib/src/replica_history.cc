#include "client-lib/src/replica_history.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crdt/field.h"
#include "core/crdt/record.h"
#include "core/crdt/record_edit.h"
#include "core/status_macros.h"

namespace rapport::internal {
namespace {

crdt::Scalar DisplayedOf(const crdt::Record& record, crdt::FieldId field) {
  const crdt::Field* f = record.fields().Find(field);
  const crdt::ValueRegister* reg = f != nullptr ? f->As<crdt::ValueRegister>() : nullptr;
  return reg != nullptr ? reg->Displayed() : crdt::Scalar();
}

}  // namespace

absl::Status HistoryRecorder::OnSet(const crdt::RecordId& id, const std::string& type, bool created,
                                    const schema::FieldSpec& field, const crdt::Scalar& value) {
  if (field.history().empty()) return absl::OkStatus();
  auto [it, first] = changes_.try_emplace(Key{id, field.number()});
  if (first) {
    it->second.type = type;
    if (!created) {
      ASSIGN_OR_RETURN(std::optional<crdt::Record> record, txn_.Get(id));
      if (record.has_value()) it->second.before = DisplayedOf(*record, field.number());
    }
  }
  it->second.after = value;
  return absl::OkStatus();
}

void HistoryRecorder::AppendedTo(const crdt::RecordId& id, const schema::FieldSpec& timeline) {
  written_by_batch_.insert({id, timeline.number()});
}

absl::Status HistoryRecorder::Finish() {
  for (const auto& [key, change] : changes_) {
    const auto& [id, field_number] = key;
    if (change.after == change.before) continue;
    const schema::RecordType* type = schema_.FindType(change.type);
    const schema::FieldSpec* field = type->FindField(field_number);
    const schema::FieldSpec* timeline = type->FindField(field->history());
    if (written_by_batch_.count({id, timeline->number()}) != 0) continue;

    const std::string id_text = id.ToString();
    std::vector<std::pair<crdt::FieldId, crdt::Scalar>> values;
    values.emplace_back(crdt::Timeline::kOccurredAt,
                        crdt::Timestamp{static_cast<int64_t>(txn_.wall_ms())});
    // The schema guarantees from / to take the field's values (checked at load), and both were
    // validated when written, so they are written as they are.
    const auto& subs = timeline->sub_fields();
    if (!crdt::IsNull(change.before)) {
      values.emplace_back(subs.Find("from")->number(), change.before);
    }
    if (!crdt::IsNull(change.after)) values.emplace_back(subs.Find("to")->number(), change.after);
    if (const schema::FieldSpec* author = subs.Find("author");
        author != nullptr && !author_.empty()) {
      crdt::Scalar who = author_;
      RETURN_IF_ERROR(schema_.ValidateValue(type->name(), author->path(), who, id_text));
      values.emplace_back(author->number(), std::move(who));
    }
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, txn_.Edit(id));
    absl::StatusOr<crdt::Dot> appended = edit->AppendEntry(timeline->number(), values);
    if (!appended.ok()) {
      return absl::Status(
          appended.status().code(),
          absl::StrCat("record ", id_text, ": recording the change of \"", field->name(),
                       "\" in \"", timeline->name(), "\": ", appended.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace rapport::internal
