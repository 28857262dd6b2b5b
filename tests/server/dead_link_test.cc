// A dead link is noticed quickly: with the server's traffic blackholed by a proxy (connections
// stay open, nothing flows), a live client reports the failure within 15 s through HTTP/2
// keepalive, not after TCP's minutes; when the link heals it goes live again.
#include <chrono>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapport/sync.h"
#include "tests/fault/fault_proxy.h"
#include "tests/server/sync_test_util.h"

namespace rapport {
namespace {

// Records when a ContinuousSync leaves the live state after having reached it.
class LinkWatch {
 public:
  std::function<void(SyncState, const std::string&)> Callback() {
    return [this](SyncState s, const std::string& message) {
      absl::MutexLock lock(&mu_);
      if (s == SyncState::kLive) ++lives_;
      if (lives_ > 0 && (s == SyncState::kError || s == SyncState::kBackingOff) && !failed_) {
        failed_ = absl::Now();
        message_ = message;
      }
    };
  }
  bool WaitLive(int count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lives_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }
  std::optional<absl::Time> WaitFailure(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto failed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return failed_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&failed), timeout);
    return failed_;
  }
  std::string message() {
    absl::MutexLock lock(&mu_);
    return message_;
  }

 private:
  absl::Mutex mu_;
  int lives_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Time> failed_ ABSL_GUARDED_BY(mu_);
  std::string message_ ABSL_GUARDED_BY(mu_);
};

class DeadLinkTest : public testing::SyncTest {};

TEST_F(DeadLinkTest, BlackholedLinkIsReportedWithinFifteenSecondsAndRecovers) {
  auto proxy = fault::FaultProxy::Start(address_);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  int64_t now = testing::kMonday9am;
  auto device = testing::OpenAt(tmp_.Sub("device"), &now);
  ASSERT_TRUE(device);
  LinkWatch watch;
  ContinuousSyncOptions options;  // default keepalive: ping after 5 s, give up 5 s later
  options.sync.on_status = watch.Callback();
  options.initial_backoff_ms = 100;
  options.max_backoff_ms = 500;
  auto live = ContinuousSync::Start(*device, (*proxy)->address(), options);
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(watch.WaitLive(1, absl::Seconds(10)));

  const absl::Time cut = absl::Now();
  (*proxy)->Blackhole(true);
  const std::optional<absl::Time> noticed = watch.WaitFailure(absl::Seconds(30));
  ASSERT_TRUE(noticed.has_value()) << "the dead link was not reported within 30 s";
  EXPECT_LT(*noticed - cut, absl::Seconds(15)) << watch.message();

  (*proxy)->Heal();
  EXPECT_TRUE(watch.WaitLive(2, absl::Seconds(15)));
  (*live)->Stop();
}

}  // namespace
}  // namespace rapport
