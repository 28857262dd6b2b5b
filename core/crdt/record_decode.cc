// Decoding half of record_codec.h: reads rapport.v1.RecordState bytes straight into a Record,
// without a protobuf message tree. Every index, count and ordering is checked, so hostile bytes
// yield InvalidArgument instead of a crash or a corrupt state.
#include <algorithm>
#include <climits>
#include <initializer_list>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"
#include "core/crdt/record_state_fields.h"
#include "core/crdt/scalar_codec.h"
#include "core/crdt/wire_format.h"
#include "core/status_macros.h"

namespace rapport::crdt {
namespace {

namespace fn = fieldnum;
using wire::WireReader;
using wire::WireType;

// Protobuf's own parser stops at 100 nested messages; a record nests four per timeline or map
// level, and real schemas use one level.
constexpr int kMaxNesting = 16;

template <size_t N>
using Column = absl::InlinedVector<uint64_t, N>;
template <size_t N>
using Views = absl::InlinedVector<std::string_view, N>;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed record state: ", what));
}

// A repeated varint (or, `fixed`, fixed64) field, packed or not: protobuf accepts both and may
// split a column.
template <size_t N>
bool ReadColumn(WireReader& in, WireType type, Column<N>* out, bool fixed = false) {
  uint64_t v;
  auto one = [&](WireReader& r) { return fixed ? r.Fixed64(&v) : r.Varint(&v); };
  if (type == (fixed ? wire::kFixed64 : wire::kVarint)) {
    if (!one(in)) return false;
    out->push_back(v);
    return true;
  }
  std::string_view packed;
  if (type != wire::kLengthDelimited || !in.LengthDelimited(&packed)) return false;
  WireReader p(packed);
  while (!p.done()) {
    if (!one(p)) return false;
    out->push_back(v);
  }
  return true;
}

// A singular embedded message; a second occurrence (which protobuf would merge) is refused,
// since no encoder of ours writes one.
bool ReadMessage(WireReader& in, WireType type, std::optional<std::string_view>* out) {
  std::string_view s;
  if (type != wire::kLengthDelimited || out->has_value() || !in.LengthDelimited(&s)) return false;
  *out = s;
  return true;
}

bool ReadVarint(WireReader& in, WireType type, uint64_t* out) {
  return type == wire::kVarint && in.Varint(out);
}

bool ReadView(WireReader& in, WireType type, std::string_view* out) {
  return type == wire::kLengthDelimited && in.LengthDelimited(out);
}

// Walks the fields of one message: `read(field, type, in)` consumes a field (in.Skip for unknown
// ones) and returns false if it is malformed. A retired field number stops the walk. Returns
// InvalidArgument naming `message` for malformed bytes or a retired field.
template <typename Read>
absl::Status ForEachField(std::string_view bytes, absl::string_view message,
                          std::initializer_list<uint32_t> retired, Read read) {
  WireReader in(bytes);
  uint32_t field;
  WireType type;
  while (in.Next(&field, &type)) {
    if (std::find(retired.begin(), retired.end(), field) != retired.end()) {
      return Invalid(absl::StrCat(message, " field ", field,
                                  " belongs to the retired record format 1; the sender (or store) "
                                  "predates format 2 and must be upgraded"));
    }
    // A refused field is an error even when it was the message's last bytes: a tag with the
    // wrong wire type consumes nothing more, and the reader would look done.
    if (!read(field, type, in)) {
      return Invalid(absl::StrCat("a ", message, " has a malformed field ", field));
    }
  }
  if (in.failed() || !in.done()) {
    return Invalid(absl::StrCat("a ", message, " is truncated or has a malformed field"));
  }
  return absl::OkStatus();
}

uint64_t ApplyOffset(uint64_t base, uint64_t zigzag) {
  return base + static_cast<uint64_t>(wire::UnZigZag(zigzag));
}

// Skips a plain field's dot and payload, for counting.
bool SkipPlain(WireReader& in, uint64_t header) {
  uint64_t v;
  if ((header & fn::kPlainHasDot) != 0 && !in.Varint(&v)) return false;
  return scalar_codec::SkipPayload(static_cast<scalar_codec::Kind>(header & fn::kPlainKindMask),
                                   in);
}

class Decoder {
 public:
  // `known_id`: the id the bytes belong to when they may leave it out (the store's form).
  absl::StatusOr<Record> DecodeRecord(std::string_view bytes, const RecordId* known_id) {
    std::string_view id_bytes, type;
    Column<8> replicas;
    Column<32> dot_replicas, dot_steps;
    Column<4> dot_counters;
    std::optional<std::string_view> fields, deleted;
    uint64_t erased = 0, seq = 0, deleted_offset = 0, erased_offset = 0;
    RETURN_IF_ERROR(
        ForEachField(bytes, "record", {5, 8, 10}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kRecordId:
              return ReadView(in, wt, &id_bytes);
            case fn::kRecordType:
              return ReadView(in, wt, &type);
            case fn::kRecordReplicas:
              return ReadColumn(in, wt, &replicas, /*fixed=*/true);
            case fn::kRecordDotReplicas:
              return ReadColumn(in, wt, &dot_replicas);
            case fn::kRecordFields:
              return ReadMessage(in, wt, &fields);
            case fn::kRecordDeleted:
              return ReadMessage(in, wt, &deleted);
            case fn::kRecordErased:
              return ReadVarint(in, wt, &erased);
            case fn::kRecordDotSteps:
              return ReadColumn(in, wt, &dot_steps);
            case fn::kRecordDotCounters:
              return ReadColumn(in, wt, &dot_counters);
            case fn::kRecordSeq:
              return ReadVarint(in, wt, &seq);
            case fn::kRecordDeletedSeqOffset:
              return ReadVarint(in, wt, &deleted_offset);
            case fn::kRecordErasedSeqOffset:
              return ReadVarint(in, wt, &erased_offset);
          }
          return in.Skip(wt);
        }));
    RecordId id;
    if (known_id != nullptr && id_bytes.empty()) {
      id = *known_id;
    } else {
      ASSIGN_OR_RETURN(id, RecordId::FromBytes(id_bytes));
      if (known_id != nullptr && id != *known_id) return Invalid("record id differs from its key");
    }
    RETURN_IF_ERROR(LoadTables(replicas, dot_replicas, dot_steps, dot_counters));
    Record record(id, std::string(type));
    if (erased != 0) {
      // Erasure absorbs everything else; whatever values came along are dropped, not kept.
      record.set_erased_for_decoding(true, ApplyOffset(seq, erased_offset));
      return record;
    }
    if (fields) RETURN_IF_ERROR(DecodeFields(*fields, nullptr, seq, 0, &record.mutable_fields()));
    ValueRegister deleted_register;
    if (deleted) RETURN_IF_ERROR(DecodeRegister(*deleted, &deleted_register));
    record.mutable_deleted_field() =
        Field(std::move(deleted_register), ApplyOffset(seq, deleted_offset));
    return record;
  }

 private:
  template <size_t A, size_t B, size_t C, size_t D>
  absl::Status LoadTables(const Column<A>& replicas, const Column<B>& dot_replicas,
                          const Column<C>& steps, const Column<D>& counters) {
    if (dot_replicas.size() != steps.size()) return Invalid("dot table columns differ in length");
    replicas_.assign(replicas.begin(), replicas.end());
    dots_.reserve(steps.size());
    uint64_t ms = 0, counter = 0;
    size_t next_counter = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (dot_replicas[i] >= replicas_.size()) {
        return Invalid("dot names a replica beyond the replica table");
      }
      const uint64_t step = steps[i] >> fn::kStepShift;
      switch (steps[i] & ((uint64_t{1} << fn::kStepShift) - 1)) {
        case fn::kStepSameMillis:
          counter += step;
          break;
        case fn::kStepNewMillis:
          ms += step;
          counter = 0;
          break;
        case fn::kStepNewMillisWithCounter:
          if (next_counter == counters.size()) return Invalid("dot table lacks a counter");
          ms += step;
          counter = counters[next_counter++];
          break;
        default:
          return Invalid("dot table step of an unknown kind");
      }
      if (ms >= (uint64_t{1} << 48) || counter > 0xFFFF) return Invalid("dot stamp overflows");
      dots_.push_back(Dot{replicas_[dot_replicas[i]], MakeHlc(ms, static_cast<uint16_t>(counter))});
    }
    if (next_counter != counters.size()) return Invalid("dot table has unused counters");
    return absl::OkStatus();
  }

  absl::StatusOr<Dot> DotAt(uint64_t index) const {
    if (index >= dots_.size()) return Invalid("dot index beyond the dot table");
    return dots_[index];
  }

  template <size_t N>
  absl::StatusOr<VersionVector> Context(const Column<N>& indices) const {
    VersionVector context;
    for (uint64_t i : indices) {
      ASSIGN_OR_RETURN(Dot d, DotAt(i));
      context.Add(d);
    }
    return context;
  }

  absl::Status DecodeRegister(std::string_view bytes, ValueRegister* out) {
    Column<2> dots;
    Column<2> extra;
    std::string_view values;
    RETURN_IF_ERROR(
        ForEachField(bytes, "register", {2}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kRegisterDots:
              return ReadColumn(in, wt, &dots);
            case fn::kRegisterExtraContext:
              return ReadColumn(in, wt, &extra);
            case fn::kRegisterValues:
              return ReadView(in, wt, &values);
          }
          return in.Skip(wt);
        }));
    Siblings siblings;
    siblings.reserve(dots.size());
    WireReader v(values);
    for (uint64_t index : dots) {
      ASSIGN_OR_RETURN(Dot d, DotAt(index));
      for (const Sibling& s : siblings) {
        if (s.dot == d) return Invalid("register has two siblings with one dot");
      }
      uint64_t kind;
      Scalar value;
      if (!v.Varint(&kind) || kind > fn::kPlainKindMask ||
          !scalar_codec::ReadPayload(static_cast<scalar_codec::Kind>(kind), HlcMillis(d.hlc),
                                     strings_, v, &value)) {
        return Invalid("register sibling values are malformed or fewer than its dots");
      }
      siblings.push_back(Sibling{d, std::move(value)});
    }
    if (!v.done()) return Invalid("register has more sibling values than dots");
    ASSIGN_OR_RETURN(VersionVector context, Context(extra));
    *out = ValueRegister::FromParts(std::move(siblings), std::move(context));
    return absl::OkStatus();
  }

  absl::StatusOr<PnCounter> DecodeCounter(std::string_view bytes) {
    Column<4> replicas, increments, decrements;
    RETURN_IF_ERROR(
        ForEachField(bytes, "counter", {}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kCounterReplicas:
              return ReadColumn(in, wt, &replicas);
            case fn::kCounterIncrements:
              return ReadColumn(in, wt, &increments);
            case fn::kCounterDecrements:
              return ReadColumn(in, wt, &decrements);
          }
          return in.Skip(wt);
        }));
    if (replicas.size() != increments.size() || replicas.size() != decrements.size()) {
      return Invalid("counter columns differ in length");
    }
    std::vector<PnCounter::Entry> entries;
    entries.reserve(replicas.size());
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (replicas[i] >= replicas_.size()) {
        return Invalid("replica index beyond the replica table");
      }
      entries.push_back(PnCounter::Entry{replicas_[replicas[i]], increments[i], decrements[i]});
    }
    return PnCounter::FromEntries(std::move(entries));
  }

  absl::StatusOr<OrSet> DecodeSet(std::string_view bytes) {
    Views<8> elements;
    Column<8> counts, element_dots;
    Column<2> extra;
    RETURN_IF_ERROR(
        ForEachField(bytes, "set", {}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kSetElements:
              return ReadView(in, wt, &elements.emplace_back());
            case fn::kSetDotCounts:
              return ReadColumn(in, wt, &counts);
            case fn::kSetDots:
              return ReadColumn(in, wt, &element_dots);
            case fn::kSetExtraContext:
              return ReadColumn(in, wt, &extra);
          }
          return in.Skip(wt);
        }));
    if (elements.size() != counts.size()) return Invalid("set columns differ in length");
    std::vector<OrSet::Element> out;
    out.reserve(elements.size());
    size_t next = 0;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (counts[i] > element_dots.size() - next) {
        return Invalid("set element dot counts exceed the dots given");
      }
      OrSet::Element e{std::string(elements[i]), {}};
      e.dots.reserve(counts[i]);
      for (uint64_t k = 0; k < counts[i]; ++k) {
        ASSIGN_OR_RETURN(Dot d, DotAt(element_dots[next++]));
        e.dots.push_back(d);
      }
      out.push_back(std::move(e));
    }
    if (next != element_dots.size()) return Invalid("set has dots that belong to no element");
    ASSIGN_OR_RETURN(VersionVector context, Context(extra));
    return OrSet::FromParts(std::move(out), std::move(context));
  }

  // A TimelineState or MapState: keys and their entries' fields.
  template <typename Keyed>
  absl::Status DecodeEntries(std::string_view bytes, FieldId id, uint64_t seq, int depth,
                             Keyed* out) {
    constexpr bool kTimeline = std::is_same_v<Keyed, Timeline>;
    const char* what = kTimeline ? "timeline" : "map";
    Column<16> dot_keys;
    Views<kTimeline ? 1 : 8> text_keys;
    Views<16> entries;
    RETURN_IF_ERROR(
        ForEachField(bytes, what, {1}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kEntryKeys:
              if constexpr (kTimeline) {
                return ReadColumn(in, wt, &dot_keys);
              } else {
                return ReadView(in, wt, &text_keys.emplace_back());
              }
            case fn::kEntryFields:
              return ReadView(in, wt, &entries.emplace_back());
          }
          return in.Skip(wt);
        }));
    const size_t keys = kTimeline ? dot_keys.size() : text_keys.size();
    if (keys != entries.size()) {
      return Invalid(
          absl::StrCat(what, " ", id, " has ", keys, " keys for ", entries.size(), " entries"));
    }
    out->Reserve(keys);
    for (size_t i = 0; i < keys; ++i) {
      Fields fields;
      if constexpr (kTimeline) {
        ASSIGN_OR_RETURN(Dot key, DotAt(dot_keys[i]));
        RETURN_IF_ERROR(DecodeFields(entries[i], &key, seq, depth + 1, &fields));
        if (!out->AppendDecoded(key, std::move(fields))) {
          return Invalid(absl::StrCat("timeline ", id, " entries are not in ascending order"));
        }
      } else {
        RETURN_IF_ERROR(DecodeFields(entries[i], nullptr, seq, depth + 1, &fields));
        if (!out->AppendDecoded(std::string(text_keys[i]), std::move(fields))) {
          return Invalid(absl::StrCat("map ", id, " keys are not in ascending order"));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Fields::Entry> DecodeField(std::string_view bytes, uint64_t base, int depth) {
    uint64_t id = 0, seq_offset = 0;
    uint32_t kind = 0;
    std::optional<std::string_view> body;
    // A second kind fails as a second message would (ReadMessage refuses it).
    RETURN_IF_ERROR(
        ForEachField(bytes, "field", {2}, [&](uint32_t field, WireType wt, WireReader& in) {
          switch (field) {
            case fn::kFieldId:
              return ReadVarint(in, wt, &id);
            case fn::kFieldValue:
            case fn::kFieldCounter:
            case fn::kFieldSet:
            case fn::kFieldTimeline:
            case fn::kFieldMap:
              kind = field;
              return ReadMessage(in, wt, &body);
            case fn::kFieldSeqOffset:
              return ReadVarint(in, wt, &seq_offset);
          }
          return in.Skip(wt);
        }));
    if (id > UINT32_MAX) return Invalid("field id beyond 32 bits");
    const FieldId fid = static_cast<FieldId>(id);
    const uint64_t seq = ApplyOffset(base, seq_offset);
    switch (kind) {
      case fn::kFieldValue: {
        ValueRegister r;
        RETURN_IF_ERROR(DecodeRegister(*body, &r));
        return Fields::Entry(fid, Field(std::move(r), seq));
      }
      case fn::kFieldCounter: {
        ASSIGN_OR_RETURN(PnCounter c, DecodeCounter(*body));
        return Fields::Entry(fid, Field(std::move(c), seq));
      }
      case fn::kFieldSet: {
        ASSIGN_OR_RETURN(OrSet s, DecodeSet(*body));
        return Fields::Entry(fid, Field(std::move(s), seq));
      }
      case fn::kFieldTimeline: {
        Timeline t;
        RETURN_IF_ERROR(DecodeEntries(*body, fid, seq, depth, &t));
        return Fields::Entry(fid, Field(std::move(t), seq));
      }
      case fn::kFieldMap: {
        NestedMap m;
        RETURN_IF_ERROR(DecodeEntries(*body, fid, seq, depth, &m));
        return Fields::Entry(fid, Field(std::move(m), seq));
      }
    }
    return Invalid(absl::StrCat("field ", fid, " has no kind"));
  }

  // A FieldsState into `out`. `entry_key` is the timeline entry's key (the dot plain fields take
  // unless they name one); `base` the container's seq.
  absl::Status DecodeFields(std::string_view bytes, const Dot* entry_key, uint64_t base, int depth,
                            Fields* out) {
    if (depth > kMaxNesting) return Invalid("timelines and maps nest too deeply");
    Views<4> others;
    std::string_view plain;
    Column<8> offsets;
    RETURN_IF_ERROR(ForEachField(bytes, "set of fields", {1, 2, 3, 4},
                                 [&](uint32_t field, WireType wt, WireReader& in) {
                                   switch (field) {
                                     case fn::kFieldsOther:
                                       return ReadView(in, wt, &others.emplace_back());
                                     case fn::kFieldsPlain:
                                       return ReadView(in, wt, &plain);
                                     case fn::kFieldsPlainSeqOffsets:
                                       return ReadColumn(in, wt, &offsets);
                                   }
                                   return in.Skip(wt);
                                 }));

    size_t plain_count = 0;
    for (WireReader count(plain); !count.done(); ++plain_count) {
      uint64_t header;
      if (!count.Varint(&header) || !SkipPlain(count, header)) {
        return Invalid("plain fields are truncated");
      }
    }
    if (!offsets.empty() && offsets.size() != plain_count) {
      return Invalid("plain field seqs differ in number from the plain fields");
    }

    absl::InlinedVector<Fields::Entry, 4> decoded;
    for (std::string_view f : others) {
      ASSIGN_OR_RETURN(Fields::Entry e, DecodeField(f, base, depth));
      decoded.push_back(std::move(e));
    }
    std::stable_sort(decoded.begin(), decoded.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    out->Reserve(plain_count + decoded.size());
    auto other = decoded.begin();
    auto append = [&](FieldId id, Field&& f) -> absl::Status {
      if (!out->AppendDecoded(id, std::move(f))) {
        return Invalid(absl::StrCat("field ", id, " appears twice"));
      }
      return absl::OkStatus();
    };
    WireReader p(plain);
    uint64_t id = 0;
    const Dot* prev_dot = entry_key;
    Dot dot;
    for (size_t i = 0; i < plain_count; ++i) {
      uint64_t header;
      if (!p.Varint(&header)) return Invalid("plain fields are truncated");
      id += header >> fn::kPlainIdShift;
      if (id > UINT32_MAX) return Invalid("field id beyond 32 bits");
      if ((header & fn::kPlainHasDot) != 0) {
        uint64_t index;
        if (!p.Varint(&index)) return Invalid("plain fields are truncated");
        ASSIGN_OR_RETURN(dot, DotAt(index));
      } else if (prev_dot == nullptr) {
        return Invalid("the first plain field names no dot and has no entry key to take");
      } else {
        dot = *prev_dot;
      }
      prev_dot = &dot;
      Scalar value;
      if (!scalar_codec::ReadPayload(static_cast<scalar_codec::Kind>(header & fn::kPlainKindMask),
                                     HlcMillis(dot.hlc), strings_, p, &value)) {
        return Invalid("plain field value is malformed");
      }
      for (; other != decoded.end() && other->first < id; ++other) {
        RETURN_IF_ERROR(append(other->first, std::move(other->second)));
      }
      Field* f = out->AppendDecoded(static_cast<FieldId>(id), FieldKind::kValue);
      if (f == nullptr) return Invalid(absl::StrCat("field ", id, " appears twice"));
      f->As<ValueRegister>()->Write(dot, std::move(value));
      f->set_seq(offsets.empty() ? base : ApplyOffset(base, offsets[i]));
    }
    for (; other != decoded.end(); ++other) {
      RETURN_IF_ERROR(append(other->first, std::move(other->second)));
    }
    return absl::OkStatus();
  }

  std::vector<ReplicaId> replicas_;
  std::vector<Dot> dots_;
  scalar_codec::StringsRead strings_;
};

}  // namespace

absl::StatusOr<Record> DecodeRecord(std::string_view bytes) {
  return Decoder().DecodeRecord(bytes, nullptr);
}

absl::StatusOr<Record> DecodeRecord(std::string_view bytes, const RecordId& id) {
  return Decoder().DecodeRecord(bytes, &id);
}

absl::StatusOr<Record> RecordFromProto(const rapport::v1::RecordState& state) {
  return DecodeRecord(state.SerializeAsString());
}

}  // namespace rapport::crdt
