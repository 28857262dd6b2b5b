// The oracle of the convergence check: an independent record of every operation in a simulated
// history and of what each replica knew when it made it. From it alone (not from the CRDT) the
// ledger derives what a correct replica must hold at the end:
//  - a value field's siblings are exactly the writes no other write has seen (nothing lost,
//    nothing resurrected);
//  - a counter is the sum of every increment;
//  - a set holds an element iff some addition of it was seen by no removal of it;
//  - every timeline entry ever appended is present.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/crdt/record.h"

namespace rapport::sim {

// What one replica knows of one record: for each register or set path, the ids of the writes
// (or additions) it has seen.
using Knowledge = std::map<std::string, std::set<int>>;

struct Verdict {
  int64_t lost_writes = 0;      // operations the final state dropped
  int64_t spec_violations = 0;  // state the operations do not justify (resurrections, bad sums)
  std::string first_problem;    // human-readable description of the first problem found
};

class WriteLedger {
 public:
  explicit WriteLedger(int replicas) : known_(replicas) {}

  // A value-register write at `path` by `replica`, stamped `dot`.
  void Write(int replica, const crdt::RecordId& record, const std::string& path,
             const crdt::Dot& dot, const crdt::Scalar& value);
  void SetAdd(int replica, const crdt::RecordId& record, const std::string& path,
              const std::string& element, const crdt::Dot& dot);
  void SetRemove(int replica, const crdt::RecordId& record, const std::string& path,
                 const std::string& element);
  void Increment(const crdt::RecordId& record, crdt::FieldId field, int64_t amount);
  void Append(const crdt::RecordId& record, crdt::FieldId field, const crdt::Dot& key);
  void Erase(const crdt::RecordId& record) { erased_.insert(record); }

  // What `replica` knows about the paths that `delta` carries: travels with the delta.
  Knowledge KnowledgeFor(int replica, const crdt::Record& delta) const;
  void Learn(int replica, const crdt::RecordId& record, const Knowledge& knowledge);

  // Checks one replica's final state of `record` against the ledger.
  Verdict Check(const crdt::Record& state) const;
  int64_t operations() const { return operations_; }

 private:
  struct RegisterWrite {
    crdt::Dot dot;
    crdt::Scalar value;
    std::set<int> seen;
  };
  struct SetOp {
    std::string element;
    bool add;
    std::set<int> seen;  // for a removal: the additions of `element` it saw
  };
  struct RecordLedger {
    std::map<std::string, std::map<int, RegisterWrite>> writes;  // path -> id -> write
    std::map<std::string, std::map<int, SetOp>> set_ops;         // path -> id -> op
    std::map<crdt::FieldId, int64_t> counters;
    std::map<crdt::FieldId, std::set<crdt::Dot>> entries;
  };

  std::set<int>& Known(int replica, const crdt::RecordId& record, const std::string& path) {
    return known_[replica][record][path];
  }

  std::vector<std::map<crdt::RecordId, Knowledge>> known_;
  std::map<crdt::RecordId, RecordLedger> records_;
  std::set<crdt::RecordId> erased_;
  int next_id_ = 0;
  int64_t operations_ = 0;
};

// Paths name registers and sets inside a record: "f3" (field 3), "s11" (set 11),
// "t12/<replica>.<hlc>/3" (field 3 of a timeline entry), "m13/<key>/1" (field 1 of a map entry),
// "del" (the delete flag).
std::string FieldPath(crdt::FieldId id);
std::string SetPath(crdt::FieldId id);
std::string EntryPath(crdt::FieldId timeline, const crdt::Dot& key, crdt::FieldId field);
std::string MapPath(crdt::FieldId map, const std::string& key, crdt::FieldId field);
inline constexpr char kDeletedPath[] = "del";

}  // namespace rapport::sim
