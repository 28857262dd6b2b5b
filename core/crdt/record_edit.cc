#include "core/crdt/record_edit.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::crdt {
RecordEdit::RecordEdit(Record& record, ReplicaId replica, HybridClock& clock, uint64_t wall_ms,
                       uint64_t seq)
    : record_(record), replica_(replica), clock_(clock), wall_ms_(wall_ms), seq_(seq) {}

const Dot& RecordEdit::EditDot() {
  if (!dot_) dot_ = Dot{replica_, clock_.Now(wall_ms_)};
  return *dot_;
}

absl::Status RecordEdit::CheckWritable() const {
  if (record_.erased()) {
    return absl::FailedPreconditionError(
        absl::StrCat("record ", record_.id().ToString(), " is erased and cannot be written"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Field*> RecordEdit::FieldOf(Fields& fields, FieldId id, FieldKind kind) {
  RETURN_IF_ERROR(CheckWritable());
  Field* f = fields.FindOrCreate(id, kind);
  if (f == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("field ", id, " of record ", record_.id().ToString(), " is a ",
                     AV(FieldKindName(fields.Find(id)->kind())), " field, not a ",
                     AV(FieldKindName(kind)), " field"));
  }
  return f;
}

absl::Status RecordEdit::WriteRegister(Fields& fields, Field* parent, FieldId id, Scalar value,
                                       const Dot& dot) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(fields, id, FieldKind::kValue));
  f->As<ValueRegister>()->Write(dot, std::move(value));
  f->set_seq(seq_);
  parent->set_seq(seq_);
  return absl::OkStatus();
}

absl::Status RecordEdit::Set(FieldId field, Scalar value) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), field, FieldKind::kValue));
  f->As<ValueRegister>()->Write(EditDot(), std::move(value));
  f->set_seq(seq_);
  return absl::OkStatus();
}

absl::Status RecordEdit::Increment(FieldId field, int64_t amount) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), field, FieldKind::kCounter));
  f->As<PnCounter>()->Add(replica_, amount);
  f->set_seq(seq_);
  return absl::OkStatus();
}

absl::Status RecordEdit::AddElement(FieldId field, std::string element) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), field, FieldKind::kSet));
  f->As<OrSet>()->Add(EditDot(), std::move(element));
  f->set_seq(seq_);
  return absl::OkStatus();
}

absl::Status RecordEdit::RemoveElement(FieldId field, std::string_view element) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), field, FieldKind::kSet));
  f->As<OrSet>()->Remove(element);
  f->set_seq(seq_);
  return absl::OkStatus();
}

absl::StatusOr<Dot> RecordEdit::AppendEntry(FieldId timeline,
                                            const std::vector<std::pair<FieldId, Scalar>>& values) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), timeline, FieldKind::kTimeline));
  // Each entry needs its own key, so appends draw a fresh stamp rather than the edit's.
  const Dot key{replica_, clock_.Now(wall_ms_)};
  Fields& entry = f->As<Timeline>()->GetOrCreate(key);
  for (const auto& [id, value] : values) RETURN_IF_ERROR(WriteRegister(entry, f, id, value, key));
  f->set_seq(seq_);
  return key;
}

absl::StatusOr<Fields*> RecordEdit::EntryOf(FieldId timeline, const Dot& entry) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), timeline, FieldKind::kTimeline));
  Fields* fields = f->As<Timeline>()->Find(entry);
  if (fields == nullptr) {
    return absl::NotFoundError(absl::StrCat("timeline ", timeline, " of record ",
                                            record_.id().ToString(), " has no entry ",
                                            entry.replica, "@", entry.hlc));
  }
  return fields;
}

absl::Status RecordEdit::AmendEntry(FieldId timeline, const Dot& entry, FieldId field,
                                    Scalar value) {
  ASSIGN_OR_RETURN(Fields * fields, EntryOf(timeline, entry));
  return WriteRegister(*fields, record_.mutable_fields().Find(timeline), field, std::move(value),
                       EditDot());
}

absl::Status RecordEdit::RetractEntry(FieldId timeline, const Dot& entry) {
  return AmendEntry(timeline, entry, Timeline::kRetracted, true);
}

absl::Status RecordEdit::SetInMap(FieldId map, std::string_view key, FieldId field, Scalar value) {
  ASSIGN_OR_RETURN(Field * f, FieldOf(record_.mutable_fields(), map, FieldKind::kMap));
  return WriteRegister(f->As<NestedMap>()->GetOrCreate(key), f, field, std::move(value), EditDot());
}

absl::Status RecordEdit::Delete() {
  RETURN_IF_ERROR(CheckWritable());
  Field& f = record_.mutable_deleted_field();
  f.As<ValueRegister>()->Write(EditDot(), true);
  f.set_seq(seq_);
  return absl::OkStatus();
}

absl::Status RecordEdit::Undelete() {
  RETURN_IF_ERROR(CheckWritable());
  Field& f = record_.mutable_deleted_field();
  f.As<ValueRegister>()->Write(EditDot(), false);
  f.set_seq(seq_);
  return absl::OkStatus();
}

void RecordEdit::Erase() { record_.Erase(seq_); }

}  // namespace rapport::crdt
