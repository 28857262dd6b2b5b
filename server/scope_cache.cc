#include "server/scope_cache.h"

#include <limits>
#include <string_view>
#include <utility>

namespace rapport::server {

ScopeCache::~ScopeCache() {
  stopping_ = true;
  if (warm_.joinable()) warm_.join();
}

std::optional<bool> ScopeCache::Contains(const auth::Scope& scope, const crdt::RecordId& id,
                                         uint64_t seq) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.seq != seq) return std::nullopt;
  const Entry& e = it->second;
  auth::ScopeFacts facts;
  facts.type = strings_[e.type];
  facts.erased = e.erased;
  facts.has_owner = e.has_owner;
  facts.has_territory = e.has_territory;
  facts.has_branch = e.has_branch;
  for (uint32_t v : e.owners) facts.owners.push_back(strings_[v]);
  for (uint32_t v : e.territories) facts.territories.push_back(strings_[v]);
  for (uint32_t v : e.branches) facts.branches.push_back(strings_[v]);
  return scope.Contains(facts);
}

uint32_t ScopeCache::Intern(std::string_view text) {
  auto it = interned_.find(std::string(text));
  if (it != interned_.end()) return it->second;
  const auto index = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(text);
  interned_.emplace(strings_.back(), index);
  return index;
}

ScopeCache::Values ScopeCache::InternAll(const absl::InlinedVector<std::string_view, 1>& texts) {
  Values out;
  for (std::string_view text : texts) out.push_back(Intern(text));
  return out;
}

void ScopeCache::Put(const auth::Scope& facts_of, const crdt::Record& record) {
  const auth::ScopeFacts facts = facts_of.FactsOf(record);
  const uint64_t seq = record.MaxSeq();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(record.id());
  if (it == entries_.end() && entries_.size() >= kMaxEntries) return;
  if (it != entries_.end() && it->second.seq >= seq) return;  // as new already
  Entry e;
  e.seq = seq;
  e.type = Intern(facts.type);
  e.erased = facts.erased;
  e.has_owner = facts.has_owner;
  e.has_territory = facts.has_territory;
  e.has_branch = facts.has_branch;
  e.owners = InternAll(facts.owners);
  e.territories = InternAll(facts.territories);
  e.branches = InternAll(facts.branches);
  entries_.insert_or_assign(record.id(), std::move(e));
}

void ScopeCache::WarmFrom(const store::RecordStore& store, const auth::Scope& facts_of) {
  warm_ = std::thread([this, &store, &facts_of] {
    // A failed read only leaves the cache cold: pulls then read the records themselves.
    store
        .ScanFeed(0, std::numeric_limits<size_t>::max(),
                  [&](const crdt::Record& record, uint64_t) {
                    Put(facts_of, record);
                    return !stopping_.load(std::memory_order_relaxed);
                  })
        .IgnoreError();
  });
}

size_t ScopeCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace rapport::server
