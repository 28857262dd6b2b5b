#include "core/crdt/or_set.h"

#include <algorithm>

namespace rapport::crdt {
namespace {

auto Find(std::vector<OrSet::Element>& elements, std::string_view value) {
  return std::lower_bound(elements.begin(), elements.end(), value,
                          [](const OrSet::Element& e, std::string_view v) { return e.value < v; });
}

// Dots of one element after a join: those on both sides, plus those the other side never saw.
std::vector<Dot> JoinDots(const std::vector<Dot>& mine, const VersionVector& my_context,
                          const std::vector<Dot>& theirs, const VersionVector& their_context) {
  std::vector<Dot> out;
  auto a = mine.begin();
  auto b = theirs.begin();
  while (a != mine.end() || b != theirs.end()) {
    if (b == theirs.end() || (a != mine.end() && *a < *b)) {
      if (!their_context.Covers(*a)) out.push_back(*a);
      ++a;
    } else if (a == mine.end() || *b < *a) {
      if (!my_context.Covers(*b)) out.push_back(*b);
      ++b;
    } else {
      out.push_back(*a);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace

OrSet OrSet::FromParts(std::vector<Element> elements, VersionVector context) {
  OrSet s;
  std::sort(elements.begin(), elements.end(),
            [](const Element& a, const Element& b) { return a.value < b.value; });
  for (Element& e : elements) {
    std::sort(e.dots.begin(), e.dots.end());
    e.dots.erase(std::unique(e.dots.begin(), e.dots.end()), e.dots.end());
    for (const Dot& d : e.dots) context.Add(d);
    if (e.dots.empty()) continue;
    if (!s.elements_.empty() && s.elements_.back().value == e.value) {
      std::vector<Dot>& into = s.elements_.back().dots;
      into.insert(into.end(), e.dots.begin(), e.dots.end());
      std::sort(into.begin(), into.end());
      into.erase(std::unique(into.begin(), into.end()), into.end());
    } else {
      s.elements_.push_back(std::move(e));
    }
  }
  s.context_ = std::move(context);
  return s;
}

void OrSet::Add(const Dot& dot, std::string value) {
  // The new addition supersedes the ones this replica has seen, as a register write does.
  auto it = Find(elements_, value);
  if (it == elements_.end() || it->value != value) {
    it = elements_.insert(it, Element{std::move(value), {}});
  }
  it->dots.assign(1, dot);
  context_.Add(dot);
}

void OrSet::Remove(std::string_view value) {
  auto it = Find(elements_, value);
  if (it != elements_.end() && it->value == value) elements_.erase(it);
}

bool OrSet::Contains(std::string_view value) const {
  auto it = std::lower_bound(elements_.begin(), elements_.end(), value,
                             [](const Element& e, std::string_view v) { return e.value < v; });
  return it != elements_.end() && it->value == value;
}

bool OrSet::Join(const OrSet& other) {
  std::vector<Element> merged;
  merged.reserve(elements_.size() + other.elements_.size());
  static const std::vector<Dot> kNone;
  auto a = elements_.begin();
  auto b = other.elements_.begin();
  while (a != elements_.end() || b != other.elements_.end()) {
    const bool take_a =
        b == other.elements_.end() || (a != elements_.end() && a->value <= b->value);
    const bool take_b =
        a == elements_.end() || (b != other.elements_.end() && b->value <= a->value);
    const std::string& value = take_a ? a->value : b->value;
    std::vector<Dot> dots =
        JoinDots(take_a ? a->dots : kNone, context_, take_b ? b->dots : kNone, other.context_);
    if (!dots.empty()) merged.push_back(Element{value, std::move(dots)});
    if (take_a) ++a;
    if (take_b) ++b;
  }
  const bool context_changed = context_.Merge(other.context_);
  const bool elements_changed = merged != elements_;
  if (elements_changed) elements_ = std::move(merged);
  return context_changed || elements_changed;
}

}  // namespace rapport::crdt
