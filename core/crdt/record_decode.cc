// Decoding half of record_codec.h: every index, count and ordering is checked, so hostile bytes
// yield InvalidArgument instead of a crash or a corrupt state.
#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/status_macros.h"
#include "google/protobuf/arena.h"

namespace rapport::crdt {
namespace {

namespace pb = ::rapport::v1;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed record state: ", what));
}

class Tables {
 public:
  absl::Status Load(const pb::RecordState& s) {
    if (s.dot_replicas_size() != s.dot_hlc_deltas_size()) {
      return Invalid("dot table columns differ in length");
    }
    replicas_.assign(s.replicas().begin(), s.replicas().end());
    Hlc hlc = 0;
    for (int i = 0; i < s.dot_replicas_size(); ++i) {
      const uint32_t r = s.dot_replicas(i);
      if (r >= replicas_.size()) return Invalid("dot names a replica beyond the replica table");
      const Hlc next = hlc + s.dot_hlc_deltas(i);
      if (next < hlc) return Invalid("dot stamp overflows");
      hlc = next;
      dots_.push_back(Dot{replicas_[r], hlc});
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Dot> DotAt(uint32_t index) const {
    if (index >= dots_.size()) return Invalid("dot index beyond the dot table");
    return dots_[index];
  }
  absl::StatusOr<ReplicaId> ReplicaAt(uint32_t index) const {
    if (index >= replicas_.size()) return Invalid("replica index beyond the replica table");
    return replicas_[index];
  }

 private:
  std::vector<ReplicaId> replicas_;
  std::vector<Dot> dots_;
};

Scalar ScalarFromProto(const pb::ScalarValue& v) {
  switch (v.kind_case()) {
    case pb::ScalarValue::kText:
      return v.text();
    case pb::ScalarValue::kInteger:
      return v.integer();
    case pb::ScalarValue::kReal:
      return v.real();
    case pb::ScalarValue::kBoolean:
      return v.boolean();
    case pb::ScalarValue::kDate:
      return Date{v.date()};
    case pb::ScalarValue::kEnumSymbol:
      return EnumSymbol{v.enum_symbol()};
    case pb::ScalarValue::kTimestampMs:
      return Timestamp{v.timestamp_ms()};
    case pb::ScalarValue::KIND_NOT_SET:
      break;
  }
  return std::monostate{};
}

template <typename Indices>
absl::StatusOr<VersionVector> ContextFromProto(const Indices& indices, const Tables& t) {
  VersionVector context;
  for (uint32_t i : indices) {
    ASSIGN_OR_RETURN(Dot d, t.DotAt(i));
    context.Add(d);
  }
  return context;
}

absl::StatusOr<ValueRegister> RegisterFromProto(const pb::RegisterState& r, const Tables& t) {
  if (r.sibling_dots_size() != r.sibling_values_size()) {
    return Invalid("register sibling columns differ in length");
  }
  std::vector<Sibling> siblings;
  for (int i = 0; i < r.sibling_dots_size(); ++i) {
    ASSIGN_OR_RETURN(Dot d, t.DotAt(r.sibling_dots(i)));
    for (const Sibling& s : siblings) {
      if (s.dot == d) return Invalid("register has two siblings with one dot");
    }
    siblings.push_back(Sibling{d, ScalarFromProto(r.sibling_values(i))});
  }
  ASSIGN_OR_RETURN(VersionVector context, ContextFromProto(r.extra_context(), t));
  return ValueRegister::FromParts(std::move(siblings), std::move(context));
}

absl::StatusOr<PnCounter> CounterFromProto(const pb::CounterState& c, const Tables& t) {
  if (c.replicas_size() != c.increments_size() || c.replicas_size() != c.decrements_size()) {
    return Invalid("counter columns differ in length");
  }
  std::vector<PnCounter::Entry> entries;
  for (int i = 0; i < c.replicas_size(); ++i) {
    ASSIGN_OR_RETURN(ReplicaId r, t.ReplicaAt(c.replicas(i)));
    entries.push_back(PnCounter::Entry{r, c.increments(i), c.decrements(i)});
  }
  return PnCounter::FromEntries(std::move(entries));
}

absl::StatusOr<OrSet> SetFromProto(const pb::SetState& s, const Tables& t) {
  if (s.elements_size() != s.element_dot_counts_size()) {
    return Invalid("set columns differ in length");
  }
  std::vector<OrSet::Element> elements;
  int next = 0;
  for (int i = 0; i < s.elements_size(); ++i) {
    const uint32_t count = s.element_dot_counts(i);
    if (count > static_cast<uint32_t>(s.element_dots_size() - next)) {
      return Invalid("set element dot counts exceed the dots given");
    }
    OrSet::Element e{s.elements(i), {}};
    for (uint32_t k = 0; k < count; ++k) {
      ASSIGN_OR_RETURN(Dot d, t.DotAt(s.element_dots(next++)));
      e.dots.push_back(d);
    }
    elements.push_back(std::move(e));
  }
  if (next != s.element_dots_size()) return Invalid("set has dots that belong to no element");
  ASSIGN_OR_RETURN(VersionVector context, ContextFromProto(s.extra_context(), t));
  return OrSet::FromParts(std::move(elements), std::move(context));
}

absl::StatusOr<Fields> FieldsFromProto(const pb::FieldsState& f, const Tables& t);

absl::StatusOr<Field> FieldFromProto(const pb::FieldState& f, const Tables& t) {
  switch (f.kind_case()) {
    case pb::FieldState::kValue: {
      ASSIGN_OR_RETURN(ValueRegister r, RegisterFromProto(f.value(), t));
      return Field(std::move(r), f.seq());
    }
    case pb::FieldState::kCounter: {
      ASSIGN_OR_RETURN(PnCounter c, CounterFromProto(f.counter(), t));
      return Field(std::move(c), f.seq());
    }
    case pb::FieldState::kSet: {
      ASSIGN_OR_RETURN(OrSet s, SetFromProto(f.set(), t));
      return Field(std::move(s), f.seq());
    }
    case pb::FieldState::kTimeline: {
      Timeline timeline;
      for (const auto& e : f.timeline().entries()) {
        ASSIGN_OR_RETURN(Dot key, t.DotAt(e.key()));
        ASSIGN_OR_RETURN(Fields fields, FieldsFromProto(e.fields(), t));
        if (!timeline.AppendDecoded(key, std::move(fields))) {
          return Invalid(absl::StrCat("timeline ", f.id(), " entries are not in ascending order"));
        }
      }
      return Field(std::move(timeline), f.seq());
    }
    case pb::FieldState::kMap: {
      NestedMap map;
      for (const auto& e : f.map().entries()) {
        ASSIGN_OR_RETURN(Fields fields, FieldsFromProto(e.fields(), t));
        if (!map.AppendDecoded(e.key(), std::move(fields))) {
          return Invalid(absl::StrCat("map ", f.id(), " keys are not in ascending order"));
        }
      }
      return Field(std::move(map), f.seq());
    }
    case pb::FieldState::KIND_NOT_SET:
      break;
  }
  return Invalid(absl::StrCat("field ", f.id(), " has no kind"));
}

absl::StatusOr<Fields> FieldsFromProto(const pb::FieldsState& f, const Tables& t) {
  const int plain = f.plain_ids_size();
  if (f.plain_dots_size() != plain || f.plain_values_size() != plain ||
      (f.plain_seqs_size() != 0 && f.plain_seqs_size() != plain)) {
    return Invalid("plain field columns differ in length");
  }
  std::vector<std::pair<FieldId, Field>> all;
  all.reserve(plain + f.fields_size());
  for (int i = 0; i < plain; ++i) {
    ASSIGN_OR_RETURN(Dot d, t.DotAt(f.plain_dots(i)));
    ValueRegister r;
    r.Write(d, ScalarFromProto(f.plain_values(i)));
    all.emplace_back(f.plain_ids(i),
                     Field(std::move(r), plain == f.plain_seqs_size() ? f.plain_seqs(i) : 0));
  }
  for (const pb::FieldState& fs : f.fields()) {
    ASSIGN_OR_RETURN(Field field, FieldFromProto(fs, t));
    all.emplace_back(fs.id(), std::move(field));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Fields out;
  for (auto& [id, field] : all) {
    if (!out.AppendDecoded(id, std::move(field))) {
      return Invalid(absl::StrCat("field ", id, " appears twice"));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Record> RecordFromProto(const pb::RecordState& s) {
  ASSIGN_OR_RETURN(RecordId id, RecordId::FromBytes(s.id()));
  Tables tables;
  RETURN_IF_ERROR(tables.Load(s));
  Record record(id, s.type());
  if (s.erased()) {
    // Erasure absorbs everything else; whatever values came along are dropped, not kept.
    record.set_erased_for_decoding(true, s.erased_seq());
    return record;
  }
  ASSIGN_OR_RETURN(record.mutable_fields(), FieldsFromProto(s.fields(), tables));
  ASSIGN_OR_RETURN(ValueRegister deleted, RegisterFromProto(s.deleted(), tables));
  record.mutable_deleted_field() = Field(std::move(deleted), s.deleted_seq());
  return record;
}

absl::StatusOr<Record> DecodeRecord(std::string_view bytes) {
  // An arena turns the hundreds of small allocations of a parsed record into a few blocks.
  google::protobuf::Arena arena;
  auto* state = google::protobuf::Arena::CreateMessage<pb::RecordState>(&arena);
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !state->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Invalid("not a rapport.v1.RecordState protobuf");
  }
  return RecordFromProto(*state);
}

}  // namespace rapport::crdt
