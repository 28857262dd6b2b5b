#include "core/crdt/value_register.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

const Scalar kNull;

bool DotLess(const Sibling& a, const Sibling& b) { return a.dot < b.dot; }

}  // namespace

ValueRegister ValueRegister::FromParts(Siblings siblings, VersionVector context) {
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

namespace {

const Sibling* FindDot(const Siblings& siblings, const Dot& dot) {
  for (const Sibling& s : siblings) {
    if (s.dot == dot) return &s;
  }
  return nullptr;
}

}  // namespace

bool ValueRegister::Join(const ValueRegister& other) {
  // Most joins keep our siblings as they are (a redelivery, or a delta about another replica's
  // view): detect that without building a merged copy of every value.
  bool siblings_stay = true;
  for (const Sibling& a : siblings_) {
    const Sibling* b = FindDot(other.siblings_, a.dot);
    if (b != nullptr ? b->value != a.value : other.context_.Covers(a.dot)) {
      siblings_stay = false;
      break;
    }
  }
  for (const Sibling& b : other.siblings_) {
    if (!siblings_stay) break;
    siblings_stay = context_.Covers(b.dot);
  }
  if (siblings_stay) return context_.Merge(other.context_);

  Siblings merged;
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
      if (a->value == b->value || !SiblingValueLess(b->value, a->value)) {
        merged.push_back(*a);
      } else {
        merged.push_back(*b);
      }
      ++a;
      ++b;
    }
  }
  // Only a reused dot with another value can leave the siblings as they were.
  const bool context_changed = context_.Merge(other.context_);
  const bool siblings_changed = merged != siblings_;
  if (siblings_changed) siblings_ = std::move(merged);
  return context_changed || siblings_changed;
}

const Scalar& ValueRegister::Displayed() const {
  return siblings_.empty() ? kNull : siblings_.back().value;
}

}  // namespace rapport::crdt
