#include "tools/cli/import_plan.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "client-lib/src/convert.h"
#include "core/schema/validation.h"
#include "tools/cli/record_json.h"

namespace rapport::cli {
namespace {

using crdt::FieldKind;

void Issue(InputRow& row, const std::string& column, std::string reason) {
  row.issues.push_back({row.line, column, std::move(reason)});
}

// Checks the sub-fields of one timeline or map entry.
void CheckEntry(const schema::FieldSpec& container, const ValueFields& fields,
                const std::string& where, bool check_required, InputRow& row) {
  for (const schema::FieldSpec& sub : container.sub_fields().all()) {
    if (sub.implicit()) continue;
    auto it = fields.find(sub.name());
    const Value value = it == fields.end() ? Value{} : it->second.displayed;
    if (IsNull(value) && (!check_required || !sub.required())) continue;
    absl::Status s = schema::ValidateScalar(sub, internal::ToScalar(value));
    if (!s.ok()) Issue(row, container.name(), absl::StrCat(where, ": ", s.message()));
  }
}

std::vector<FieldValue> NonNull(const ValueFields& fields) {
  std::vector<FieldValue> out;
  for (const auto& [name, view] : fields) {
    if (!IsNull(view.displayed)) out.emplace_back(name, view.displayed);
  }
  return out;
}

bool HasEntry(const std::vector<EntryView>& entries, const EntryView& e) {
  return std::any_of(entries.begin(), entries.end(), [&](const EntryView& x) {
    return (!e.id.empty() && x.id == e.id) || SameEntry(x, e);
  });
}

template <typename Map>
const typename Map::mapped_type* FindIn(const Map& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

void CheckRow(const schema::RecordType& type, bool creating, InputRow& row) {
  const std::set<std::string> present(row.present.begin(), row.present.end());
  for (const schema::FieldSpec& spec : type.fields()) {
    const std::string& name = spec.name();
    if (present.count(name) == 0) {
      if (creating && spec.required()) {
        Issue(row, name,
              absl::StrCat("field \"", name, "\" is required; the row has no column for it"));
      }
      continue;
    }
    switch (spec.kind()) {
      case FieldKind::kValue: {
        const ValueView* v = FindIn(row.data.values, name);
        const Value value = v != nullptr ? v->displayed : Value{};
        absl::Status s = schema::ValidateScalar(spec, internal::ToScalar(value));
        if (!s.ok()) Issue(row, name, std::string(s.message()));
        break;
      }
      case FieldKind::kSet:
        if (const auto* elements = FindIn(row.data.sets, name)) {
          for (const std::string& e : *elements) {
            absl::Status s = schema::ValidateSetElement(spec, e);
            if (!s.ok()) Issue(row, name, std::string(s.message()));
          }
        }
        break;
      case FieldKind::kTimeline:
        if (const auto* entries = FindIn(row.data.timelines, name)) {
          for (size_t i = 0; i < entries->size(); ++i) {
            const EntryView& e = (*entries)[i];
            CheckEntry(spec, e.fields, absl::StrCat("entry ", i + 1), !e.retracted, row);
          }
        }
        break;
      case FieldKind::kMap:
        if (const auto* entries = FindIn(row.data.maps, name)) {
          for (const auto& [key, fields] : *entries) {
            CheckEntry(spec, fields, absl::StrCat("key \"", key, "\""), true, row);
          }
        }
        break;
      case FieldKind::kCounter:
        break;
    }
  }
}

bool AppendRowMutations(const schema::RecordType& type, const InputRow& row,
                        const RecordView* existing, BatchRefs& refs, std::vector<Mutation>& out) {
  const size_t before = out.size();
  std::string ref;
  if (existing == nullptr) {
    std::vector<FieldValue> values;
    for (const std::string& name : row.present) {
      const schema::FieldSpec* spec = type.FindField(name);
      if (spec->kind() != FieldKind::kValue) continue;
      const ValueView* v = FindIn(row.data.values, name);
      if (v != nullptr && !IsNull(v->displayed)) values.emplace_back(name, v->displayed);
    }
    out.push_back(Mutation::Create(type.name(), std::move(values)));
    ref = absl::StrCat("@", refs.records++);
  } else {
    ref = existing->id;
  }
  for (const std::string& name : row.present) {
    const schema::FieldSpec* spec = type.FindField(name);
    switch (spec->kind()) {
      case FieldKind::kValue: {
        if (existing == nullptr) break;
        const ValueView* want = FindIn(row.data.values, name);
        const ValueView* have = FindIn(existing->values, name);
        const Value w = want != nullptr ? want->displayed : Value{};
        const Value h = have != nullptr ? have->displayed : Value{};
        if (!(w == h)) out.push_back(Mutation::Set(ref, name, w));
        break;
      }
      case FieldKind::kCounter: {
        const int64_t* want = FindIn(row.data.counters, name);
        const int64_t* have = existing != nullptr ? FindIn(existing->counters, name) : nullptr;
        // The move can exceed int64 (from -20 to the largest value): make it in int64 steps.
        __int128 delta = static_cast<__int128>(want != nullptr ? *want : 0) -
                         static_cast<__int128>(have != nullptr ? *have : 0);
        while (delta != 0) {
          const int64_t step = static_cast<int64_t>(std::clamp<__int128>(
              delta, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
          out.push_back(Mutation::Increment(ref, name, step));
          delta -= step;
        }
        break;
      }
      case FieldKind::kSet: {
        static const std::vector<std::string> kNone;
        const auto* want = FindIn(row.data.sets, name);
        const auto* have = existing != nullptr ? FindIn(existing->sets, name) : nullptr;
        const std::set<std::string> w(want ? want->begin() : kNone.begin(),
                                      want ? want->end() : kNone.end());
        const std::set<std::string> h(have ? have->begin() : kNone.begin(),
                                      have ? have->end() : kNone.end());
        for (const std::string& e : h) {
          if (w.count(e) == 0) out.push_back(Mutation::RemoveElement(ref, name, e));
        }
        for (const std::string& e : w) {
          if (h.count(e) == 0) out.push_back(Mutation::AddElement(ref, name, e));
        }
        break;
      }
      case FieldKind::kTimeline: {
        const auto* want = FindIn(row.data.timelines, name);
        const auto* have = existing != nullptr ? FindIn(existing->timelines, name) : nullptr;
        if (want == nullptr) break;
        for (const EntryView& e : *want) {
          if (have != nullptr && HasEntry(*have, e)) continue;
          out.push_back(Mutation::AppendEntry(ref, name, e.occurred_at, NonNull(e.fields)));
          const std::string entry_ref = absl::StrCat("@", refs.entries++);
          if (e.retracted) out.push_back(Mutation::RetractEntry(ref, name, entry_ref));
        }
        break;
      }
      case FieldKind::kMap: {
        const auto* want = FindIn(row.data.maps, name);
        const auto* have = existing != nullptr ? FindIn(existing->maps, name) : nullptr;
        if (want == nullptr) break;
        for (const auto& [key, fields] : *want) {
          const ValueFields* had = have != nullptr ? FindIn(*have, key) : nullptr;
          for (const auto& [sub, view] : fields) {
            const ValueView* old = had != nullptr ? FindIn(*had, sub) : nullptr;
            if (old != nullptr && old->displayed == view.displayed) continue;
            if (old == nullptr && IsNull(view.displayed)) continue;
            out.push_back(
                Mutation::SetInMap(ref, absl::StrCat(name, ".", sub), key, view.displayed));
          }
        }
        break;
      }
    }
  }
  return existing == nullptr || out.size() > before;
}

}  // namespace rapport::cli
