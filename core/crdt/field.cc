#include "core/crdt/field.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

template <typename Entries, typename Key>
auto LowerBoundByKey(Entries& entries, const Key& key) {
  return std::lower_bound(entries.begin(), entries.end(), key,
                          [](const auto& e, const Key& k) { return e.first < k; });
}

}  // namespace

std::string_view FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kValue:
      return "value";
    case FieldKind::kCounter:
      return "counter";
    case FieldKind::kSet:
      return "set";
    case FieldKind::kTimeline:
      return "timeline";
    case FieldKind::kMap:
      return "map";
  }
  return "unknown kind";
}

Fields::Fields() = default;
Fields::~Fields() = default;
Fields::Fields(const Fields&) = default;
Fields::Fields(Fields&&) noexcept = default;
Fields& Fields::operator=(const Fields&) = default;
Fields& Fields::operator=(Fields&&) noexcept = default;

bool Fields::empty() const { return entries_.empty(); }
size_t Fields::size() const { return entries_.size(); }
void Fields::clear() { entries_.clear(); }

bool operator==(const Fields& a, const Fields& b) { return a.entries_ == b.entries_; }

const Field* Fields::Find(FieldId id) const {
  auto it = LowerBoundByKey(entries_, id);
  return it != entries_.end() && it->first == id ? &it->second : nullptr;
}

Field* Fields::Find(FieldId id) {
  auto it = LowerBoundByKey(entries_, id);
  return it != entries_.end() && it->first == id ? &it->second : nullptr;
}

Field* Fields::FindOrCreate(FieldId id, FieldKind kind) {
  if (entries_.empty() || entries_.back().first < id) {
    // A new record or entry fills up in ascending order: append without a search, and start
    // with room for a timeline entry's handful of fields rather than growing 1, 2, 4.
    if (entries_.capacity() == 0) entries_.reserve(4);
    return &entries_
                .emplace_back(std::piecewise_construct, std::forward_as_tuple(id),
                              std::forward_as_tuple(kind))
                .second;
  }
  auto it = LowerBoundByKey(entries_, id);
  if (it == entries_.end() || it->first != id) it = entries_.emplace(it, id, Field(kind));
  return it->second.kind() == kind ? &it->second : nullptr;
}

bool Fields::Join(const Fields& other, uint64_t seq) {
  if (entries_.empty()) {
    // A record seen for the first time: one copy, no per-field search.
    if (other.entries_.empty()) return false;
    entries_ = other.entries_;
    StampSeq(seq);
    return true;
  }
  bool changed = false;
  for (const auto& [id, theirs] : other.entries_) {
    auto it = LowerBoundByKey(entries_, id);
    if (it == entries_.end() || it->first != id) {
      it = entries_.emplace(it, id, theirs);
      it->second.StampSeq(seq);
      changed = true;
    } else {
      changed |= it->second.Join(theirs, seq);
    }
  }
  return changed;
}

Fields Fields::DeltaSince(uint64_t seq) const {
  Fields out;
  for (const auto& [id, field] : entries_) {
    if (std::optional<Field> d = field.DeltaSince(seq))
      out.entries_.emplace_back(id, *std::move(d));
  }
  return out;
}

void Fields::TrimToDeltaSince(uint64_t seq) {
  std::erase_if(entries_, [&](Entry& e) { return !e.second.TrimToDeltaSince(seq); });
}

uint64_t Fields::MaxSeq() const {
  uint64_t m = 0;
  for (const auto& e : entries_) m = std::max(m, e.second.seq());
  return m;
}

void Fields::StampSeq(uint64_t seq) {
  for (auto& e : entries_) e.second.StampSeq(seq);
}

void Fields::Reserve(size_t n) { entries_.reserve(n); }

bool Fields::AppendDecoded(FieldId id, Field field) {
  if (!entries_.empty() && entries_.back().first >= id) return false;
  entries_.emplace_back(id, std::move(field));
  return true;
}

Field* Fields::AppendDecoded(FieldId id, FieldKind kind) {
  if (!entries_.empty() && entries_.back().first >= id) return nullptr;
  return &entries_
              .emplace_back(std::piecewise_construct, std::forward_as_tuple(id),
                            std::forward_as_tuple(kind))
              .second;
}

Field::Field(FieldKind kind) {
  switch (kind) {
    case FieldKind::kValue:
      state_.emplace<ValueRegister>();
      break;
    case FieldKind::kCounter:
      state_.emplace<PnCounter>();
      break;
    case FieldKind::kSet:
      state_.emplace<OrSet>();
      break;
    case FieldKind::kTimeline:
      state_.emplace<Timeline>();
      break;
    case FieldKind::kMap:
      state_.emplace<NestedMap>();
      break;
  }
}

void Field::StampSeq(uint64_t seq) {
  seq_ = seq;
  if (auto* t = As<Timeline>()) t->StampSeq(seq);
  if (auto* m = As<NestedMap>()) m->StampSeq(seq);
}

bool Field::Join(const Field& other, uint64_t seq) {
  bool changed;
  if (other.kind() != kind()) {
    if (other.kind() < kind()) return false;
    state_ = other.state_;
    StampSeq(seq);
    return true;
  }
  // Containers stamp their changed children themselves; leaves are stamped here.
  changed = std::visit(
      [&](auto& mine) {
        using T = std::decay_t<decltype(mine)>;
        const T& theirs = std::get<T>(other.state_);
        if constexpr (std::is_same_v<T, Timeline> || std::is_same_v<T, NestedMap>) {
          return mine.Join(theirs, seq);
        } else {
          return mine.Join(theirs);
        }
      },
      state_);
  if (changed) seq_ = seq;
  return changed;
}

bool Field::TrimToDeltaSince(uint64_t seq) {
  if (seq_ <= seq) return false;
  if (auto* t = As<Timeline>()) t->TrimToDeltaSince(seq);
  if (auto* m = As<NestedMap>()) m->TrimToDeltaSince(seq);
  return true;
}

std::optional<Field> Field::DeltaSince(uint64_t seq) const {
  if (seq_ <= seq) return std::nullopt;
  if (const auto* t = As<Timeline>()) return Field(t->DeltaSince(seq), seq_);
  if (const auto* m = As<NestedMap>()) return Field(m->DeltaSince(seq), seq_);
  return *this;
}

}  // namespace rapport::crdt
