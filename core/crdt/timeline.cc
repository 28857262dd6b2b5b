#include <algorithm>
#include <limits>

#include "core/crdt/field.h"

namespace rapport::crdt {
namespace {

int64_t OccurredAt(const Fields& entry) {
  if (const Field* f = entry.Find(Timeline::kOccurredAt)) {
    if (const auto* r = f->As<ValueRegister>()) {
      if (const auto* t = std::get_if<Timestamp>(&r->Displayed())) return t->millis;
    }
  }
  return std::numeric_limits<int64_t>::min();
}

}  // namespace

std::vector<const Timeline::Entry*> Timeline::Ordered() const {
  std::vector<std::pair<int64_t, const Entry*>> keyed;
  keyed.reserve(entries().size());
  for (const Entry& e : entries()) keyed.emplace_back(OccurredAt(e.second), &e);
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->first < b.second->first;
  });
  std::vector<const Entry*> out;
  out.reserve(keyed.size());
  for (const auto& k : keyed) out.push_back(k.second);
  return out;
}

bool Timeline::IsRetracted(const Fields& entry) {
  const Field* f = entry.Find(kRetracted);
  const auto* r = f ? f->As<ValueRegister>() : nullptr;
  const bool* b = r ? std::get_if<bool>(&r->Displayed()) : nullptr;
  return b && *b;
}

}  // namespace rapport::crdt
