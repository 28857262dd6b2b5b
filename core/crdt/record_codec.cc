// Encoding half of record_codec.h: writes rapport.v1.RecordState bytes directly, in field-number
// order, omitting what proto3 omits, so the bytes are also what protobuf would serialize.
#include "core/crdt/record_codec.h"

#include <algorithm>

#include "core/crdt/record_state_fields.h"
#include "core/crdt/scalar_codec.h"
#include "core/crdt/wire_format.h"

namespace rapport::crdt {
namespace {

namespace fn = fieldnum;
using wire::WireWriter;

// Every dot and replica a record mentions, each given a table index.
class DotTable {
 public:
  // `dots` and `replicas` are scratch space, cleared here (their capacity is what is reused).
  DotTable(const Record& record, std::vector<Dot>& dots, std::vector<ReplicaId>& replicas)
      : dots_(dots), replicas_(replicas) {
    dots_.clear();
    replicas_.clear();
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

  void WriteReplicas(WireWriter& w) const {
    if (replicas_.empty()) return;
    w.Tag(fn::kRecordReplicas, wire::kLengthDelimited);
    w.Varint(replicas_.size() * 8);
    for (ReplicaId r : replicas_) w.Fixed64(r);
  }
  void WriteDotReplicas(WireWriter& w) const {
    if (dots_.empty()) return;
    const size_t s = w.Begin(fn::kRecordDotReplicas);
    for (const Dot& d : dots_) w.Varint(ReplicaIndex(d.replica));
    w.End(s);
  }
  void WriteDotStamps(WireWriter& w) const {
    if (dots_.empty()) return;
    bool any_counter = false;
    size_t s = w.Begin(fn::kRecordDotSteps);
    Hlc prev = 0;
    for (const Dot& d : dots_) {
      const uint64_t ms = HlcMillis(d.hlc), prev_ms = HlcMillis(prev);
      const uint64_t counter = d.hlc & 0xFFFF;
      if (ms == prev_ms) {
        w.Varint(((counter - (prev & 0xFFFF)) << fn::kStepShift) | fn::kStepSameMillis);
      } else if (counter == 0) {
        w.Varint(((ms - prev_ms) << fn::kStepShift) | fn::kStepNewMillis);
      } else {
        w.Varint(((ms - prev_ms) << fn::kStepShift) | fn::kStepNewMillisWithCounter);
        any_counter = true;
      }
      prev = d.hlc;
    }
    w.End(s);
    if (!any_counter) return;
    s = w.Begin(fn::kRecordDotCounters);
    prev = 0;
    for (const Dot& d : dots_) {
      if (HlcMillis(d.hlc) != HlcMillis(prev) && (d.hlc & 0xFFFF) != 0) w.Varint(d.hlc & 0xFFFF);
      prev = d.hlc;
    }
    w.End(s);
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

  std::vector<Dot>& dots_;
  std::vector<ReplicaId>& replicas_;
};

// Buffers an encoding needs, kept per thread: a store commit encodes a thousand records in a
// row, and allocating the dot table and string index afresh for each was a visible share of it.
struct EncoderScratch {
  std::vector<Dot> dots;
  std::vector<ReplicaId> replicas;
  scalar_codec::StringsWritten strings;
};

bool IsPlain(const ValueRegister& r) {
  return r.siblings().size() == 1 && r.context().entries().size() == 1 &&
         r.context().entries()[0] == r.siblings()[0].dot;
}

// Seqs are stored relative to their container's, so the common case (everything changed
// together) is a zero that proto3 leaves out.
uint64_t SeqOffset(uint64_t seq, uint64_t base) { return wire::ZigZag(int64_t(seq - base)); }

class Encoder {
 public:
  Encoder(const Record& record, EncodeOptions options, EncoderScratch& scratch, std::string* out)
      : table_(record, scratch.dots, scratch.replicas),
        options_(options),
        w_(out),
        strings_(scratch.strings) {
    strings_.Clear();
  }

  void Record(const crdt::Record& r) {
    const uint64_t base = r.MaxSeq();
    if (!options_.without_id) w_.Bytes(fn::kRecordId, r.id().bytes());
    if (!r.type().empty()) w_.Bytes(fn::kRecordType, r.type());
    table_.WriteReplicas(w_);
    table_.WriteDotReplicas(w_);
    if (!r.fields().empty()) {
      const size_t s = w_.Begin(fn::kRecordFields);
      FieldsBody(r.fields(), nullptr, base);
      w_.End(s);
    }
    const auto& deleted = *r.deleted_field().As<ValueRegister>();
    if (!deleted.siblings().empty() || !deleted.context().empty()) {
      const size_t s = w_.Begin(fn::kRecordDeleted);
      RegisterBody(deleted);
      w_.End(s);
    }
    if (r.erased()) {
      w_.Tag(fn::kRecordErased, wire::kVarint);
      w_.Varint(1);
    }
    table_.WriteDotStamps(w_);
    if (!options_.with_seqs) return;
    OptionalVarint(fn::kRecordSeq, base);
    OptionalVarint(fn::kRecordDeletedSeqOffset, SeqOffset(r.deleted_field().seq(), base));
    if (r.erased()) OptionalVarint(fn::kRecordErasedSeqOffset, SeqOffset(r.erased_seq(), base));
  }

 private:
  void OptionalVarint(uint32_t field, uint64_t v) {
    if (v == 0) return;
    w_.Tag(field, wire::kVarint);
    w_.Varint(v);
  }

  template <typename Range, typename Value>
  void Packed(uint32_t field, const Range& items, Value value) {
    if (items.empty()) return;
    const size_t s = w_.Begin(field);
    for (const auto& item : items) w_.Varint(value(item));
    w_.End(s);
  }

  // Context entries that `implied` does not already give.
  template <typename Implied>
  void ExtraContext(uint32_t field, const VersionVector& context, const Implied& implied) {
    const size_t s = w_.Begin(field);
    for (const Dot& c : context.entries()) {
      const bool is_implied =
          std::any_of(implied.begin(), implied.end(), [&](const Dot& d) { return d == c; });
      if (!is_implied) w_.Varint(table_.DotIndex(c));
    }
    w_.EndOrDrop(s, field);
  }

  void RegisterBody(const ValueRegister& r) {
    Packed(fn::kRegisterDots, r.siblings(),
           [&](const Sibling& s) { return table_.DotIndex(s.dot); });
    std::vector<Dot> sibling_dots;
    sibling_dots.reserve(r.siblings().size());
    for (const Sibling& s : r.siblings()) sibling_dots.push_back(s.dot);
    ExtraContext(fn::kRegisterExtraContext, r.context(), sibling_dots);
    if (r.siblings().empty()) return;
    const size_t s = w_.Begin(fn::kRegisterValues);
    for (const Sibling& sib : r.siblings()) {
      w_.Varint(scalar_codec::KindOf(sib.value));
      scalar_codec::WritePayload(sib.value, HlcMillis(sib.dot.hlc), strings_, w_);
    }
    w_.End(s);
  }

  void CounterBody(const PnCounter& c) {
    using Entry = PnCounter::Entry;
    Packed(fn::kCounterReplicas, c.entries(),
           [&](const Entry& e) { return table_.ReplicaIndex(e.replica); });
    Packed(fn::kCounterIncrements, c.entries(), [](const Entry& e) { return e.increments; });
    Packed(fn::kCounterDecrements, c.entries(), [](const Entry& e) { return e.decrements; });
    // proto3 drops a packed column of zeros only when it is empty, so all three stay parallel.
  }

  void SetBody(const OrSet& set) {
    std::vector<Dot> implied;
    for (const auto& e : set.elements()) w_.Bytes(fn::kSetElements, e.value);
    Packed(fn::kSetDotCounts, set.elements(),
           [](const OrSet::Element& e) { return e.dots.size(); });
    if (!set.elements().empty()) {
      const size_t s = w_.Begin(fn::kSetDots);
      for (const auto& e : set.elements()) {
        for (const Dot& d : e.dots) w_.Varint(table_.DotIndex(d));
        implied.insert(implied.end(), e.dots.begin(), e.dots.end());
      }
      w_.EndOrDrop(s, fn::kSetDots);
    }
    // Only the greatest dot per replica is implied in the context.
    std::vector<Dot> greatest;
    for (const Dot& c : set.context().entries()) {
      Hlc max = 0;
      for (const Dot& d : implied) {
        if (d.replica == c.replica) max = std::max(max, d.hlc);
      }
      if (max != 0) greatest.push_back(Dot{c.replica, max});
    }
    ExtraContext(fn::kSetExtraContext, set.context(), greatest);
  }

  template <typename Keyed, typename WriteKeys>
  void EntriesBody(const Keyed& keyed, uint64_t seq, WriteKeys write_keys, bool keys_are_dots) {
    write_keys();
    for (const auto& [key, entry] : keyed.entries()) {
      const size_t s = w_.Begin(fn::kEntryFields);
      if constexpr (std::is_same_v<std::decay_t<decltype(key)>, Dot>) {
        FieldsBody(entry, keys_are_dots ? &key : nullptr, seq);
      } else {
        FieldsBody(entry, nullptr, seq);
      }
      w_.End(s);
    }
  }

  void FieldBody(FieldId id, const Field& field, uint64_t base) {
    if (id != 0) {
      w_.Tag(fn::kFieldId, wire::kVarint);
      w_.Varint(id);
    }
    if (const auto* r = field.As<ValueRegister>()) {
      const size_t s = w_.Begin(fn::kFieldValue);
      RegisterBody(*r);
      w_.End(s);
    } else if (const auto* c = field.As<PnCounter>()) {
      const size_t s = w_.Begin(fn::kFieldCounter);
      CounterBody(*c);
      w_.End(s);
    } else if (const auto* set = field.As<OrSet>()) {
      const size_t s = w_.Begin(fn::kFieldSet);
      SetBody(*set);
      w_.End(s);
    } else if (const auto* t = field.As<Timeline>()) {
      const size_t s = w_.Begin(fn::kFieldTimeline);
      EntriesBody(
          *t, field.seq(),
          [&] {
            Packed(fn::kEntryKeys, t->entries(),
                   [&](const Timeline::Entry& e) { return table_.DotIndex(e.first); });
          },
          true);
      w_.End(s);
    } else if (const auto* m = field.As<NestedMap>()) {
      const size_t s = w_.Begin(fn::kFieldMap);
      EntriesBody(
          *m, field.seq(),
          [&] {
            for (const auto& e : m->entries()) w_.Bytes(fn::kEntryKeys, e.first);
          },
          false);
      w_.End(s);
    }
    if (options_.with_seqs) OptionalVarint(fn::kFieldSeqOffset, SeqOffset(field.seq(), base));
  }

  // The body of a FieldsState. `entry_key` is the timeline entry's key, the dot its plain fields
  // take unless they name another; `base` is the container's seq.
  void FieldsBody(const Fields& fields, const Dot* entry_key, uint64_t base) {
    bool any_plain = false;
    for (const auto& [id, field] : fields.entries()) {
      const auto* r = field.As<ValueRegister>();
      if (r && IsPlain(*r)) {
        any_plain = true;
        continue;
      }
      const size_t s = w_.Begin(fn::kFieldsOther);
      FieldBody(id, field, base);
      w_.End(s);
    }
    if (!any_plain) return;
    const size_t s = w_.Begin(fn::kFieldsPlain);
    FieldId prev_id = 0;
    const Dot* prev_dot = entry_key;
    bool any_offset = false;
    for (const auto& [id, field] : fields.entries()) {
      const auto* r = field.As<ValueRegister>();
      if (!r || !IsPlain(*r)) continue;
      const Sibling& sib = r->siblings()[0];
      const bool has_dot = prev_dot == nullptr || *prev_dot != sib.dot;
      w_.Varint((uint64_t{id - prev_id} << fn::kPlainIdShift) | (has_dot ? fn::kPlainHasDot : 0) |
                scalar_codec::KindOf(sib.value));
      if (has_dot) w_.Varint(table_.DotIndex(sib.dot));
      scalar_codec::WritePayload(sib.value, HlcMillis(sib.dot.hlc), strings_, w_);
      prev_id = id;
      prev_dot = &sib.dot;
      any_offset |= field.seq() != base;
    }
    w_.End(s);
    if (!options_.with_seqs || !any_offset) return;
    const size_t o = w_.Begin(fn::kFieldsPlainSeqOffsets);
    for (const auto& [id, field] : fields.entries()) {
      const auto* r = field.As<ValueRegister>();
      if (r && IsPlain(*r)) w_.Varint(SeqOffset(field.seq(), base));
    }
    w_.End(o);
  }

  const DotTable table_;
  const EncodeOptions options_;
  WireWriter w_;
  scalar_codec::StringsWritten& strings_;
};

}  // namespace

void EncodeRecordTo(const Record& record, EncodeOptions options, std::string* out) {
  thread_local EncoderScratch scratch;
  out->clear();
  Encoder(record, options, scratch, out).Record(record);
}

std::string EncodeRecord(const Record& record, EncodeOptions options) {
  std::string out;
  out.reserve(1024);
  EncodeRecordTo(record, options, &out);
  return out;
}

void RecordToProto(const Record& record, rapport::v1::RecordState* out, EncodeOptions options) {
  const std::string bytes = EncodeRecord(record, options);
  // Our own bytes always parse; a failure would leave `out` cleared, which the decoder refuses.
  if (!out->ParseFromString(bytes)) out->Clear();
}

}  // namespace rapport::crdt
