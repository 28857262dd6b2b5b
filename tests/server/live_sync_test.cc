// Live mode: a change committed on one device reaches another connected device without a new
// sync call; a continuous session reconnects after the server comes back.
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapport/replica.h"
#include "rapport/sync.h"
#include "tests/server/live_waiters.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::Encoded;
using testing::kMonday9am;
using testing::OpenAt;
using testing::RecordWaiter;
using testing::StateWaiter;

class LiveSyncTest : public testing::SyncTest {};

TEST_F(LiveSyncTest, ChangeOnOneDeviceReachesAnotherWithoutASyncCall) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  auto b = OpenAt(tmp_.Sub("b"), &now);
  ASSERT_TRUE(a && b);
  StateWaiter a_state, b_state;
  ContinuousSyncOptions options;
  options.sync.on_status = a_state.Callback();
  auto live_a = ContinuousSync::Start(*a, address_, options);
  options.sync.on_status = b_state.Callback();
  auto live_b = ContinuousSync::Start(*b, address_, options);
  ASSERT_TRUE(live_a.ok() && live_b.ok());
  ASSERT_TRUE(a_state.WaitForLive(1, absl::Seconds(10)));
  ASSERT_TRUE(b_state.WaitForLive(1, absl::Seconds(10)));

  RecordWaiter on_b(*b);
  const std::string id = testing::Create(*a, "Chen Hardware");
  EXPECT_TRUE(on_b.WaitForName(id, "Chen Hardware", absl::Seconds(10)));
  // And back: an edit on B reaches A.
  RecordWaiter on_a(*a);
  testing::Apply(*b, {Mutation::Set(id, "name", std::string("Chen Hardware Ltd"))});
  EXPECT_TRUE(on_a.WaitForName(id, "Chen Hardware Ltd", absl::Seconds(10)));

  (*live_a)->Stop();
  (*live_b)->Stop();
  EXPECT_EQ(Encoded(*a, id), Encoded(*b, id));
  EXPECT_EQ(Encoded(*a, id), Encoded(server_->store(), id));
}

TEST_F(LiveSyncTest, ContinuousSyncReconnectsAfterTheServerComesBack) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  ASSERT_TRUE(a);
  StateWaiter state;
  ContinuousSyncOptions options;
  options.sync.on_status = state.Callback();
  options.initial_backoff_ms = 20;
  options.max_backoff_ms = 100;
  // The server comes back on the same port, as a restarted rapportd would.
  server_options_.listen = address_;
  auto live = ContinuousSync::Start(*a, address_, options);
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(state.WaitForLive(1, absl::Seconds(10)));

  KillServer();
  const std::string id = testing::Create(*a, "Made while the server was down");
  StartServer();
  ASSERT_TRUE(state.WaitForLive(2, absl::Seconds(20)));
  // Live again means caught up after the new session's first push round: the change made
  // during the outage is on the server, and a fresh device gets it.
  EXPECT_FALSE(Encoded(server_->store(), id).empty());
  auto fresh = OpenAt(tmp_.Sub("fresh"), &now);
  ASSERT_TRUE(fresh);
  Sync(*fresh, {});
  EXPECT_EQ(Encoded(*fresh, id), Encoded(*a, id));
  (*live)->Stop();
  EXPECT_EQ(Encoded(*a, id), Encoded(server_->store(), id));
}

TEST_F(LiveSyncTest, StateIsIdleOnceStopped) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  ASSERT_TRUE(a);
  StateWaiter state;
  ContinuousSyncOptions options;
  options.sync.on_status = state.Callback();
  auto live = ContinuousSync::Start(*a, address_, options);
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(state.WaitForLive(1, absl::Seconds(10)));
  EXPECT_EQ((*live)->state(), SyncState::kLive);
  (*live)->Stop();
  EXPECT_EQ((*live)->state(), SyncState::kIdle);
}

TEST_F(LiveSyncTest, StopFromItsOwnStatusCallbackEndsTheSyncWithoutSelfJoin) {
  int64_t now = kMonday9am;
  auto a = OpenAt(tmp_.Sub("a"), &now);
  ASSERT_TRUE(a);
  absl::Mutex mu;
  ContinuousSync* self = nullptr;  // set once Start returns
  bool stopped_from_callback = false;
  ContinuousSyncOptions options;
  options.sync.on_status = [&](SyncState s, const std::string&) {
    absl::MutexLock lock(&mu);
    if (s != SyncState::kLive || self == nullptr || stopped_from_callback) return;
    self->Stop();  // asks, returns: the thread calling us is the one Stop would wait for
    stopped_from_callback = true;
  };
  // The first session may go live before `self` is set; the loop's reconnects after the
  // server restart give the callback its chance.
  auto live = ContinuousSync::Start(*a, address_, options);
  ASSERT_TRUE(live.ok());
  {
    absl::MutexLock lock(&mu);
    self = live->get();
  }
  server_options_.listen = address_;
  KillServer();
  StartServer();
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&stopped_from_callback), absl::Seconds(20)));
  }
  (*live)->Stop();  // joins the thread that ended after the callback
  EXPECT_EQ((*live)->state(), SyncState::kIdle);
}

}  // namespace
}  // namespace rapport
