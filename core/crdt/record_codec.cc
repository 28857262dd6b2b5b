#include "core/crdt/record_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "google/protobuf/arena.h"

namespace rapport::crdt {
namespace {

namespace pb = ::rapport::v1;

// ---- Encoding -------------------------------------------------------------------------------

// Every dot and replica a record mentions, each given a table index.
class DotTable {
 public:
  explicit DotTable(const Record& record) {
    CollectRegister(*record.deleted_field().As<ValueRegister>());
    Collect(record.fields());
    std::sort(dots_.begin(), dots_.end());
    dots_.erase(std::unique(dots_.begin(), dots_.end()), dots_.end());
    for (const Dot& d : dots_) replicas_.push_back(d.replica);
    // Counter replicas are in replicas_ already; they need no dot.
    std::sort(replicas_.begin(), replicas_.end());
    replicas_.erase(std::unique(replicas_.begin(), replicas_.end()), replicas_.end());
  }

  uint32_t DotIndex(const Dot& d) const {
    return static_cast<uint32_t>(std::lower_bound(dots_.begin(), dots_.end(), d) - dots_.begin());
  }
  uint32_t ReplicaIndex(ReplicaId r) const {
    return static_cast<uint32_t>(std::lower_bound(replicas_.begin(), replicas_.end(), r) -
                                 replicas_.begin());
  }

  void WriteTo(pb::RecordState* out) const {
    for (ReplicaId r : replicas_) out->add_replicas(r);
    Hlc prev = 0;
    for (const Dot& d : dots_) {
      out->add_dot_replicas(ReplicaIndex(d.replica));
      out->add_dot_hlc_deltas(d.hlc - prev);
      prev = d.hlc;
    }
  }

 private:
  void CollectRegister(const ValueRegister& r) {
    // Context entries are dots too (the greatest stamp seen per replica).
    for (const Dot& d : r.context().entries()) dots_.push_back(d);
    for (const Sibling& s : r.siblings()) dots_.push_back(s.dot);
  }
  void Collect(const Fields& fields) {
    for (const auto& [id, field] : fields.entries()) {
      if (const auto* r = field.As<ValueRegister>()) {
        CollectRegister(*r);
      } else if (const auto* c = field.As<PnCounter>()) {
        for (const auto& e : c->entries()) replicas_.push_back(e.replica);
      } else if (const auto* s = field.As<OrSet>()) {
        for (const Dot& d : s->context().entries()) dots_.push_back(d);
        for (const auto& e : s->elements()) dots_.insert(dots_.end(), e.dots.begin(), e.dots.end());
      } else if (const auto* t = field.As<Timeline>()) {
        for (const auto& [key, entry] : t->entries()) {
          dots_.push_back(key);
          Collect(entry);
        }
      } else if (const auto* m = field.As<NestedMap>()) {
        for (const auto& entry : m->entries()) Collect(entry.second);
      }
    }
  }

  std::vector<Dot> dots_;
  std::vector<ReplicaId> replicas_;
};

void ScalarToProto(const Scalar& value, pb::ScalarValue* out) {
  struct Visitor {
    pb::ScalarValue* out;
    void operator()(std::monostate) const {}
    void operator()(const std::string& s) const { out->set_text(s); }
    void operator()(int64_t i) const { out->set_integer(i); }
    void operator()(double d) const { out->set_real(d); }
    void operator()(bool b) const { out->set_boolean(b); }
    void operator()(Date d) const { out->set_date(d.days); }
    void operator()(const EnumSymbol& e) const { out->set_enum_symbol(e.symbol); }
    void operator()(Timestamp t) const { out->set_timestamp_ms(t.millis); }
  };
  std::visit(Visitor{out}, value);
}

// Context entries that the siblings do not already imply.
template <typename Out>
void WriteExtraContext(const VersionVector& context, const std::vector<Dot>& implied,
                       const DotTable& table, Out* out) {
  for (const Dot& c : context.entries()) {
    const bool is_implied = std::any_of(implied.begin(), implied.end(), [&](const Dot& d) {
      return d.replica == c.replica && d.hlc == c.hlc;
    });
    if (!is_implied) out->Add(table.DotIndex(c));
  }
}

bool IsPlain(const ValueRegister& r) {
  return r.siblings().size() == 1 && r.context().entries().size() == 1 &&
         r.context().entries()[0] == r.siblings()[0].dot;
}

void RegisterToProto(const ValueRegister& r, const DotTable& table, pb::RegisterState* out) {
  std::vector<Dot> sibling_dots;
  for (const Sibling& s : r.siblings()) {
    out->add_sibling_dots(table.DotIndex(s.dot));
    ScalarToProto(s.value, out->add_sibling_values());
    sibling_dots.push_back(s.dot);
  }
  WriteExtraContext(r.context(), sibling_dots, table, out->mutable_extra_context());
}

void FieldsToProto(const Fields& fields, const DotTable& table, EncodeOptions options,
                   pb::FieldsState* out);

void FieldToProto(const Field& field, const DotTable& table, EncodeOptions options,
                  pb::FieldState* out) {
  if (options.with_seqs) out->set_seq(field.seq());
  if (const auto* r = field.As<ValueRegister>()) {
    RegisterToProto(*r, table, out->mutable_value());
  } else if (const auto* c = field.As<PnCounter>()) {
    pb::CounterState* cs = out->mutable_counter();
    for (const auto& e : c->entries()) {
      cs->add_replicas(table.ReplicaIndex(e.replica));
      cs->add_increments(e.increments);
      cs->add_decrements(e.decrements);
    }
  } else if (const auto* s = field.As<OrSet>()) {
    pb::SetState* ss = out->mutable_set();
    std::vector<Dot> implied;
    for (const auto& e : s->elements()) {
      ss->add_elements(e.value);
      ss->add_element_dot_counts(static_cast<uint32_t>(e.dots.size()));
      for (const Dot& d : e.dots) ss->add_element_dots(table.DotIndex(d));
      implied.insert(implied.end(), e.dots.begin(), e.dots.end());
    }
    // Only the greatest dot per replica is implied in the context.
    std::vector<Dot> greatest;
    for (const Dot& c : s->context().entries()) {
      Hlc max = 0;
      for (const Dot& d : implied) {
        if (d.replica == c.replica) max = std::max(max, d.hlc);
      }
      if (max != 0) greatest.push_back(Dot{c.replica, max});
    }
    WriteExtraContext(s->context(), greatest, table, ss->mutable_extra_context());
  } else if (const auto* t = field.As<Timeline>()) {
    pb::TimelineState* ts = out->mutable_timeline();
    for (const auto& [key, entry] : t->entries()) {
      pb::TimelineEntryState* es = ts->add_entries();
      es->set_key(table.DotIndex(key));
      FieldsToProto(entry, table, options, es->mutable_fields());
    }
  } else if (const auto* m = field.As<NestedMap>()) {
    pb::MapState* ms = out->mutable_map();
    for (const auto& [key, entry] : m->entries()) {
      pb::MapEntryState* es = ms->add_entries();
      es->set_key(key);
      FieldsToProto(entry, table, options, es->mutable_fields());
    }
  }
}

void FieldsToProto(const Fields& fields, const DotTable& table, EncodeOptions options,
                   pb::FieldsState* out) {
  for (const auto& [id, field] : fields.entries()) {
    const auto* r = field.As<ValueRegister>();
    if (r && IsPlain(*r)) {
      out->add_plain_ids(id);
      out->add_plain_dots(table.DotIndex(r->siblings()[0].dot));
      ScalarToProto(r->siblings()[0].value, out->add_plain_values());
      if (options.with_seqs) out->add_plain_seqs(field.seq());
    } else {
      pb::FieldState* fs = out->add_fields();
      fs->set_id(id);
      FieldToProto(field, table, options, fs);
    }
  }
}

}  // namespace

void RecordToProto(const Record& record, pb::RecordState* out, EncodeOptions options) {
  const DotTable table(record);
  out->set_id(std::string(record.id().bytes()));
  out->set_type(record.type());
  table.WriteTo(out);
  FieldsToProto(record.fields(), table, options, out->mutable_fields());
  const auto& deleted = *record.deleted_field().As<ValueRegister>();
  if (!deleted.siblings().empty() || !deleted.context().empty()) {
    RegisterToProto(deleted, table, out->mutable_deleted());
  }
  if (options.with_seqs) out->set_deleted_seq(record.deleted_field().seq());
  out->set_erased(record.erased());
  if (options.with_seqs) out->set_erased_seq(record.erased_seq());
}

std::string EncodeRecord(const Record& record, EncodeOptions options) {
  google::protobuf::Arena arena;
  auto* state = google::protobuf::Arena::CreateMessage<pb::RecordState>(&arena);
  RecordToProto(record, state, options);
  std::string out;
  state->SerializeToString(&out);
  return out;
}

}  // namespace rapport::crdt
