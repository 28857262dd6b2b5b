// RecordStore behaviour: writes, reads, the change feed, remote deltas, peers and observers.
#include "core/store/record_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/store/store_test_util.h"

namespace rapport::store {
namespace {

using testing::kCity;
using testing::kName;
using testing::kPoints;
using testing::kTags;
using testing::TempDir;
using testing::TestOptions;
using testing::ValueOf;

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, RecordStore::Open(dir_.path(), TestOptions(&now_)));
  }

  // Creates a customer named `name` (and `city`, if given) in its own write.
  crdt::RecordId Create(const std::string& name, const std::string& city = "") {
    crdt::RecordId id;
    absl::StatusOr<ChangeSet> changes = store_->Write([&](WriteTransaction& tx) -> absl::Status {
      ASSIGN_OR_RETURN(WriteTransaction::Created created, tx.Create("customer"));
      id = created.id;
      RETURN_IF_ERROR(created.edit->Set(kName, name));
      if (!city.empty()) RETURN_IF_ERROR(created.edit->Set(kCity, city));
      return absl::OkStatus();
    });
    EXPECT_OK(changes);
    return id;
  }

  absl::StatusOr<ChangeSet> SetName(const crdt::RecordId& id, const std::string& name) {
    return store_->Write([&](WriteTransaction& tx) -> absl::Status {
      ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(id));
      return edit->Set(kName, name);
    });
  }

  crdt::Record MustGet(const crdt::RecordId& id) {
    absl::StatusOr<std::optional<crdt::Record>> r = store_->Get(id);
    EXPECT_OK(r);
    EXPECT_TRUE(r.ok() && r->has_value()) << id.ToString();
    return r.ok() && r->has_value() ? **r : crdt::Record();
  }

  // (delta, seq) pairs of ChangesSince(since).
  std::vector<std::pair<crdt::Record, uint64_t>> Changes(uint64_t since, size_t limit = 100000) {
    std::vector<std::pair<crdt::Record, uint64_t>> out;
    EXPECT_OK(store_->ChangesSince(since, limit, [&](const crdt::Record& delta, uint64_t seq) {
      out.emplace_back(delta, seq);
      return true;
    }));
    return out;
  }

  TempDir dir_;
  uint64_t now_ = 1'700'000'000'000;
  std::unique_ptr<RecordStore> store_;
};

TEST_F(RecordStoreTest, CreateEditGetRoundTrip) {
  crdt::RecordId id;
  ASSERT_OK_AND_ASSIGN(ChangeSet created, store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    id = c.id;
    RETURN_IF_ERROR(c.edit->Set(kName, std::string("Ada")));
    RETURN_IF_ERROR(c.edit->Increment(kPoints, 5));
    return c.edit->AddElement(kTags, "vip");
  }));
  EXPECT_EQ(created.changed, std::vector<crdt::RecordId>{id});
  EXPECT_EQ(created.last_seq, 1u);
  EXPECT_EQ(id.unix_ms(), now_);  // ids are time-ordered by creation

  crdt::Record r = MustGet(id);
  EXPECT_EQ(r.type(), "customer");
  EXPECT_EQ(ValueOf(r, kName), crdt::Scalar(std::string("Ada")));
  EXPECT_EQ(r.fields().Find(kPoints)->As<crdt::PnCounter>()->Value(), 5);
  EXPECT_TRUE(r.fields().Find(kTags)->As<crdt::OrSet>()->Contains("vip"));

  ASSERT_OK_AND_ASSIGN(ChangeSet edited, SetName(id, "Ada Lovelace"));
  EXPECT_EQ(edited.last_seq, 2u);
  EXPECT_EQ(ValueOf(MustGet(id), kName), crdt::Scalar(std::string("Ada Lovelace")));
  EXPECT_EQ(store_->last_seq(), 2u);
}

TEST_F(RecordStoreTest, GetOfMissingRecordIsNulloptNotError) {
  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> r, store_->Get(crdt::RecordId()));
  EXPECT_EQ(r, std::nullopt);
}

TEST_F(RecordStoreTest, EditOfMissingRecordIsNotFoundNamingTheId) {
  const crdt::RecordId missing = crdt::RecordId::FromParts(42, {1, 2, 3});
  absl::StatusOr<ChangeSet> result = SetName(missing, "x");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find(missing.ToString()), absl::string_view::npos)
      << result.status();
}

TEST_F(RecordStoreTest, FailedBatchStoresNothing) {
  const crdt::RecordId existing = Create("Ada");
  std::vector<crdt::RecordId> attempted;
  absl::StatusOr<ChangeSet> result = store_->Write([&](WriteTransaction& tx) -> absl::Status {
    for (int i = 0; i < 3; ++i) {
      ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
      attempted.push_back(c.id);
      RETURN_IF_ERROR(c.edit->Set(kName, std::string("new")));
    }
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(existing));
    RETURN_IF_ERROR(edit->Set(kName, std::string("changed")));
    RETURN_IF_ERROR(tx.SetPeer("hq", {FeedCheckpoint::At(5), FeedCheckpoint::At(5)}));
    return absl::AbortedError("validation failed");
  });
  EXPECT_EQ(result.status(), absl::AbortedError("validation failed"));
  for (const crdt::RecordId& id : attempted) {
    ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> r, store_->Get(id));
    EXPECT_EQ(r, std::nullopt);
  }
  EXPECT_EQ(ValueOf(MustGet(existing), kName), crdt::Scalar(std::string("Ada")));
  EXPECT_EQ(store_->last_seq(), 1u);
  ASSERT_OK_AND_ASSIGN(PeerCheckpoint peer, store_->GetPeer("hq"));
  EXPECT_EQ(peer, PeerCheckpoint{});
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.records, 1u);
  EXPECT_EQ(stats.changes, 1u);
}

TEST_F(RecordStoreTest, ReopenKeepsReplicaIdClockAndSeq) {
  const crdt::ReplicaId replica = store_->replica_id();
  EXPECT_NE(replica, 0u);
  const crdt::RecordId id = Create("Ada");
  const crdt::Hlc first = MustGet(id).MaxHlc();

  now_ -= 86'400'000;  // the wall clock jumps back a day across the restart
  Reopen();
  EXPECT_EQ(store_->replica_id(), replica);
  EXPECT_EQ(store_->last_seq(), 1u);
  ASSERT_OK(SetName(id, "Ada L"));
  EXPECT_GT(MustGet(id).MaxHlc(), first);
  EXPECT_EQ(store_->last_seq(), 2u);
}

TEST_F(RecordStoreTest, EachTouchedRecordGetsOneSeqInTouchOrder) {
  crdt::RecordId a, b;
  ASSERT_OK_AND_ASSIGN(ChangeSet changes, store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created ca, tx.Create("customer"));
    ASSIGN_OR_RETURN(WriteTransaction::Created cb, tx.Create("customer"));
    a = ca.id;
    b = cb.id;
    RETURN_IF_ERROR(cb.edit->Set(kName, std::string("B")));
    ASSIGN_OR_RETURN(crdt::RecordEdit * again, tx.Edit(a));
    EXPECT_EQ(again, ca.edit);  // one edit, one seq per record per transaction
    return again->Set(kName, std::string("A"));
  }));
  EXPECT_EQ(changes.changed, (std::vector<crdt::RecordId>{a, b}));
  EXPECT_EQ(changes.last_seq, 2u);
  auto feed = Changes(0);
  ASSERT_EQ(feed.size(), 2u);
  EXPECT_EQ(feed[0].first.id(), a);
  EXPECT_EQ(feed[0].second, 1u);
  EXPECT_EQ(feed[1].first.id(), b);
  EXPECT_EQ(feed[1].second, 2u);
}

TEST_F(RecordStoreTest, ChangesSinceYieldsOnlyChangedFieldsAndOneEntryPerRecord) {
  const crdt::RecordId a = Create("Ada", "Oslo");
  const crdt::RecordId b = Create("Bea", "Rome");
  const uint64_t checkpoint = store_->last_seq();
  ASSERT_OK(SetName(a, "Ada L"));
  ASSERT_OK(SetName(a, "Ada Lovelace"));

  auto since = Changes(checkpoint);
  ASSERT_EQ(since.size(), 1u);
  const crdt::Record& delta = since[0].first;
  EXPECT_EQ(delta.id(), a);
  EXPECT_EQ(delta.type(), "customer");
  EXPECT_EQ(since[0].second, 4u);
  EXPECT_EQ(ValueOf(delta, kName), crdt::Scalar(std::string("Ada Lovelace")));
  EXPECT_EQ(delta.fields().Find(kCity), nullptr);  // unchanged since the checkpoint

  auto all = Changes(0);
  ASSERT_EQ(all.size(), 2u);  // a's older seqs are gone from the feed
  EXPECT_EQ(all[0].first.id(), b);
  EXPECT_EQ(all[1].first.id(), a);
  EXPECT_NE(all[1].first.fields().Find(kCity), nullptr);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.changes, stats.records);
}

TEST_F(RecordStoreTest, ResumedScanSendsOlderPartsOfARecordWhoseEntryMoved) {
  const crdt::RecordId a = Create("Ada", "Oslo");  // seq 1: name and city
  const crdt::RecordId b = Create("Bea");          // seq 2
  // A scan from base 0 is cut after b (position 2); then a changes and its entry moves to 3.
  ASSERT_OK(SetName(a, "Ada L"));
  std::vector<std::pair<crdt::Record, uint64_t>> resumed;
  ASSERT_OK(
      store_->ChangesSince(FeedCheckpoint{0, 2}, 100, [&](const crdt::Record& d, uint64_t seq) {
        resumed.emplace_back(d, seq);
        return true;
      }));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].first.id(), a);
  EXPECT_EQ(resumed[0].second, 3u);
  // The city (seq 1, below the position) still travels: the delta is since the base.
  EXPECT_NE(resumed[0].first.fields().Find(kCity), nullptr);
  EXPECT_EQ(ValueOf(resumed[0].first, kName), crdt::Scalar(std::string("Ada L")));
  (void)b;
}

TEST_F(RecordStoreTest, PurgeRemovesRecordFeedEntryAndPostingsAndADeltaRecreatesIt) {
  const crdt::RecordId a = Create("Ada", "Oslo");
  const crdt::RecordId b = Create("Bea", "Rome");
  const crdt::Record a_before = MustGet(a);
  ASSERT_OK_AND_ASSIGN(ChangeSet purged,
                       store_->Write([&](WriteTransaction& tx) { return tx.Purge(a); }));
  EXPECT_EQ(purged.purged, std::vector<crdt::RecordId>{a});
  EXPECT_TRUE(purged.changed.empty());
  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> gone, store_->Get(a));
  EXPECT_EQ(gone, std::nullopt);
  auto feed = Changes(0);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].first.id(), b);
  ASSERT_OK_AND_ASSIGN(QueryPage by_name, store_->Scan("name", "", "", 10, ""));
  EXPECT_EQ(by_name.ids, std::vector<crdt::RecordId>{b});
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store_->Stats());
  EXPECT_EQ(stats.records, 1u);
  EXPECT_EQ(stats.changes, 1u);

  // Editing a purged record is NotFound; a remote delta brings it back.
  EXPECT_EQ(SetName(a, "x").status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) { return tx.ApplyRemote(a_before); }));
  EXPECT_EQ(ValueOf(MustGet(a), kName), crdt::Scalar(std::string("Ada")));
  ASSERT_OK_AND_ASSIGN(by_name, store_->Scan("name", "", "", 10, ""));
  EXPECT_EQ(by_name.ids.size(), 2u);
}

TEST_F(RecordStoreTest, PurgeOfARecordChangedInTheSameTransactionIsRefused) {
  const crdt::RecordId a = Create("Ada");
  absl::StatusOr<ChangeSet> result = store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(a));
    RETURN_IF_ERROR(edit->Set(kName, std::string("Ada L")));
    return tx.Purge(a);
  });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ValueOf(MustGet(a), kName), crdt::Scalar(std::string("Ada")));
}

TEST_F(RecordStoreTest, AuxEntriesCommitWithTheWriteAndScanByPrefix) {
  absl::StatusOr<ChangeSet> refused = store_->Write([&](WriteTransaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutAux("q/a", "1"));
    return tx.PutAux("", "empty keys are refused");
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> none, store_->GetAux("q/a"));
  EXPECT_EQ(none, std::nullopt);  // the failed write stored nothing
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.PutAux("q/b", "2"));
    RETURN_IF_ERROR(tx.PutAux("q/a", "1"));
    return tx.PutAux("r/a", "x");
  }));
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_OK(store_->ScanAux("q/", [&](std::string_view k, std::string_view v) {
    seen.emplace_back(k, v);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"q/a", "1"}, {"q/b", "2"}}));
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) { return tx.DeleteAux("q/a"); }));
  Reopen();
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> b, store_->GetAux("q/b"));
  EXPECT_EQ(b, "2");
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> a, store_->GetAux("q/a"));
  EXPECT_EQ(a, std::nullopt);
}

TEST_F(RecordStoreTest, ChangesSinceStopsAtLimitAndWhenVisitorDeclines) {
  constexpr int kRecords = 600;  // more than one internal read chunk
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    for (int i = 0; i < kRecords; ++i) {
      ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
      RETURN_IF_ERROR(c.edit->Increment(kPoints, i));
    }
    return absl::OkStatus();
  }));
  auto all = Changes(0);
  ASSERT_EQ(all.size(), size_t{kRecords});
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(all[i].second, uint64_t(i + 1));
  EXPECT_EQ(Changes(0, 10).size(), 10u);
  EXPECT_EQ(Changes(590, 1000).size(), 10u);

  int visited = 0;
  ASSERT_OK(
      store_->ChangesSince(0, 1000, [&](const crdt::Record&, uint64_t) { return ++visited < 3; }));
  EXPECT_EQ(visited, 3);
}

TEST_F(RecordStoreTest, EditThatChangesNothingGetsNoSeq) {
  const crdt::RecordId a = Create("Ada");
  ASSERT_OK_AND_ASSIGN(ChangeSet changes,
                       store_->Write([&](WriteTransaction& tx) { return tx.Edit(a).status(); }));
  EXPECT_TRUE(changes.changed.empty());
  EXPECT_EQ(changes.last_seq, 1u);
  EXPECT_EQ(store_->last_seq(), 1u);
  auto feed = Changes(0);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].second, 1u);
}

TEST_F(RecordStoreTest, WriteTransactionGetSeesItsOwnWrites) {
  const crdt::RecordId a = Create("Ada");
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(a));
    RETURN_IF_ERROR(edit->Set(kName, std::string("Bea")));
    ASSIGN_OR_RETURN(std::optional<crdt::Record> seen, tx.Get(a));
    EXPECT_EQ(ValueOf(*seen, kName), crdt::Scalar(std::string("Bea")));
    ASSIGN_OR_RETURN(std::optional<crdt::Record> missing, tx.Get(crdt::RecordId()));
    EXPECT_EQ(missing, std::nullopt);
    return absl::OkStatus();
  }));
}

// A replica at a given wall time, with its own store.
struct Replica {
  TempDir dir;
  uint64_t now;
  std::unique_ptr<RecordStore> store;
  explicit Replica(uint64_t now_ms) : now(now_ms) {
    store = *RecordStore::Open(dir.path(), TestOptions(&now));
  }
  std::vector<crdt::Record> DeltasSince(uint64_t since) {
    std::vector<crdt::Record> out;
    EXPECT_OK(store->ChangesSince(since, 1000, [&](const crdt::Record& d, uint64_t) {
      out.push_back(d);
      return true;
    }));
    return out;
  }
};

TEST(RecordStoreSync, ApplyRemoteIsIdempotentAndConverges) {
  Replica a(1'700'000'000'000), b(1'600'000'000'000);  // b's wall clock is far behind
  crdt::RecordId id;
  ASSERT_OK(a.store->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
    id = c.id;
    RETURN_IF_ERROR(c.edit->Set(kName, std::string("Ada")));
    return c.edit->AddElement(kTags, "vip");
  }));
  const std::vector<crdt::Record> deltas = a.DeltasSince(0);
  auto apply = [&] {
    return b.store->Write([&](WriteTransaction& tx) -> absl::Status {
      for (const crdt::Record& d : deltas) RETURN_IF_ERROR(tx.ApplyRemote(d));
      return absl::OkStatus();
    });
  };
  ASSERT_OK_AND_ASSIGN(ChangeSet first, apply());
  EXPECT_EQ(first.changed, std::vector<crdt::RecordId>{id});
  EXPECT_EQ(first.last_seq, 1u);
  ASSERT_OK_AND_ASSIGN(ChangeSet again, apply());
  EXPECT_TRUE(again.changed.empty());
  EXPECT_EQ(b.store->last_seq(), 1u);
  EXPECT_EQ(b.DeltasSince(1).size(), 0u);

  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> ra, a.store->Get(id));
  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> rb, b.store->Get(id));
  EXPECT_EQ(ra, rb);

  // b observed a's stamps, so its edit supersedes a's despite its lagging wall clock.
  ASSERT_OK(b.store->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(id));
    return edit->Set(kName, std::string("Ada B"));
  }));
  ASSERT_OK_AND_ASSIGN(rb, b.store->Get(id));
  EXPECT_GT(rb->MaxHlc(), ra->MaxHlc());
  EXPECT_FALSE(rb->HasConflicts());
}

TEST(RecordStoreSync, DeltaWithOnlyIdAndTypeCreatesARecordWithOneFeedEntry) {
  Replica b(1'700'000'000'000);
  const crdt::RecordId id = crdt::RecordId::FromParts(1, {9});
  ASSERT_OK_AND_ASSIGN(ChangeSet created, b.store->Write([&](WriteTransaction& tx) {
    return tx.ApplyRemote(crdt::Record(id, "customer"));
  }));
  EXPECT_EQ(created.changed, std::vector<crdt::RecordId>{id});
  // The next change must move the record's one feed entry, not add a second.
  ASSERT_OK(b.store->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(crdt::RecordEdit * edit, tx.Edit(id));
    return edit->Set(kName, std::string("Ada"));
  }));
  ASSERT_OK_AND_ASSIGN(StoreStats stats, b.store->Stats());
  EXPECT_EQ(stats.records, 1u);
  EXPECT_EQ(stats.changes, 1u);
  EXPECT_EQ(b.DeltasSince(0).size(), 1u);
}

TEST(RecordStoreSync, ApplyRemoteRefusesADeltaWithoutId) {
  Replica b(1'700'000'000'000);
  absl::StatusOr<ChangeSet> r =
      b.store->Write([&](WriteTransaction& tx) { return tx.ApplyRemote(crdt::Record()); });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RecordStoreTest, PeerCheckpointCommitsWithTheDataOrNotAtAll) {
  ASSERT_OK_AND_ASSIGN(PeerCheckpoint unknown, store_->GetPeer("hq"));
  EXPECT_EQ(unknown, PeerCheckpoint{});
  const crdt::RecordId remote = crdt::RecordId::FromParts(5, {5});
  crdt::Record delta(remote, "customer");
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.ApplyRemote(delta));
    return tx.SetPeer("hq", {.pull = FeedCheckpoint::At(7), .push = {2, 3}});
  }));
  ASSERT_OK_AND_ASSIGN(PeerCheckpoint stored, store_->GetPeer("hq"));
  EXPECT_EQ(stored, (PeerCheckpoint{FeedCheckpoint::At(7), {2, 3}}));

  absl::StatusOr<ChangeSet> failed = store_->Write([&](WriteTransaction& tx) -> absl::Status {
    RETURN_IF_ERROR(tx.SetPeer("hq", {FeedCheckpoint::At(9), FeedCheckpoint::At(9)}));
    ASSIGN_OR_RETURN(PeerCheckpoint seen, tx.GetPeer("hq"));
    EXPECT_EQ(seen, (PeerCheckpoint{FeedCheckpoint::At(9), FeedCheckpoint::At(9)}));
    return absl::UnavailableError("stream cut");
  });
  EXPECT_FALSE(failed.ok());
  ASSERT_OK_AND_ASSIGN(stored, store_->GetPeer("hq"));
  EXPECT_EQ(stored, (PeerCheckpoint{FeedCheckpoint::At(7), {2, 3}}));
  Reopen();
  ASSERT_OK_AND_ASSIGN(stored, store_->GetPeer("hq"));
  EXPECT_EQ(stored, (PeerCheckpoint{FeedCheckpoint::At(7), {2, 3}}));
}

TEST_F(RecordStoreTest, ObserversSeeEachCommitsChangedIdsAfterCommit) {
  std::vector<ChangeSet> seen;
  std::vector<bool> visible;
  const int handle = store_->AddObserver([&](const ChangeSet& changes) {
    seen.push_back(changes);
    absl::StatusOr<std::optional<crdt::Record>> r = store_->Get(changes.changed.front());
    visible.push_back(r.ok() && r->has_value());  // the commit is readable by then
  });
  crdt::RecordId a, b;
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(WriteTransaction::Created ca, tx.Create("customer"));
    ASSIGN_OR_RETURN(WriteTransaction::Created cb, tx.Create("customer"));
    a = ca.id;
    b = cb.id;
    return absl::OkStatus();
  }));
  EXPECT_FALSE(store_
                   ->Write([](WriteTransaction& tx) -> absl::Status {
                     RETURN_IF_ERROR(tx.Create("customer").status());
                     return absl::InternalError("no");
                   })
                   .ok());
  ASSERT_OK(store_->Write([&](WriteTransaction& tx) { return tx.Edit(a).status(); }));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].changed, (std::vector<crdt::RecordId>{a, b}));
  EXPECT_EQ(seen[0].last_seq, 2u);
  EXPECT_EQ(visible, std::vector<bool>{true});

  store_->RemoveObserver(handle);
  Create("Cy");
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(RecordStoreTest, BackupIsAnOpenableCompactCopy) {
  const crdt::RecordId a = Create("Ada");
  const std::string backup = dir_.Sub("backup");
  ASSERT_OK(store_->Backup(backup));
  EXPECT_EQ(store_->Backup(backup).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> copy,
                       RecordStore::Open(backup, TestOptions(&now_)));
  EXPECT_EQ(copy->replica_id(), store_->replica_id());
  EXPECT_EQ(copy->last_seq(), 1u);
  ASSERT_OK_AND_ASSIGN(std::optional<crdt::Record> r, copy->Get(a));
  EXPECT_EQ(r, MustGet(a));
}

// Readers run while the writer grows the map from its floor: resizing must wait for them and
// they must never see a torn state.
TEST(RecordStoreConcurrency, ReadersRunWhileWriterGrowsTheMap) {
  TempDir dir;
  uint64_t now = 1'700'000'000'000;
  StoreOptions options = TestOptions(&now);
  options.initial_map_size = 64 << 10;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecordStore> store, RecordStore::Open(dir.path(), options));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      size_t seen = 0;
      const uint64_t last = store->last_seq();
      const absl::Status s = store->ChangesSince(0, 1 << 20, [&](const crdt::Record&, uint64_t) {
        ++seen;
        return true;
      });
      // Batches are atomic and a record has one feed entry, so at least `last` are visible.
      if (!s.ok() || seen < last) bad.fetch_add(1);
    }
  });
  for (int batch = 0; batch < 40; ++batch) {
    ASSERT_OK(store->Write([&](WriteTransaction& tx) -> absl::Status {
      for (int i = 0; i < 50; ++i) {
        ASSIGN_OR_RETURN(WriteTransaction::Created c, tx.Create("customer"));
        RETURN_IF_ERROR(c.edit->Set(kName, std::string(64, 'a' + i % 26)));
      }
      return absl::OkStatus();
    }));
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_OK_AND_ASSIGN(StoreStats stats, store->Stats());
  EXPECT_EQ(stats.records, 2000u);
  EXPECT_GT(stats.map_bytes, uint64_t{64 << 10});
}

}  // namespace
}  // namespace rapport::store
