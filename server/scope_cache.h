// The scope facts (auth::ScopeFacts: type, erasure, owner / territory / branch siblings) of the
// server's records, so that filtering a scoped client's pull needs no decoding of the records it
// may not see: a rep's first sync of 500 of 100,000 customers reads 500 records, not 100,000.
//
// An entry holds the facts of one record at one seq. A record's change-feed entry is at its
// highest seq, so a lookup at the feed's seq finds the entry only if the record has not changed
// since; any other seq is a miss, and the caller reads the record (and Puts its new facts). A
// stale entry can thus never be used, and nothing needs invalidating. The rule itself stays in
// auth::Scope. Values are interned: an entry takes a few dozen bytes.
//
// Thread-safe (shared lock for lookups).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "core/auth/scope.h"
#include "core/crdt/record.h"
#include "core/crdt/record_id.h"
#include "core/store/record_store.h"

namespace rapport::server {

class ScopeCache {
 public:
  // Past this many records new facts are not cached (lookups then miss: slower, still right).
  static constexpr size_t kMaxEntries = 20'000'000;

  ScopeCache() = default;
  ~ScopeCache();  // stops a warm-up still running
  ScopeCache(const ScopeCache&) = delete;
  ScopeCache& operator=(const ScopeCache&) = delete;

  // Whether `scope` contains record `id`, if its facts at `seq` are cached; nullopt otherwise.
  std::optional<bool> Contains(const auth::Scope& scope, const crdt::RecordId& id,
                               uint64_t seq) const;
  // Caches the facts of `record` (at its highest seq). `facts_of` only supplies the schema's
  // scope fields: facts do not depend on claims.
  void Put(const auth::Scope& facts_of, const crdt::Record& record);

  // Reads every record of `store` once, on a thread of its own, and caches its facts, so the
  // first scoped pulls after a start find them. `facts_of` must outlive the cache.
  void WarmFrom(const store::RecordStore& store, const auth::Scope& facts_of);
  size_t size() const;

 private:
  using Values = absl::InlinedVector<uint32_t, 1>;
  struct Entry {
    uint64_t seq = 0;
    uint32_t type = 0;
    bool erased = false;
    bool has_owner = false, has_territory = false, has_branch = false;
    Values owners, territories, branches;
  };
  uint32_t Intern(std::string_view text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Values InternAll(const absl::InlinedVector<std::string_view, 1>& texts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<crdt::RecordId, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> interned_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> strings_ ABSL_GUARDED_BY(mu_);  // deque: stable addresses for views
  std::atomic<bool> stopping_{false};
  std::thread warm_;
};

}  // namespace rapport::server
