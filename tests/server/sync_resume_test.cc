// Sessions cut in the middle (the server killed mid-pull and mid-push) resume where they
// stopped, lose nothing and double nothing; a device offline for a year syncs without a reset.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::Archive;
using testing::Encoded;
using testing::kMonday9am;
using testing::OpenAt;

constexpr int64_t kDayMs = 24 * 3600 * 1000;

// `count` customers created in batches of 1000, customer i with loyalty points i % 7 + 1.
std::vector<std::string> CreateCustomers(Replica& r, int count) {
  std::vector<std::string> ids;
  for (int start = 0; start < count; start += 1000) {
    std::vector<Mutation> batch;
    for (int i = start; i < std::min(count, start + 1000); ++i) {
      batch.push_back(Mutation::Create("customer", {{"name", absl::StrCat("Customer ", i)}}));
      batch.push_back(
          Mutation::Increment(absl::StrCat("@", i - start), "loyalty_points", i % 7 + 1));
    }
    auto applied = r.Apply(batch);
    EXPECT_TRUE(applied.ok()) << applied.status();
    if (applied.ok()) ids.insert(ids.end(), applied->created.begin(), applied->created.end());
  }
  return ids;
}

class SyncResumeTest : public testing::SyncTest {
 protected:
  void SetUp() override {
    server_options_.max_pull_batch_bytes = 64 << 10;
    SyncTest::SetUp();
  }
};

TEST_F(SyncResumeTest, FirstSyncCutHalfwayResumesWhereItStopped) {
  constexpr int kCustomers = 20000;
  int64_t now = kMonday9am;
  auto seed = OpenAt(tmp_.Sub("seed"), &now);
  ASSERT_TRUE(seed);
  const std::vector<std::string> ids = CreateCustomers(*seed, kCustomers);
  ASSERT_EQ(ids.size(), size_t{kCustomers});
  ASSERT_EQ(Sync(*seed, {}).pushed, size_t{kCustomers});

  auto device = OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  size_t pulled_before_cut = 0;
  size_t estimated = 0;
  bool killed = false;
  SyncOptions options;
  options.on_progress = [&](const SyncProgress& p) {
    estimated = p.estimated_total;
    if (killed || p.pulled < kCustomers / 2) return;
    pulled_before_cut = p.pulled;
    killed = true;
    KillServer();  // from the session's reader thread, as a crash would
  };
  EXPECT_FALSE(SyncOnce(*device, address_, options).ok());
  ASSERT_TRUE(killed);
  EXPECT_EQ(estimated, size_t{kCustomers});  // a first sync's estimate is exact

  StartServer();
  SyncSummary resumed = Sync(*device, {});
  // Resumed after the cut, not from zero: the total stays under 1.1 x one uninterrupted sync.
  EXPECT_LT(resumed.pulled, size_t{kCustomers} - pulled_before_cut + kCustomers / 20);
  EXPECT_LT(pulled_before_cut + resumed.pulled, size_t{kCustomers} * 11 / 10);
  EXPECT_EQ(Archive(ReplicaInternal::Store(*device)), Archive(server_->store()));
  EXPECT_EQ(Archive(ReplicaInternal::Store(*device)).size(), size_t{kCustomers});
}

TEST_F(SyncResumeTest, PushCutByAServerCrashResumesAndCountsEveryPointOnce) {
  constexpr int kCustomers = 6000;
  int64_t now = kMonday9am;
  auto device = OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  const std::vector<std::string> ids = CreateCustomers(*device, kCustomers);
  // A second round of increments on every record, in a separate write (a second part).
  for (size_t i = 0; i < ids.size(); i += 1000) {
    std::vector<Mutation> more;
    for (size_t j = i; j < std::min(ids.size(), i + 1000); ++j) {
      more.push_back(Mutation::Increment(ids[j], "loyalty_points", 10));
    }
    testing::Apply(*device, more);
  }

  size_t acknowledged_at_cut = 0;
  bool killed = false;
  SyncOptions options;
  options.max_push_batch_bytes = 8 << 10;
  options.on_progress = [&](const SyncProgress& p) {
    if (killed || p.acknowledged < kCustomers / 2) return;
    acknowledged_at_cut = p.acknowledged;
    killed = true;
    KillServer();
  };
  EXPECT_FALSE(SyncOnce(*device, address_, options).ok());
  ASSERT_TRUE(killed);

  StartServer();
  options.on_progress = nullptr;
  auto resumed = SyncOnce(*device, address_, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  // Every acknowledged batch was checkpointed: only the rest is pushed again.
  EXPECT_LE(resumed->pushed, size_t{kCustomers} - acknowledged_at_cut);
  EXPECT_GT(resumed->pushed, 0u);

  // Counters are the sharp test: every record holds exactly its points, none lost or doubled.
  auto fresh = OpenAt(tmp_.Sub("fresh"), &now);
  ASSERT_TRUE(fresh);
  Sync(*fresh, {});
  for (int i = 0; i < kCustomers; ++i) {
    const RecordView v = testing::View(*fresh, ids[i]);
    ASSERT_EQ(v.counters.at("loyalty_points"), i % 7 + 1 + 10) << ids[i];
  }
  EXPECT_EQ(Archive(ReplicaInternal::Store(*fresh)), Archive(ReplicaInternal::Store(*device)));
}

TEST_F(SyncResumeTest, LargePushIsNotEchoedBack) {
  // More records than the server's per-session echo memory held before it was made of seqs.
  constexpr int kCustomers = 25000;
  int64_t now = kMonday9am;
  auto device = OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  CreateCustomers(*device, kCustomers);
  SyncSummary first = Sync(*device, {});
  EXPECT_EQ(first.pushed, size_t{kCustomers});
  EXPECT_EQ(first.pulled, 0u);
  EXPECT_EQ(Sync(*device, {}).pulled, 0u);
}

TEST_F(SyncResumeTest, PulledRecordsAreNotPushedBack) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  auto b = OpenAt(tmp_.Sub("b"), &now);
  ASSERT_TRUE(a && b);
  CreateCustomers(*a, 3000);
  Sync(*a, {});
  // B pushes its own records and pulls A's in the same session (the pulls land while B's push
  // round is still open, above its push checkpoint)...
  CreateCustomers(*b, 2000);
  SyncSummary both = Sync(*b, {});
  EXPECT_EQ(both.pushed, 2000u);
  EXPECT_EQ(both.pulled, 3000u);
  // ...and does not send A's back next time, nor does A get anything but B's records.
  EXPECT_EQ(Sync(*b, {}).pushed, 0u);
  EXPECT_EQ(Sync(*a, {}).pulled, 2000u);
}

TEST_F(SyncResumeTest, PulledRecordsChangedAgainAreNotPushedBack) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  auto b = OpenAt(tmp_.Sub("b"), &now);
  ASSERT_TRUE(a && b);
  const std::vector<std::string> as = CreateCustomers(*a, 3000);
  Sync(*a, {});
  const std::vector<std::string> bs = CreateCustomers(*b, 10);
  Sync(*b, {});  // A's records land above B's push checkpoint
  // A changes its records again; B, editing one of its own, pulls them a second time. Each of
  // A's records on B then sits above B's push checkpoint only because of pulls: it holds no
  // change of B's and must not be taken for one.
  for (size_t start = 0; start < as.size(); start += 1000) {
    std::vector<Mutation> batch;
    for (size_t i = start; i < std::min(as.size(), start + 1000); ++i) {
      batch.push_back(Mutation::Increment(as[i], "loyalty_points", 1));
    }
    testing::Apply(*a, batch);
  }
  Sync(*a, {});
  testing::Apply(*b, {Mutation::Increment(bs[0], "loyalty_points", 1)});
  const SyncSummary second = Sync(*b, {});
  EXPECT_EQ(second.pushed, 1u);
  EXPECT_EQ(second.pulled, 3000u);
  EXPECT_EQ(Sync(*b, {}).pushed, 0u);
  EXPECT_EQ(Sync(*a, {}).pulled, 1u);
}

TEST_F(SyncResumeTest, DeviceOfflineForAYearSyncsWithoutReset) {
  int64_t device_now = kMonday9am, office_now = kMonday9am + 1;
  auto device = OpenAt(tmp_.Sub("device"), &device_now);
  auto office = OpenAt(tmp_.Sub("office"), &office_now);
  ASSERT_TRUE(device && office);
  const std::string shop = testing::Create(*office, "Chen Hardware");
  Sync(*office);
  Sync(*device);

  // The device goes offline the next day with edits of its own...
  device_now += kDayMs;
  testing::Apply(*device, {Mutation::Increment(shop, "loyalty_points", 40),
                           Mutation::Set(shop, "phone", std::string("+86 138 0000 0001")),
                           Mutation::AppendEntry(shop, "interactions", Timestamp{device_now},
                                                 {{"kind", EnumValue{"visit"}},
                                                  {"summary", std::string("Offline visit")}})});
  const std::string offline_new = testing::Create(*device, "Made offline");
  // ...while head office works on for a year, deleting and creating customers.
  std::vector<std::string> created;
  for (int month = 1; month <= 12; ++month) {
    office_now = kMonday9am + month * 30 * kDayMs;
    testing::Apply(*office, {Mutation::Increment(shop, "loyalty_points", 5),
                             Mutation::Set(shop, "phone", std::string("+86 139 0000 0002"))});
    created.push_back(testing::Create(*office, absl::StrCat("Month ", month)));
    if (month == 6) testing::Apply(*office, {Mutation::Delete(created[0])});
    Sync(*office);
  }

  device_now = kMonday9am + 366 * kDayMs;
  SyncSummary back = Sync(*device);
  EXPECT_EQ(back.rejected, 0u);
  Sync(*office);
  EXPECT_EQ(Archive(ReplicaInternal::Store(*device)), Archive(ReplicaInternal::Store(*office)));
  const RecordView v = testing::View(*office, shop);
  EXPECT_EQ(v.counters.at("loyalty_points"), 40 + 12 * 5);
  EXPECT_EQ(v.timelines.at("interactions").size(), 1u);
  EXPECT_EQ(v.values.at("phone").conflicts.size(), 1u);  // concurrent, a year apart: both kept
  EXPECT_FALSE(Encoded(*office, offline_new).empty());
  EXPECT_TRUE(testing::View(*device, created[0]).deleted);
}

}  // namespace
}  // namespace rapport
