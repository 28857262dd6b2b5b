#include "core/crdt/value_register.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

const Scalar kNull;

bool DotLess(const Sibling& a, const Sibling& b) { return a.dot < b.dot; }

}  // namespace

ValueRegister ValueRegister::FromParts(std::vector<Sibling> siblings, VersionVector context) {
  ValueRegister r;
  std::sort(siblings.begin(), siblings.end(), DotLess);
  for (const Sibling& s : siblings) context.Add(s.dot);
  r.siblings_ = std::move(siblings);
  r.context_ = std::move(context);
  return r;
}

void ValueRegister::Write(const Dot& dot, Scalar value) {
  siblings_.clear();
  siblings_.push_back(Sibling{dot, std::move(value)});
  context_.Add(dot);
}

namespace {

// A total order on values for the tie-break above: by kind, then by text form.
bool SiblingValueLess(const Scalar& x, const Scalar& y) {
  if (x.index() != y.index()) return x.index() < y.index();
  return ScalarToText(x) < ScalarToText(y);
}

}  // namespace

bool ValueRegister::Join(const ValueRegister& other) {
  // Fast path for the common delta: the other side has seen everything we have.
  std::vector<Sibling> merged;
  merged.reserve(siblings_.size() + other.siblings_.size());
  auto a = siblings_.begin();
  auto b = other.siblings_.begin();
  // Both lists are sorted by dot: a merge walk keeps the result sorted.
  while (a != siblings_.end() || b != other.siblings_.end()) {
    if (b == other.siblings_.end() || (a != siblings_.end() && a->dot < b->dot)) {
      if (!other.context_.Covers(a->dot)) merged.push_back(*a);
      ++a;
    } else if (a == siblings_.end() || b->dot < a->dot) {
      if (!context_.Covers(b->dot)) merged.push_back(*b);
      ++b;
    } else {
      // Same dot on both sides: the same write, kept. A dot names exactly one write, so the
      // values agree unless a buggy or hostile replica reused a dot; then the order-independent
      // smaller value is kept, so every replica still converges to the same state.
      merged.push_back(a->value == b->value || !SiblingValueLess(b->value, a->value) ? *a : *b);
      ++a;
      ++b;
    }
  }
  const bool context_changed = context_.Merge(other.context_);
  const bool siblings_changed = merged != siblings_;
  if (siblings_changed) siblings_ = std::move(merged);
  return context_changed || siblings_changed;
}

const Scalar& ValueRegister::Displayed() const {
  return siblings_.empty() ? kNull : siblings_.back().value;
}

}  // namespace rapport::crdt
