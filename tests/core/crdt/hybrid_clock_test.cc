#include "core/crdt/hybrid_clock.h"

#include "gtest/gtest.h"

namespace rapport::crdt {
namespace {

TEST(HybridClock, FollowsWallClockWhenItAdvances) {
  HybridClock clock;
  EXPECT_EQ(clock.Now(1000), MakeHlc(1000, 0));
  EXPECT_EQ(clock.Now(2000), MakeHlc(2000, 0));
}

TEST(HybridClock, NeverGoesBackwardsWhenWallClockDoes) {
  HybridClock clock;
  Hlc prev = clock.Now(1'700'000'000'000);
  // The wall clock jumps back a day, then stands still: stamps keep increasing.
  for (int i = 0; i < 1000; ++i) {
    Hlc next = clock.Now(1'700'000'000'000 - 86'400'000);
    ASSERT_GT(next, prev);
    prev = next;
  }
  EXPECT_EQ(HlcMillis(prev), 1'700'000'000'000u);
}

TEST(HybridClock, EqualWallTimesGiveIncreasingStamps) {
  HybridClock clock;
  const Hlc a = clock.Now(5);
  const Hlc b = clock.Now(5);
  EXPECT_LT(a, b);
  EXPECT_EQ(HlcMillis(a), HlcMillis(b));
}

TEST(HybridClock, ObservingRemoteStampMovesPastIt) {
  HybridClock clock;
  const Hlc remote = MakeHlc(9'000'000, 7);
  clock.Observe(remote);
  EXPECT_GT(clock.Now(1), remote);
}

TEST(HybridClock, RestartFromPersistedStampContinuesPastIt) {
  HybridClock before;
  const Hlc last = before.Now(1'000'000);
  HybridClock after(last);
  EXPECT_GT(after.Now(10), last);  // wall clock reset after reboot
}

TEST(HybridClock, CounterOverflowSpillsIntoMillisecondsNotBackwards) {
  HybridClock clock(MakeHlc(100, 0xFFFF));
  const Hlc next = clock.Now(100);
  EXPECT_EQ(next, MakeHlc(101, 0));
}

}  // namespace
}  // namespace rapport::crdt
