// Shared by the sync integration tests: an in-process SyncServer on an OS-chosen loopback port
// that can be killed (calls cancelled at once) and restarted on the same data, replicas on
// controllable clocks, and record comparison.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "client-lib/src/replica_internal.h"
#include "core/crdt/record_codec.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/client-lib/client_test_util.h"

namespace rapport::testing {

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  // Starts (or restarts, on the same data directory) the server on a new port.
  void StartServer() {
    server::ServerOptions options = server_options_;
    options.data_dir = tmp_.Sub("server");
    auto server = server::SyncServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    address_ = server_->address();
  }
  // Cancels every call at once and closes the store, like a crash as far as clients can tell
  // (the store's durability under SIGKILL is the crash tests' subject).
  void KillServer() {
    server_->Shutdown(/*grace_ms=*/0);
    server_.reset();
  }

  SyncSummary Sync(Replica& r, SyncOptions options = SmallBatches()) {
    auto summary = SyncOnce(r, address_, options);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.ok() ? *summary : SyncSummary{};
  }
  static SyncOptions SmallBatches() {
    SyncOptions options;
    options.max_push_batch_bytes = 200;
    return options;
  }

  TempDir tmp_;
  server::ServerOptions server_options_ = [] {
    server::ServerOptions o;
    o.max_pull_batch_bytes = 200;  // several Pull batches even for small tests
    o.auth.required = false;       // these tests are about sync; tests/server/auth_* about auth
    return o;
  }();
  std::unique_ptr<server::SyncServer> server_;
  std::string address_;
};

inline std::string Create(Replica& r, const std::string& name) {
  auto s = r.Apply({Mutation::Create("customer", {{"name", name}})});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? s->created.at(0) : "";
}

inline void Apply(Replica& r, const std::vector<Mutation>& m) {
  auto s = r.Apply(m);
  ASSERT_TRUE(s.ok()) << s.status();
}

inline RecordView View(const Replica& r, const std::string& id) {
  auto v = r.Get(id);
  EXPECT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v.ok() && v->has_value()) << id;
  return v.ok() && v->has_value() ? **v : RecordView{};
}

// The canonical encoding of record `id` in `store` (empty if absent): equal bytes, equal state.
inline std::string Encoded(const store::RecordStore& store, const std::string& id) {
  auto record = store.Get(*crdt::RecordId::Parse(id));
  EXPECT_TRUE(record.ok()) << record.status();
  return record.ok() && record->has_value() ? crdt::EncodeRecord(**record) : "";
}
inline std::string Encoded(Replica& r, const std::string& id) {
  return Encoded(ReplicaInternal::Store(r), id);
}

// Every record of `store` in canonical encoding, in id order.
inline std::vector<std::string> Archive(const store::RecordStore& store) {
  std::vector<std::pair<crdt::RecordId, std::string>> records;
  EXPECT_TRUE(store
                  .ChangesSince(0, size_t{1} << 30,
                                [&](const crdt::Record& r, uint64_t) {
                                  records.emplace_back(r.id(), crdt::EncodeRecord(r));
                                  return true;
                                })
                  .ok());
  std::sort(records.begin(), records.end());
  std::vector<std::string> out;
  for (auto& [id, bytes] : records) out.push_back(std::move(bytes));
  return out;
}

inline bool SameView(const RecordView& a, const RecordView& b) {
  auto same_values = [](const ValueFields& x, const ValueFields& y) {
    if (x.size() != y.size()) return false;
    for (const auto& [name, v] : x) {
      auto it = y.find(name);
      if (it == y.end() || !(it->second.displayed == v.displayed) ||
          !(it->second.conflicts == v.conflicts)) {
        return false;
      }
    }
    return true;
  };
  if (a.id != b.id || a.type != b.type || a.deleted != b.deleted || a.counters != b.counters ||
      a.sets != b.sets || !same_values(a.values, b.values) ||
      a.timelines.size() != b.timelines.size()) {
    return false;
  }
  for (const auto& [name, entries] : a.timelines) {
    auto it = b.timelines.find(name);
    if (it == b.timelines.end() || it->second.size() != entries.size()) return false;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].id != it->second[i].id ||
          entries[i].occurred_at != it->second[i].occurred_at ||
          !same_values(entries[i].fields, it->second[i].fields)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace rapport::testing
