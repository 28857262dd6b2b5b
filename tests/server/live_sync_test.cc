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
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::Encoded;
using testing::kMonday9am;
using testing::OpenAt;

// Waits (bounded) until `replica` holds record `id` with `name`, woken by its commits.
class RecordWaiter {
 public:
  explicit RecordWaiter(Replica& replica) : replica_(replica) {
    handle_ = replica_.Observe([this](const std::vector<std::string>&) {
      absl::MutexLock lock(&mu_);
      ++commits_;
    });
  }
  ~RecordWaiter() { replica_.Unobserve(handle_); }

  bool WaitForName(const std::string& id, const std::string& name, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      int seen;
      {
        absl::MutexLock lock(&mu_);
        seen = commits_;
      }
      auto view = replica_.Get(id);
      if (view.ok() && view->has_value() && (*view)->values.count("name") &&
          ValueToText((*view)->values.at("name").displayed) == name) {
        return true;
      }
      absl::MutexLock lock(&mu_);
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ != seen; };
      if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) return false;
    }
  }

 private:
  Replica& replica_;
  int handle_ = -1;
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

// Waits (bounded) for a ContinuousSync to report `state`.
class StateWaiter {
 public:
  std::function<void(SyncState, const std::string&)> Callback() {
    return [this](SyncState s, const std::string&) {
      absl::MutexLock lock(&mu_);
      last_ = s;
      if (s == SyncState::kLive) ++lives_;
    };
  }
  bool WaitForLive(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lives_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  absl::Mutex mu_;
  SyncState last_ ABSL_GUARDED_BY(mu_) = SyncState::kIdle;
  int lives_ ABSL_GUARDED_BY(mu_) = 0;
};

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

}  // namespace
}  // namespace rapport
