// A branch rapportd killed with SIGKILL in the middle of its upstream sync, again and again, at
// three moments in turn:
//  - before head office commits: a field device's push is acknowledged by the branch and the
//    branch has sent it upstream, but the link to head office (a FaultProxy) holds it; the kill
//    comes while head office has not committed it, and the link then drops what it held;
//  - during the branch's pull: head office's office device adds a batch of customers, and the
//    branch is killed once part of the Pull stream has crossed the (throttled) link;
//  - as head office commits the branch's push: its acknowledgement may be lost with the branch.
// Every round both devices edit the same customer (points, a tag, a visit). After every kill the
// branch's store must be consistent as it lies (CheckStoreConsistency) and, for a pull kill,
// must not yet hold the whole batch, or the kill was not mid-pull. Then the branch restarts on
// its data without repair, and a fresh device syncing from it finds every edit the branch
// acknowledged to the field device and nothing that nobody wrote. At the end the link heals and
// head office, the branch and both devices hold one archive, with every increment counted
// exactly once and every tag, visit and customer present.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "server/sync_server.h"
#include "tests/fault/fault_proxy.h"
#include "tests/fault/rapportd_process.h"
#include "tests/fault/store_consistency.h"
#include "tests/server/sync_test_util.h"
#include "tests/temp_dir.h"

namespace rapport {
namespace {

using fault::FaultPlan;
using fault::FaultProxy;
using fault::ProxyStats;

constexpr int kRounds = 15;  // five kills at each moment
constexpr int kOfficeBatch = 20;
// Slow enough that a Pull stream of a few KiB takes a few hundred milliseconds to cross.
constexpr size_t kPullBytesPerSecond = 16 << 10;
constexpr std::chrono::seconds kWait{20};

enum class Moment { kBeforeHeadOfficeCommits, kAsHeadOfficeCommits, kDuringBranchPull };
// Each moment in turn. Any order works now; this one lets a round's edit at head office fall
// between two pushes of the shop in one branch session (a re-push after a lost PushAck, then the
// field's new edit), the window of the bug SyncTest.AnotherWritersChangeBetweenTwoPushesOf-
// OneSessionIsPulled pins (server/pushed_records.cc), which an earlier order had to avoid.
constexpr Moment kMomentOrder[] = {Moment::kAsHeadOfficeCommits, Moment::kBeforeHeadOfficeCommits,
                                   Moment::kDuringBranchPull};

const char* MomentName(Moment m) {
  switch (m) {
    case Moment::kBeforeHeadOfficeCommits:
      return "before head office commits";
    case Moment::kAsHeadOfficeCommits:
      return "as head office commits";
    case Moment::kDuringBranchPull:
      return "during the branch's pull";
  }
  return "?";
}

// The branch: rapportd replicating continuously with head office.
using Branch = fault::RapportdProcess;

// A store, watched: the test waits (bounded) on its commits instead of sleeping.
class CommitWatch {
 public:
  explicit CommitWatch(store::RecordStore& store) : store_(store) {
    handle_ = store_.AddObserver([this](const store::ChangeSet&) {
      absl::MutexLock lock(&mu_);
      ++commits_;
    });
  }
  ~CommitWatch() { store_.RemoveObserver(handle_); }
  int commits() {
    absl::MutexLock lock(&mu_);
    return commits_;
  }
  // Waits until there have been more than `seen` commits; false on timeout.
  bool WaitPast(int seen, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto past = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ > seen; };
    return mu_.AwaitWithTimeout(absl::Condition(&past), timeout);
  }
  // Waits until `holds()` is true, re-checking after each commit; false on timeout.
  bool WaitUntil(const std::function<bool()>& holds, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const int seen = commits();
      if (holds()) return true;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration() || !WaitPast(seen, left)) return holds();
    }
  }

 private:
  store::RecordStore& store_;
  int handle_ = -1;
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

// What was written to the shop customer, and the customers created.
struct Ledger {
  int64_t points = 0;
  std::set<std::string> tags;
  std::set<std::string> visits;  // interaction summaries
  std::set<std::string> records;

  void Add(const Ledger& other) {
    points += other.points;
    tags.insert(other.tags.begin(), other.tags.end());
    visits.insert(other.visits.begin(), other.visits.end());
    records.insert(other.records.begin(), other.records.end());
  }
};

// What `r` holds of what a ledger can name.
Ledger Holdings(const Replica& r, const std::string& shop, const std::set<std::string>& records) {
  Ledger out;
  out.points = -1;
  auto view = r.Get(shop);
  if (!view.ok() || !view->has_value()) return out;
  const RecordView& v = **view;
  auto points = v.counters.find("loyalty_points");
  out.points = points == v.counters.end() ? 0 : points->second;
  if (auto it = v.sets.find("tags"); it != v.sets.end()) {
    out.tags.insert(it->second.begin(), it->second.end());
  }
  if (auto it = v.timelines.find("interactions"); it != v.timelines.end()) {
    for (const EntryView& e : it->second) {
      out.visits.insert(ValueToText(e.fields.at("summary").displayed));
    }
  }
  for (const std::string& id : records) {
    auto record = r.Get(id);
    if (record.ok() && record->has_value()) out.records.insert(id);
  }
  return out;
}

bool Includes(const std::set<std::string>& big, const std::set<std::string>& small) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

// The elements of `want` missing from `have`, comma-separated ("" if none).
std::string Missing(const std::set<std::string>& want, const std::set<std::string>& have) {
  std::string out;
  for (const std::string& w : want) {
    if (!have.contains(w)) absl::StrAppend(&out, out.empty() ? "" : ", ", w);
  }
  return out;
}

// Keeps `device` in a live session with `address` until `holds()` is true (re-checked after
// each of its commits) or `timeout` passes; whether it came true.
bool LiveUntil(Replica& device, const std::string& address, const std::function<bool()>& holds,
               absl::Duration timeout) {
  CommitWatch commits(ReplicaInternal::Store(device));
  auto live = ContinuousSync::Start(device, address);
  EXPECT_TRUE(live.ok()) << live.status();
  if (!live.ok()) return false;
  const bool held = commits.WaitUntil(holds, timeout);
  (*live)->Stop();
  return held;
}

class BranchCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions hq_options;
    hq_options.data_dir = tmp_.Sub("hq");
    hq_options.auth.required = false;
    hq_options.max_pull_batch_bytes = 512;  // the branch's pulls come in several batches
    auto hq = server::SyncServer::Start(hq_options);
    ASSERT_TRUE(hq.ok()) << hq.status();
    hq_ = *std::move(hq);
    watch_.emplace(hq_->store());
    // Small reads, so a throttled Pull stream crosses the link in many steps.
    auto proxy = FaultProxy::Start(hq_->address(), fault::ProxyOptions{.chunk_bytes = 512});
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    link_ = *std::move(proxy);
    config_ = tmp_.Sub("branch.textproto");
    std::ofstream(config_) << "metrics_listen: \"off\"\n"
                              "auth { disabled: true }\n"
                              "upstream { address: \""
                           << link_->address() << "\" schedule: \"continuous\" }\n";
    ASSERT_NO_FATAL_FAILURE(StartBranch());
    field_ = testing::OpenAt(tmp_.Sub("field"), &now_);
    office_ = testing::OpenAt(tmp_.Sub("office"), &now_);
    ASSERT_TRUE(field_ && office_);
  }

  void StartBranch() {
    auto branch = Branch::Start(tmp_.Sub("branch"), config_);
    ASSERT_TRUE(branch.ok()) << branch.status();
    branch_ = *std::move(branch);
  }

  // One edit of the shop on `device` (points, a tag, a visit), written to `ledger`.
  void Edit(Replica& device, const std::string& who, int round, int64_t points, Ledger& ledger) {
    const std::string tag = absl::StrCat(who, "-", round);
    const std::string visit = absl::StrCat(who, " visit ", round);
    testing::Apply(device,
                   {Mutation::Increment(shop_, "loyalty_points", points),
                    Mutation::AddElement(shop_, "tags", tag),
                    Mutation::AppendEntry(shop_, "interactions", Timestamp{now_ + round},
                                          {{"kind", EnumValue{"visit"}}, {"summary", visit}})});
    ledger.points += points;
    ledger.tags.insert(tag);
    ledger.visits.insert(visit);
  }

  // The field device edits and syncs with the branch, which must acknowledge.
  void FieldEditAcknowledged(int round) {
    Ledger edit;
    ASSERT_NO_FATAL_FAILURE(Edit(*field_, "field", round, round + 1, edit));
    auto pushed = SyncOnce(*field_, branch_->address);
    ASSERT_TRUE(pushed.ok()) << "round " << round << ": " << pushed.status();
    field_acked_.Add(edit);
    written_.Add(edit);
  }

  // The office device edits (and, with `batch`, adds customers) and syncs with head office.
  void OfficeEdit(int round, int batch, std::vector<std::string>* created) {
    Ledger edit;
    ASSERT_NO_FATAL_FAILURE(Edit(*office_, "office", round, 100 * (round + 1), edit));
    std::vector<Mutation> customers;
    for (int i = 0; i < batch; ++i) {
      customers.push_back(Mutation::Create(
          "customer", {{"name", absl::StrCat("Office customer ", round, "-", i)},
                       {"city", std::string("Hangzhou")},
                       {"plans", absl::StrCat("Reorder tea in spring, round ", round)}}));
    }
    if (!customers.empty()) {
      auto done = office_->Apply(customers);
      ASSERT_TRUE(done.ok()) << done.status();
      for (const std::string& id : done->created) {
        edit.records.insert(id);
        if (created != nullptr) created->push_back(id);
      }
    }
    auto synced = SyncOnce(*office_, hq_->address());
    ASSERT_TRUE(synced.ok()) << synced.status();
    written_.Add(edit);
  }

  // What a fresh device pulls from the branch: every edit the branch acknowledged to the field
  // device, and nothing that was never written.
  void CheckBranchHolds(const std::string& when) {
    auto audit = Replica::Open(tmp_.Sub("audit-" + std::to_string(audits_++)));
    ASSERT_TRUE(audit.ok()) << audit.status();
    auto pulled = SyncOnce(**audit, branch_->address);
    ASSERT_TRUE(pulled.ok()) << when << ": " << pulled.status();
    const Ledger held = Holdings(**audit, shop_, written_.records);
    EXPECT_GE(held.points, field_acked_.points) << when << ": acknowledged points lost";
    EXPECT_LE(held.points, written_.points) << when << ": points counted twice";
    EXPECT_TRUE(Includes(held.tags, field_acked_.tags)) << when << ": acknowledged tag lost";
    EXPECT_TRUE(Includes(written_.tags, held.tags)) << when << ": a tag nobody added";
    EXPECT_TRUE(Includes(held.visits, field_acked_.visits)) << when << ": acknowledged visit lost";
    EXPECT_TRUE(Includes(written_.visits, held.visits)) << when << ": a visit nobody made";
  }

  testing::TempDir tmp_;
  int64_t now_ = testing::kMonday9am;
  std::unique_ptr<server::SyncServer> hq_;
  std::optional<CommitWatch> watch_;
  std::unique_ptr<FaultProxy> link_;  // the branch's upstream link to head office
  std::string config_;
  std::optional<Branch> branch_;
  std::unique_ptr<Replica> field_;   // syncs with the branch
  std::unique_ptr<Replica> office_;  // syncs with head office
  std::string shop_;
  Ledger written_;      // everything written anywhere
  Ledger field_acked_;  // the field device's edits the branch acknowledged
  int audits_ = 0;
};

TEST_F(BranchCrashTest, BranchKilledDuringUpstreamSyncLosesAndDoublesNothing) {
  std::mt19937_64 rng(0xB2A7C4);
  shop_ = testing::Create(*office_, "Chen Hardware");
  written_.records.insert(shop_);
  ASSERT_TRUE(SyncOnce(*office_, hq_->address()).ok());
  ASSERT_TRUE(LiveUntil(
      *field_, branch_->address, [&] { return field_->Get(shop_).ok() && *field_->Get(shop_); },
      absl::FromChrono(kWait)))
      << "the shop never reached the field device through the branch";

  int pulls_cut_partway = 0;  // pull kills after some batches were applied, before all
  for (int round = 0; round < kRounds; ++round) {
    const Moment moment = kMomentOrder[round % 3];
    const std::string when = absl::StrCat("round ", round, " (", MomentName(moment), ")");
    std::vector<std::string> batch;
    switch (moment) {
      case Moment::kBeforeHeadOfficeCommits: {
        ASSERT_NO_FATAL_FAILURE(OfficeEdit(round, 0, nullptr));
        const int seen = watch_->commits();
        link_->Blackhole(true);
        ASSERT_NO_FATAL_FAILURE(FieldEditAcknowledged(round));
        branch_->process.Kill();
        EXPECT_EQ(watch_->commits(), seen) << when << ": head office committed through a dead link";
        // The link drops what it held, as a network loses packets in flight.
        link_->CutAll(fault::CutKind::kReset);
        link_->Blackhole(false);
        break;
      }
      case Moment::kAsHeadOfficeCommits: {
        ASSERT_NO_FATAL_FAILURE(OfficeEdit(round, 0, nullptr));
        const int seen = watch_->commits();
        ASSERT_NO_FATAL_FAILURE(FieldEditAcknowledged(round));
        const bool committed = watch_->WaitPast(seen, absl::FromChrono(kWait));
        branch_->process.Kill();
        EXPECT_TRUE(committed) << when << ": the branch never pushed upstream";
        break;
      }
      case Moment::kDuringBranchPull: {
        ASSERT_NO_FATAL_FAILURE(FieldEditAcknowledged(round));
        link_->SetFaults(FaultPlan{.bytes_per_second = kPullBytesPerSecond});
        const uint64_t before = link_->stats().bytes_to_clients;
        const uint64_t into = 600 + rng() % 1400;  // bytes of the Pull stream before the kill
        ASSERT_NO_FATAL_FAILURE(OfficeEdit(round, kOfficeBatch, &batch));
        const bool reached = link_->WaitFor(
            [&](const ProxyStats& s) { return s.bytes_to_clients >= before + into; }, kWait);
        branch_->process.Kill();
        link_->SetFaults(FaultPlan{});
        EXPECT_TRUE(reached) << when << ": the Pull stream never reached the branch";
        break;
      }
    }
    // The store as the kill left it: consistent; for a pull kill, not holding the whole batch.
    const std::string branch_dir = tmp_.Sub("branch");
    const absl::Status consistent = fault::CheckStoreDirConsistency(branch_dir);
    ASSERT_TRUE(consistent.ok()) << when << ": " << consistent;
    if (!batch.empty()) {
      auto store = fault::OpenServerStore(branch_dir);
      ASSERT_TRUE(store.ok()) << store.status();
      int held = 0;
      for (const std::string& id : batch) {
        auto record = (*store)->Get(*crdt::RecordId::Parse(id));
        held += record.ok() && record->has_value() ? 1 : 0;
      }
      EXPECT_LT(held, kOfficeBatch) << when << ": the pull had finished before the kill";
      if (held > 0 && held < kOfficeBatch) ++pulls_cut_partway;
    }
    ASSERT_NO_FATAL_FAILURE(StartBranch());
    ASSERT_NO_FATAL_FAILURE(CheckBranchHolds(when));
  }
  RecordProperty("pulls_cut_partway", pulls_cut_partway);
  EXPECT_GE(pulls_cut_partway, 1) << "no pull kill landed between two applied Pull batches";

  // Healed: head office gets every edit from the branch, exactly once, and the branch every
  // edit from head office (the field device sees them through it).
  link_->Heal();
  EXPECT_TRUE(LiveUntil(
      *office_, hq_->address(),
      [&] { return Holdings(*office_, shop_, written_.records).points == written_.points; },
      absl::FromChrono(kWait)))
      << "head office never got every increment";
  EXPECT_TRUE(LiveUntil(
      *field_, branch_->address,
      [&] {
        const Ledger held = Holdings(*field_, shop_, written_.records);
        return held.points == written_.points && held.records == written_.records;
      },
      absl::FromChrono(kWait)))
      << "the branch never got every edit from head office";
  ASSERT_TRUE(SyncOnce(*office_, hq_->address()).ok());
  ASSERT_TRUE(SyncOnce(*field_, branch_->address).ok());

  for (const Replica* device : {field_.get(), office_.get()}) {
    const std::string who = device == field_.get() ? "field device" : "office device";
    const Ledger held = Holdings(*device, shop_, written_.records);
    EXPECT_EQ(held.points, written_.points) << who;
    EXPECT_EQ(Missing(written_.tags, held.tags), "") << who << ": tags missing";
    EXPECT_EQ(Missing(written_.visits, held.visits), "") << who << ": visits missing";
    EXPECT_EQ(held.records.size(), written_.records.size()) << who << ": customers missing";
  }
  const std::vector<std::string> archive = testing::Archive(hq_->store());
  EXPECT_EQ(archive.size(), written_.records.size());
  EXPECT_TRUE(testing::Archive(ReplicaInternal::Store(*field_)) == archive)
      << "the field device's archive differs from head office's";
  EXPECT_TRUE(testing::Archive(ReplicaInternal::Store(*office_)) == archive)
      << "the office device's archive differs from head office's";
  const int status = branch_->process.Kill();
  EXPECT_TRUE(WIFSIGNALED(status)) << "the branch exited by itself: " << status;
  auto branch_store = fault::OpenServerStore(tmp_.Sub("branch"));
  ASSERT_TRUE(branch_store.ok()) << branch_store.status();
  EXPECT_TRUE(testing::Archive(**branch_store) == archive)
      << "the branch's archive differs from head office's";
  const absl::Status consistent =
      fault::CheckStoreConsistency(**branch_store, schema::Schema::DefaultCustomer().Indexer());
  EXPECT_TRUE(consistent.ok()) << consistent;
}

}  // namespace
}  // namespace rapport
