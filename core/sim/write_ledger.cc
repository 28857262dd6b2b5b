#include "core/sim/write_ledger.h"

#include "absl/strings/str_cat.h"

namespace rapport::sim {
namespace {

using crdt::Dot;
using crdt::Field;
using crdt::FieldId;
using crdt::Fields;
using crdt::OrSet;
using crdt::ValueRegister;

struct PathIndex {
  std::map<std::string, const ValueRegister*> registers;
  std::map<std::string, const OrSet*> sets;
};

void IndexFields(const Fields& fields, const std::string& prefix, PathIndex* out) {
  for (const auto& [id, field] : fields.entries()) {
    if (const auto* r = field.As<ValueRegister>()) {
      out->registers[prefix.empty() ? FieldPath(id) : absl::StrCat(prefix, id)] = r;
    } else if (const auto* s = field.As<OrSet>()) {
      out->sets[SetPath(id)] = s;
    } else if (const auto* t = field.As<crdt::Timeline>()) {
      for (const auto& [key, entry] : t->entries()) {
        IndexFields(entry, absl::StrCat("t", id, "/", key.replica, ".", key.hlc, "/"), out);
      }
    } else if (const auto* m = field.As<crdt::NestedMap>()) {
      for (const auto& [key, entry] : m->entries()) {
        IndexFields(entry, absl::StrCat("m", id, "/", key, "/"), out);
      }
    }
  }
}

PathIndex IndexRecord(const crdt::Record& record) {
  PathIndex index;
  IndexFields(record.fields(), "", &index);
  // A delta that does not carry the delete flag has an empty register: it conveys no knowledge.
  const ValueRegister* deleted = record.deleted_field().As<ValueRegister>();
  if (!deleted->context().empty()) index.registers[kDeletedPath] = deleted;
  return index;
}

std::string DotText(const Dot& d) { return absl::StrCat(d.replica, ".", d.hlc); }

}  // namespace

std::string FieldPath(FieldId id) { return absl::StrCat("f", id); }
std::string SetPath(FieldId id) { return absl::StrCat("s", id); }
std::string EntryPath(FieldId timeline, const Dot& key, FieldId field) {
  return absl::StrCat("t", timeline, "/", DotText(key), "/", field);
}
std::string MapPath(FieldId map, const std::string& key, FieldId field) {
  return absl::StrCat("m", map, "/", key, "/", field);
}

void WriteLedger::Write(int replica, const crdt::RecordId& record, const std::string& path,
                        const Dot& dot, const crdt::Scalar& value) {
  std::set<int>& known = Known(replica, record, path);
  const int id = next_id_++;
  records_[record].writes[path][id] = RegisterWrite{dot, value, known};
  known.insert(id);
  ++operations_;
}

void WriteLedger::SetAdd(int replica, const crdt::RecordId& record, const std::string& path,
                         const std::string& element, const Dot& dot) {
  const int id = next_id_++;
  records_[record].set_ops[path][id] = SetOp{element, true, {}};
  Known(replica, record, path).insert(id);
  ++operations_;
}

void WriteLedger::SetRemove(int replica, const crdt::RecordId& record, const std::string& path,
                            const std::string& element) {
  const std::set<int>& known = Known(replica, record, path);
  auto& ops = records_[record].set_ops[path];
  SetOp removal{element, false, {}};
  for (int id : known) {
    auto it = ops.find(id);
    if (it != ops.end() && it->second.add && it->second.element == element) removal.seen.insert(id);
  }
  ops[next_id_++] = std::move(removal);
  ++operations_;
}

void WriteLedger::Increment(const crdt::RecordId& record, FieldId field, int64_t amount) {
  records_[record].counters[field] += amount;
  ++operations_;
}

void WriteLedger::Append(const crdt::RecordId& record, FieldId field, const Dot& key) {
  records_[record].entries[field].insert(key);
}

Knowledge WriteLedger::KnowledgeFor(int replica, const crdt::Record& delta) const {
  Knowledge out;
  const auto rec = known_[replica].find(delta.id());
  if (rec == known_[replica].end()) return out;
  const PathIndex index = IndexRecord(delta);
  auto copy = [&](const std::string& path) {
    auto it = rec->second.find(path);
    if (it != rec->second.end()) out[path] = it->second;
  };
  for (const auto& [path, r] : index.registers) copy(path);
  for (const auto& [path, s] : index.sets) copy(path);
  return out;
}

void WriteLedger::Learn(int replica, const crdt::RecordId& record, const Knowledge& knowledge) {
  for (const auto& [path, ids] : knowledge)
    Known(replica, record, path).insert(ids.begin(), ids.end());
}

Verdict WriteLedger::Check(const crdt::Record& state) const {
  Verdict v;
  auto problem = [&](int64_t* counter, int64_t n, std::string what) {
    *counter += n;
    if (v.first_problem.empty()) {
      v.first_problem = absl::StrCat("record ", state.id().ToString(), ": ", what);
    }
  };
  if (erased_.count(state.id())) {
    if (!state.erased() || !state.fields().empty()) {
      problem(&v.spec_violations, 1, "erased in the history but not in the state");
    }
    return v;
  }
  if (state.erased()) problem(&v.spec_violations, 1, "erased without an erasure");
  const auto rec = records_.find(state.id());
  if (rec == records_.end()) return v;
  const RecordLedger& ledger = rec->second;
  const PathIndex index = IndexRecord(state);

  for (const auto& [path, writes] : ledger.writes) {
    // The survivors: writes that no other write has seen.
    std::map<Dot, const crdt::Scalar*> expected;
    for (const auto& [id, w] : writes) {
      bool superseded = false;
      for (const auto& other : writes) superseded |= other.second.seen.count(id) > 0;
      if (!superseded) expected[w.dot] = &w.value;
    }
    std::map<Dot, const crdt::Scalar*> actual;
    auto it = index.registers.find(path);
    if (it != index.registers.end()) {
      for (const auto& s : it->second->siblings()) actual[s.dot] = &s.value;
    }
    for (const auto& [dot, value] : expected) {
      auto a = actual.find(dot);
      if (a == actual.end()) {
        problem(&v.lost_writes, 1, absl::StrCat(path, ": write ", DotText(dot), " lost"));
      } else if (!(*a->second == *value)) {
        problem(&v.spec_violations, 1, absl::StrCat(path, ": write ", DotText(dot), " changed"));
      }
    }
    for (const auto& [dot, value] : actual) {
      if (!expected.count(dot)) {
        problem(&v.spec_violations, 1,
                absl::StrCat(path, ": superseded write ", DotText(dot), " resurrected"));
      }
    }
  }

  for (const auto& [field, sum] : ledger.counters) {
    const Field* f = state.fields().Find(field);
    const int64_t got = f && f->As<crdt::PnCounter>() ? f->As<crdt::PnCounter>()->Value() : 0;
    if (got != sum) {
      problem(&v.lost_writes, 1, absl::StrCat("counter ", field, " is ", got, ", expected ", sum));
    }
  }

  for (const auto& [path, ops] : ledger.set_ops) {
    std::set<std::string> expected, seen_elements;
    for (const auto& [id, op] : ops) {
      seen_elements.insert(op.element);
      if (!op.add) continue;
      bool removed = false;
      for (const auto& other : ops) removed |= !other.second.add && other.second.seen.count(id);
      if (!removed) expected.insert(op.element);
    }
    auto it = index.sets.find(path);
    for (const std::string& e : seen_elements) {
      const bool present = it != index.sets.end() && it->second->Contains(e);
      if (expected.count(e) && !present) {
        problem(&v.lost_writes, 1, absl::StrCat(path, ": element ", e, " lost"));
      } else if (!expected.count(e) && present) {
        problem(&v.spec_violations, 1, absl::StrCat(path, ": removed element ", e, " present"));
      }
    }
  }

  for (const auto& [field, keys] : ledger.entries) {
    const Field* f = state.fields().Find(field);
    const auto* t = f ? f->As<crdt::Timeline>() : nullptr;
    for (const Dot& key : keys) {
      if (!t || !t->Find(key)) {
        problem(&v.lost_writes, 1,
                absl::StrCat("timeline ", field, ": entry ", DotText(key), " lost"));
      }
    }
  }
  return v;
}

}  // namespace rapport::sim
