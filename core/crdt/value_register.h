// Multi-value register: the merge rule of a `value` field. A write supersedes every version its
// writer had seen; concurrent writes all survive as siblings. Every replica displays the sibling
// with the greatest dot, and the others are the field's open conflicts until a later write that
// saw them supersedes them. Plain value type, not thread-safe.
#pragma once

#include "absl/container/inlined_vector.h"
#include "core/crdt/scalar.h"
#include "core/crdt/version_vector.h"

namespace rapport::crdt {

struct Sibling {
  Dot dot;
  Scalar value;
  friend bool operator==(const Sibling&, const Sibling&) = default;
};

// Inline room for one sibling: a register without a conflict (almost all) needs no heap block.
using Siblings = absl::InlinedVector<Sibling, 1>;

class ValueRegister {
 public:
  ValueRegister() = default;

  // Builds a register from decoded parts; sorts the siblings and adds their dots to the context
  // so the invariant "the context covers every sibling" holds whatever the input.
  static ValueRegister FromParts(Siblings siblings, VersionVector context);

  // Replaces every sibling this replica has seen with `value`, stamped `dot`.
  void Write(const Dot& dot, Scalar value);

  // Join: a sibling survives if both sides have it or the other side has not seen it.
  // Returns true if this register changed.
  bool Join(const ValueRegister& other);

  // The displayed value: the sibling with the greatest dot; null when there is none.
  const Scalar& Displayed() const;
  bool HasConflict() const { return siblings_.size() > 1; }

  // Ascending by dot; the last is the displayed one.
  const Siblings& siblings() const { return siblings_; }
  const VersionVector& context() const { return context_; }

  friend bool operator==(const ValueRegister&, const ValueRegister&) = default;

 private:
  Siblings siblings_;
  VersionVector context_;
};

}  // namespace rapport::crdt
