// Add-wins observed-remove set of strings: the merge rule of a `set` field (tags, segments,
// product interests). A remove takes out only the additions its author had seen, so an element
// re-added concurrently stays. No tombstones: the context records what was seen.
// Plain value type, not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/crdt/version_vector.h"

namespace rapport::crdt {

class OrSet {
 public:
  struct Element {
    std::string value;
    std::vector<Dot> dots;  // the additions that keep it present, ascending
    friend bool operator==(const Element&, const Element&) = default;
  };

  // Builds a set from decoded parts; element dots are added to the context, elements without
  // dots are dropped and duplicates joined.
  static OrSet FromParts(std::vector<Element> elements, VersionVector context);

  void Add(const Dot& dot, std::string value);
  void Remove(std::string_view value);
  bool Contains(std::string_view value) const;

  // Returns true if this set changed.
  bool Join(const OrSet& other);

  // Ascending by value (bytewise).
  const std::vector<Element>& elements() const { return elements_; }
  const VersionVector& context() const { return context_; }

  friend bool operator==(const OrSet&, const OrSet&) = default;

 private:
  std::vector<Element> elements_;
  VersionVector context_;
};

}  // namespace rapport::crdt
