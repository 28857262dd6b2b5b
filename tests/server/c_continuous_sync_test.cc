// rapport_continuous_sync_*: the C API of continuous sync against an in-process server.
#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapport/rapport.h"
#include "rapport/rapport_sync.h"
#include "tests/server/c_continuous_sync_probe.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

using testing::kMonday9am;
using testing::OpenAt;

constexpr absl::Duration kPatience = absl::Seconds(10);

std::string Take(char* text) {
  std::string out = text == nullptr ? "" : text;
  rapport_free(text);
  return out;
}

// What one continuous sync's C callbacks reported, with bounded waits on it.
class CallbackLog {
 public:
  rapport_continuous_sync_config Config() {
    rapport_continuous_sync_config config{};
    config.on_status = &OnStatus;
    config.on_progress = &OnProgress;
    config.context = this;
    return config;
  }
  // Waits until `state` has been reported `count` times; its last message, or nullopt.
  std::optional<std::string> WaitFor(rapport_sync_state state, int count,
                                     absl::Duration timeout = kPatience) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Count(state) >= count; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) return std::nullopt;
    for (auto it = statuses_.rbegin(); it != statuses_.rend(); ++it) {
      if (it->first == state) return it->second;
    }
    return std::nullopt;
  }
  bool WaitForPulled(size_t records, absl::Duration timeout = kPatience) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pulled_ >= records; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  bool overlapped() {
    absl::MutexLock lock(&mu_);
    return overlapped_;
  }

 private:
  static void OnStatus(rapport_sync_state state, const char* message, void* context) {
    auto* log = static_cast<CallbackLog*>(context);
    log->Enter();
    absl::MutexLock lock(&log->mu_);
    log->statuses_.emplace_back(state, message);
    log->running_ = false;
  }
  static void OnProgress(const rapport_sync_progress* progress, void* context) {
    auto* log = static_cast<CallbackLog*>(context);
    log->Enter();
    absl::MutexLock lock(&log->mu_);
    log->pulled_ = std::max(log->pulled_, progress->pulled);
    log->running_ = false;
  }
  void Enter() {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (running_) overlapped_ = true;
    running_ = true;
  }
  int Count(rapport_sync_state state) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int n = 0;
    for (const auto& [s, message] : statuses_) n += s == state;
    return n;
  }

  absl::Mutex mu_;
  std::vector<std::pair<rapport_sync_state, std::string>> statuses_ ABSL_GUARDED_BY(mu_);
  size_t pulled_ ABSL_GUARDED_BY(mu_) = 0;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool overlapped_ ABSL_GUARDED_BY(mu_) = false;
};

// Waits (bounded) until a C replica shows record `id` with `name`, woken by its commits.
class CommitWaiter {
 public:
  explicit CommitWaiter(rapport_replica* replica) : replica_(replica) {
    EXPECT_EQ(rapport_observe(replica_, &OnCommit, this, &handle_), RAPPORT_OK);
  }
  ~CommitWaiter() { rapport_unobserve(replica_, handle_); }

  bool WaitForName(const std::string& id, const std::string& name) {
    const absl::Time deadline = absl::Now() + kPatience;
    for (;;) {
      int seen;
      {
        absl::MutexLock lock(&mu_);
        seen = commits_;
      }
      char* json = nullptr;
      if (rapport_get(replica_, id.c_str(), &json) == RAPPORT_OK &&
          Take(json).find("\"" + name + "\"") != std::string::npos) {
        return true;
      }
      absl::MutexLock lock(&mu_);
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return commits_ != seen; };
      if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) return false;
    }
  }

 private:
  static void OnCommit(void* self, const char*) {
    auto* waiter = static_cast<CommitWaiter*>(self);
    absl::MutexLock lock(&waiter->mu_);
    ++waiter->commits_;
  }

  rapport_replica* replica_;
  int handle_ = -1;
  absl::Mutex mu_;
  int commits_ ABSL_GUARDED_BY(mu_) = 0;
};

std::pair<rapport_sync_state, std::string> StateOf(rapport_continuous_sync* sync) {
  rapport_sync_state state = RAPPORT_SYNC_IDLE;
  char* error = nullptr;
  EXPECT_EQ(rapport_continuous_sync_state(sync, &state, &error), RAPPORT_OK);
  return {state, Take(error)};
}

// How long stop takes.
absl::Duration TimeStop(rapport_continuous_sync* sync) {
  const absl::Time start = absl::Now();
  EXPECT_EQ(rapport_continuous_sync_stop(sync), RAPPORT_OK) << rapport_last_error();
  return absl::Now() - start;
}

class CContinuousSyncTest : public testing::SyncTest {
 protected:
  rapport_replica* OpenC(const std::string& name) {
    rapport_replica* replica = nullptr;
    EXPECT_EQ(rapport_open(tmp_.Sub(name).c_str(), nullptr, &replica), RAPPORT_OK)
        << rapport_last_error();
    return replica;
  }
  // Starts a continuous sync of `replica` with the test server; nullptr if that failed.
  rapport_continuous_sync* StartC(rapport_replica* replica,
                                  const rapport_continuous_sync_config& config) {
    rapport_continuous_sync* sync = nullptr;
    EXPECT_EQ(rapport_continuous_sync_start(replica, address_.c_str(), &config, &sync), RAPPORT_OK)
        << rapport_last_error();
    return sync;
  }
  // A config whose only callback is `on_status`, called with `context`.
  static rapport_continuous_sync_config StatusOnly(rapport_sync_status_fn on_status,
                                                   void* context) {
    rapport_continuous_sync_config config{};
    config.on_status = on_status;
    config.context = context;
    return config;
  }
};

TEST_F(CContinuousSyncTest, ChangeOnAnotherReplicaArrivesWithoutANewCall) {
  rapport_replica* a = OpenC("a");
  int64_t now = kMonday9am;
  auto b = OpenAt(tmp_.Sub("b"), &now);
  ASSERT_TRUE(a != nullptr && b != nullptr);
  CallbackLog log;
  const rapport_continuous_sync_config config = log.Config();
  rapport_continuous_sync* sync = StartC(a, config);
  ASSERT_NE(sync, nullptr);
  ASSERT_TRUE(log.WaitFor(RAPPORT_SYNC_LIVE, 1));
  EXPECT_EQ(StateOf(sync), std::make_pair(RAPPORT_SYNC_LIVE, std::string()));

  {
    CommitWaiter on_a(a);
    const std::string id = testing::Create(*b, "Chen Hardware");
    Sync(*b);
    EXPECT_TRUE(on_a.WaitForName(id, "Chen Hardware"));
    EXPECT_TRUE(log.WaitForPulled(1));
  }

  EXPECT_LT(TimeStop(sync), absl::Seconds(1));
  EXPECT_FALSE(log.overlapped());
  rapport_continuous_sync_free(sync);
  rapport_close(a);
}

TEST_F(CContinuousSyncTest, ReportsAnErrorWhenTheServerGoesAwayAndLiveWhenItReturns) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  CallbackLog log;
  rapport_continuous_sync_config config = log.Config();
  config.initial_backoff_ms = 20;
  config.max_backoff_ms = 100;
  server_options_.listen = address_;  // comes back on the same port, as a restarted rapportd
  rapport_continuous_sync* sync = StartC(a, config);
  ASSERT_NE(sync, nullptr);
  ASSERT_TRUE(log.WaitFor(RAPPORT_SYNC_LIVE, 1));

  KillServer();
  const std::optional<std::string> error = log.WaitFor(RAPPORT_SYNC_ERROR, 1);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(*error, "");
  const std::optional<std::string> backing_off = log.WaitFor(RAPPORT_SYNC_BACKING_OFF, 1);
  ASSERT_TRUE(backing_off.has_value());
  EXPECT_NE(backing_off->find("retrying in"), std::string::npos) << *backing_off;
  const auto [state, last_error] = StateOf(sync);
  EXPECT_NE(state, RAPPORT_SYNC_LIVE);
  EXPECT_NE(state, RAPPORT_SYNC_IDLE);
  EXPECT_NE(last_error, "");

  StartServer();
  ASSERT_TRUE(log.WaitFor(RAPPORT_SYNC_LIVE, 2, absl::Seconds(20)));
  EXPECT_EQ(StateOf(sync), std::make_pair(RAPPORT_SYNC_LIVE, std::string()));

  // Stopping while it waits to reconnect is as prompt as stopping a live session.
  KillServer();
  ASSERT_TRUE(log.WaitFor(RAPPORT_SYNC_BACKING_OFF, 2));
  EXPECT_LT(TimeStop(sync), absl::Seconds(1));
  EXPECT_FALSE(log.overlapped());
  rapport_continuous_sync_free(sync);
  rapport_close(a);
}

// A status callback that holds the first "live" until released.
struct HeldCallback {
  absl::Mutex mu;
  bool held ABSL_GUARDED_BY(mu) = false;
  bool release ABSL_GUARDED_BY(mu) = false;
  bool running ABSL_GUARDED_BY(mu) = false;
  int calls ABSL_GUARDED_BY(mu) = 0;

  static void OnStatus(rapport_sync_state state, const char*, void* context) {
    auto* self = static_cast<HeldCallback*>(context);
    absl::MutexLock lock(&self->mu);
    ++self->calls;
    if (state != RAPPORT_SYNC_LIVE || self->held) return;
    self->held = self->running = true;
    self->mu.Await(absl::Condition(&self->release));
    self->running = false;
  }
};

TEST_F(CContinuousSyncTest, StopWaitsForACallbackInProgressAndNoneRunsAfter) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  HeldCallback callback;
  const rapport_continuous_sync_config config = StatusOnly(&HeldCallback::OnStatus, &callback);
  rapport_continuous_sync* sync = StartC(a, config);
  ASSERT_NE(sync, nullptr);
  {
    absl::MutexLock lock(&callback.mu);
    ASSERT_TRUE(callback.mu.AwaitWithTimeout(absl::Condition(&callback.held), kPatience));
  }

  absl::Mutex mu;
  bool returned = false;
  bool running_at_return = true;
  int calls_at_return = 0;
  rapport_status stopped = RAPPORT_UNKNOWN;
  std::thread stopper([&] {
    const rapport_status status = rapport_continuous_sync_stop(sync);
    int calls;
    bool running;
    {
      absl::MutexLock lock(&callback.mu);
      calls = callback.calls;
      running = callback.running;
    }
    absl::MutexLock lock(&mu);
    stopped = status;
    running_at_return = running;
    calls_at_return = calls;
    returned = true;
  });
  {
    // A stop that did not wait for the held callback would return within this.
    absl::MutexLock lock(&mu);
    EXPECT_FALSE(mu.AwaitWithTimeout(absl::Condition(&returned), absl::Milliseconds(300)));
  }
  {
    absl::MutexLock lock(&callback.mu);
    callback.release = true;
  }
  stopper.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(stopped, RAPPORT_OK);
  EXPECT_FALSE(running_at_return);
  // The session went on after the held callback (it reported nothing more: none runs after stop).
  rapport_continuous_sync_free(sync);
  rapport_close(a);
  absl::MutexLock callback_lock(&callback.mu);
  EXPECT_EQ(callback.calls, calls_at_return);
}

// A status callback that tries to stop, free and close from inside the first "live".
struct ReentrantCallback {
  absl::Mutex mu;
  rapport_replica* replica ABSL_GUARDED_BY(mu) = nullptr;
  rapport_continuous_sync* sync ABSL_GUARDED_BY(mu) = nullptr;
  bool done ABSL_GUARDED_BY(mu) = false;
  rapport_status stop_status ABSL_GUARDED_BY(mu) = RAPPORT_OK;
  std::string stop_error ABSL_GUARDED_BY(mu);
  std::string free_error ABSL_GUARDED_BY(mu);
  std::string close_error ABSL_GUARDED_BY(mu);

  static void OnStatus(rapport_sync_state state, const char*, void* context) {
    auto* self = static_cast<ReentrantCallback*>(context);
    absl::MutexLock lock(&self->mu);
    if (state != RAPPORT_SYNC_LIVE || self->done) return;
    auto ready = [self]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu) { return self->sync != nullptr; };
    if (!self->mu.AwaitWithTimeout(absl::Condition(&ready), kPatience)) return;
    self->stop_status = rapport_continuous_sync_stop(self->sync);
    self->stop_error = rapport_last_error();
    rapport_continuous_sync_free(self->sync);
    self->free_error = rapport_last_error();
    rapport_close(self->replica);
    self->close_error = rapport_last_error();
    self->done = true;
  }
};

TEST_F(CContinuousSyncTest, StopFreeAndCloseFromACallbackAreRefused) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  ReentrantCallback callback;
  const rapport_continuous_sync_config config = StatusOnly(&ReentrantCallback::OnStatus, &callback);
  rapport_continuous_sync* sync = StartC(a, config);
  ASSERT_NE(sync, nullptr);
  {
    absl::MutexLock lock(&callback.mu);
    callback.replica = a;
    callback.sync = sync;
    ASSERT_TRUE(callback.mu.AwaitWithTimeout(absl::Condition(&callback.done), kPatience));
    EXPECT_EQ(callback.stop_status, RAPPORT_FAILED_PRECONDITION);
    EXPECT_NE(callback.stop_error.find("rapport_continuous_sync_stop was called from a sync "
                                       "callback"),
              std::string::npos)
        << callback.stop_error;
    EXPECT_NE(callback.free_error.find("rapport_continuous_sync_free"), std::string::npos)
        << callback.free_error;
    EXPECT_NE(callback.close_error.find("rapport_close"), std::string::npos)
        << callback.close_error;
  }
  // All three were refused: the handle and the replica are still usable.
  char* replica_id = nullptr;
  EXPECT_EQ(rapport_replica_id(a, &replica_id), RAPPORT_OK);
  EXPECT_EQ(Take(replica_id).size(), 16u);
  EXPECT_EQ(StateOf(sync).first, RAPPORT_SYNC_LIVE);
  EXPECT_LT(TimeStop(sync), absl::Seconds(1));
  rapport_continuous_sync_free(sync);
  rapport_close(a);
}

TEST_F(CContinuousSyncTest, ClosingTheReplicaFirstStopsItsContinuousSync) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  CallbackLog log;
  const rapport_continuous_sync_config config = log.Config();
  rapport_continuous_sync* sync = StartC(a, config);
  ASSERT_NE(sync, nullptr);
  ASSERT_TRUE(log.WaitFor(RAPPORT_SYNC_LIVE, 1));

  rapport_close(a);
  EXPECT_STREQ(rapport_last_error(), "");
  const int calls_at_close = log.calls();
  // The handle outlives the replica, stopped: it reads idle, stops and frees as usual.
  EXPECT_EQ(StateOf(sync), std::make_pair(RAPPORT_SYNC_IDLE, std::string()));
  EXPECT_EQ(rapport_continuous_sync_stop(sync), RAPPORT_OK);
  rapport_continuous_sync_free(sync);
  EXPECT_EQ(log.calls(), calls_at_close);
  // The store was closed, not leaked: it opens again.
  rapport_replica* again = OpenC("a");
  ASSERT_NE(again, nullptr);
  rapport_close(again);
}

TEST_F(CContinuousSyncTest, BadArgumentsAreRefusedWithAMessage) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  rapport_continuous_sync* sync = nullptr;
  EXPECT_EQ(rapport_continuous_sync_start(nullptr, address_.c_str(), nullptr, &sync),
            RAPPORT_INVALID_ARGUMENT);
  EXPECT_STREQ(rapport_last_error(), "replica must not be NULL");
  EXPECT_EQ(rapport_continuous_sync_start(a, nullptr, nullptr, &sync), RAPPORT_INVALID_ARGUMENT);
  EXPECT_STREQ(rapport_last_error(), "address must not be NULL");
  EXPECT_EQ(rapport_continuous_sync_start(a, address_.c_str(), nullptr, nullptr),
            RAPPORT_INVALID_ARGUMENT);
  rapport_continuous_sync_config config{};
  config.initial_backoff_ms = 5000;
  config.max_backoff_ms = 100;
  EXPECT_EQ(rapport_continuous_sync_start(a, address_.c_str(), &config, &sync),
            RAPPORT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(rapport_last_error()).find("initial_backoff_ms"), std::string::npos)
      << rapport_last_error();
  EXPECT_EQ(sync, nullptr);

  rapport_sync_state state;
  EXPECT_EQ(rapport_continuous_sync_state(nullptr, &state, nullptr), RAPPORT_INVALID_ARGUMENT);
  EXPECT_EQ(rapport_continuous_sync_stop(nullptr), RAPPORT_INVALID_ARGUMENT);
  rapport_continuous_sync_free(nullptr);
  EXPECT_STREQ(rapport_sync_state_name(RAPPORT_SYNC_BACKING_OFF), "backing off");
  EXPECT_STREQ(rapport_sync_state_name(static_cast<rapport_sync_state>(99)), "unknown");
  rapport_close(a);
}

TEST_F(CContinuousSyncTest, UsableFromCodeCompiledAsC) {
  rapport_replica* a = OpenC("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(rapport_probe_continuous_sync_from_c(a, address_.c_str()), 0);
  rapport_close(a);
}

}  // namespace
}  // namespace rapport
