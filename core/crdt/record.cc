#include "core/crdt/record.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

void MaxHlcOf(const Fields& fields, Hlc* out) {
  for (const auto& [id, field] : fields.entries()) {
    if (const auto* r = field.As<ValueRegister>()) {
      for (const Dot& d : r->context().entries()) *out = std::max(*out, d.hlc);
    } else if (const auto* s = field.As<OrSet>()) {
      for (const Dot& d : s->context().entries()) *out = std::max(*out, d.hlc);
    } else if (const auto* t = field.As<Timeline>()) {
      for (const auto& [key, entry] : t->entries()) {
        *out = std::max(*out, key.hlc);
        MaxHlcOf(entry, out);
      }
    } else if (const auto* m = field.As<NestedMap>()) {
      for (const auto& entry : m->entries()) MaxHlcOf(entry.second, out);
    }
  }
}

}  // namespace

void ForEachRegister(const Fields& fields, absl::FunctionRef<void(const ValueRegister&)> visit) {
  for (const auto& [id, field] : fields.entries()) {
    if (const auto* r = field.As<ValueRegister>()) {
      visit(*r);
    } else if (const auto* t = field.As<Timeline>()) {
      for (const auto& entry : t->entries()) ForEachRegister(entry.second, visit);
    } else if (const auto* m = field.As<NestedMap>()) {
      for (const auto& entry : m->entries()) ForEachRegister(entry.second, visit);
    }
  }
}

namespace {
// The delete flag is always a value register when built by this library or the codec.
const ValueRegister& DeletedRegister(const Field& f) {
  static const ValueRegister kEmpty;
  const auto* r = f.As<ValueRegister>();
  return r ? *r : kEmpty;
}
}  // namespace

bool Record::deleted() const {
  const bool* b = std::get_if<bool>(&DeletedRegister(deleted_).Displayed());
  return b && *b;
}

void Record::Erase(uint64_t seq) {
  fields_.clear();
  deleted_ = Field(FieldKind::kValue);
  erased_ = true;
  erased_seq_ = seq;
}

bool Record::Join(const Record& other, uint64_t seq) {
  bool changed = false;
  // Types only differ if two replicas created the same id with different types, which random
  // ids make practically impossible; the smaller name wins so the join stays deterministic.
  if (type_.empty() || (!other.type_.empty() && other.type_ < type_)) {
    changed = type_ != other.type_;
    type_ = other.type_;
  }
  if (erased_) return changed;
  if (other.erased_) {
    Erase(seq);
    return true;
  }
  changed |= fields_.Join(other.fields_, seq);
  changed |= deleted_.Join(other.deleted_, seq);
  return changed;
}

Record Record::DeltaSince(uint64_t seq) const {
  Record out(id_, type_);
  out.fields_ = fields_.DeltaSince(seq);
  if (std::optional<Field> d = deleted_.DeltaSince(seq)) out.deleted_ = *std::move(d);
  if (erased_ && erased_seq_ > seq) out.set_erased_for_decoding(true, erased_seq_);
  return out;
}

void Record::TrimToDeltaSince(uint64_t seq) {
  fields_.TrimToDeltaSince(seq);
  if (deleted_.seq() <= seq) deleted_ = Field(FieldKind::kValue);
  if (!erased_ || erased_seq_ <= seq) set_erased_for_decoding(false, 0);
}

uint64_t Record::MaxSeq() const {
  return std::max({fields_.MaxSeq(), deleted_.seq(), erased_seq_});
}

void Record::StampSeq(uint64_t seq) {
  fields_.StampSeq(seq);
  deleted_.StampSeq(seq);
  if (erased_) erased_seq_ = seq;
}

Hlc Record::MaxHlc() const {
  Hlc m = 0;
  MaxHlcOf(fields_, &m);
  for (const Dot& d : DeletedRegister(deleted_).context().entries()) m = std::max(m, d.hlc);
  return m;
}

bool Record::HasConflicts() const {
  bool any = DeletedRegister(deleted_).HasConflict();
  ForEachRegister(fields_, [&](const ValueRegister& r) { any |= r.HasConflict(); });
  return any;
}

}  // namespace rapport::crdt
