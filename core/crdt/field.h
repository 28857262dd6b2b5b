// The field tree of a record. A record's fields, a timeline entry's fields and a map entry's
// fields are all `Fields`: a grow-only map from field number to `Field`, each of one kind:
//   value    -> ValueRegister   counter -> PnCounter   set -> OrSet
//   timeline -> Timeline (entries keyed by the dot that created them, never lost)
//   map      -> NestedMap (string key -> nested Fields, e.g. contact persons)
// Every Field also carries `seq`: the local sequence number of the last change to it (for a
// container, of the last change anywhere below it). Seqs are local bookkeeping, not replicated
// state: they let a store extract "every field changed since seq S" as a delta.
// Plain value types, not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/crdt/or_set.h"
#include "core/crdt/pn_counter.h"
#include "core/crdt/value_register.h"

namespace rapport::crdt {

enum class FieldKind : uint8_t { kValue = 0, kCounter = 1, kSet = 2, kTimeline = 3, kMap = 4 };

// "value", "counter", "set", "timeline" or "map", for messages.
std::string_view FieldKindName(FieldKind kind);

class Field;

class Fields {
 public:
  using Entry = std::pair<FieldId, Field>;

  Fields();
  ~Fields();
  Fields(const Fields&);
  Fields(Fields&&) noexcept;
  Fields& operator=(const Fields&);
  Fields& operator=(Fields&&) noexcept;

  const Field* Find(FieldId id) const;
  Field* Find(FieldId id);
  // Returns the field `id`, created empty of `kind` if absent; nullptr if it exists with
  // another kind.
  Field* FindOrCreate(FieldId id, FieldKind kind);

  // Joins every field of `other` into this one; fields that change get `seq`.
  bool Join(const Fields& other, uint64_t seq);
  // The fields changed after `seq`, trimmed to their changed parts.
  Fields DeltaSince(uint64_t seq) const;
  // The same in place: drops what DeltaSince(seq) would leave out, copying nothing.
  void TrimToDeltaSince(uint64_t seq);
  uint64_t MaxSeq() const;
  // Sets the seq of every field below to `seq`.
  void StampSeq(uint64_t seq);

  // Appends during decoding; ids must arrive ascending and unique (returns false otherwise).
  bool AppendDecoded(FieldId id, Field field);
  // The same for an empty field of `kind`, built in place; nullptr if out of order.
  Field* AppendDecoded(FieldId id, FieldKind kind);
  void Reserve(size_t n);

  // Out of line: Field is incomplete here, and clang's libstdc++ checks refuse vector<pair<...>>
  // members that need it.
  bool empty() const;
  size_t size() const;
  void clear();
  // Ascending by field id.
  const std::vector<Entry>& entries() const { return entries_; }

  friend bool operator==(const Fields&, const Fields&);

 private:
  std::vector<Entry> entries_;
};

// Grow-only map from a key to nested Fields, the shape shared by timelines and nested maps: an
// entry, once created, is never removed, so a join is a union with a per-entry join of fields.
template <typename Derived, typename Key>
class KeyedFields {
 public:
  using Entry = std::pair<Key, Fields>;

  template <typename K>
  Fields& GetOrCreate(const K& key) {
    auto it = LowerBound(key);
    if (it == entries_.end() || it->first != key) it = entries_.emplace(it, Key(key), Fields());
    return it->second;
  }
  template <typename K>
  Fields* Find(const K& key) {
    auto it = LowerBound(key);
    return it != entries_.end() && it->first == key ? &it->second : nullptr;
  }
  template <typename K>
  const Fields* Find(const K& key) const {
    return const_cast<KeyedFields*>(this)->Find(key);
  }

  // Joins entry by entry; entries that change get `seq`. Returns true if anything changed.
  bool Join(const Derived& other, uint64_t seq) {
    if (entries_.empty()) {
      if (other.entries_.empty()) return false;
      entries_ = other.entries_;
      StampSeq(seq);
      return true;
    }
    bool changed = false;
    for (const auto& [key, theirs] : other.entries_) {
      auto it = LowerBound(key);
      if (it == entries_.end() || it->first != key) {
        it = entries_.emplace(it, key, theirs);
        it->second.StampSeq(seq);
        changed = true;
      } else {
        changed |= it->second.Join(theirs, seq);
      }
    }
    return changed;
  }
  // The entries changed after `seq`, each trimmed to its changed fields.
  Derived DeltaSince(uint64_t seq) const {
    Derived out;
    for (const auto& [key, fields] : entries_) {
      Fields d = fields.DeltaSince(seq);
      if (!d.empty()) out.entries_.emplace_back(key, std::move(d));
    }
    return out;
  }
  void StampSeq(uint64_t seq) {
    for (auto& e : entries_) e.second.StampSeq(seq);
  }
  void TrimToDeltaSince(uint64_t seq) {
    for (auto& e : entries_) e.second.TrimToDeltaSince(seq);
    std::erase_if(entries_, [](const Entry& e) { return e.second.empty(); });
  }
  void Reserve(size_t n) { entries_.reserve(n); }
  // Appends during decoding; keys must arrive ascending and unique (returns false otherwise).
  bool AppendDecoded(Key key, Fields fields) {
    if (!entries_.empty() && !(entries_.back().first < key)) return false;
    entries_.emplace_back(std::move(key), std::move(fields));
    return true;
  }

  // Ascending by key.
  const std::vector<Entry>& entries() const { return entries_; }

  friend bool operator==(const KeyedFields&, const KeyedFields&) = default;

 private:
  template <typename K>
  auto LowerBound(const K& key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& e, const K& k) { return e.first < k; });
  }

  std::vector<Entry> entries_;
};

// Append-mostly collection of dated entries (visits, calls, complaints, orders, surveys). An
// entry is keyed by the dot that created it, so concurrent appends never collide; each of its
// fields is a value register (amendable), and a retraction is the value `true` in kRetracted.
class Timeline : public KeyedFields<Timeline, Dot> {
 public:
  // Entry fields with a fixed meaning; schema-defined entry fields start at kFirstUserField.
  static constexpr FieldId kOccurredAt = 1;  // Timestamp; orders the timeline
  static constexpr FieldId kRetracted = 2;   // bool
  static constexpr FieldId kFirstUserField = 3;

  // Display order: by displayed occurred-at, then by key dot; identical on every replica.
  std::vector<const Entry*> Ordered() const;
  static bool IsRetracted(const Fields& entry);
};

// Nested record of fields keyed by string: contact persons of an organisation. Grow-only: an
// entry is "removed" by clearing its fields (writing null), which keeps concurrent edits.
class NestedMap : public KeyedFields<NestedMap, std::string> {};

class Field {
 public:
  using State = std::variant<ValueRegister, PnCounter, OrSet, Timeline, NestedMap>;

  explicit Field(FieldKind kind = FieldKind::kValue);
  explicit Field(State state, uint64_t seq = 0) : state_(std::move(state)), seq_(seq) {}

  FieldKind kind() const { return static_cast<FieldKind>(state_.index()); }
  uint64_t seq() const { return seq_; }
  void set_seq(uint64_t seq) { seq_ = seq; }
  void StampSeq(uint64_t seq);

  // Typed access; nullptr when the field is of another kind.
  template <typename T>
  T* As() {
    return std::get_if<T>(&state_);
  }
  template <typename T>
  const T* As() const {
    return std::get_if<T>(&state_);
  }
  const State& state() const { return state_; }

  // Join of the same kind merges; of different kinds (two schemas that disagree) the greater
  // kind wins, which keeps the join a lattice. Returns true and stamps `seq` if this changed.
  bool Join(const Field& other, uint64_t seq);
  std::optional<Field> DeltaSince(uint64_t seq) const;
  // DeltaSince in place; false when nothing of the field is left (the caller drops it).
  bool TrimToDeltaSince(uint64_t seq);

  // Equality of replicated state; seqs are local and ignored.
  friend bool operator==(const Field& a, const Field& b) { return a.state_ == b.state_; }

 private:
  State state_;
  uint64_t seq_ = 0;
};

}  // namespace rapport::crdt
