#include "core/crdt/value_register.h"

#include "gtest/gtest.h"
#include "tests/core/crdt/replica_fixture.h"

namespace rapport::crdt {
namespace {

using testing::Reg;
using testing::TestReplica;
using testing::Text;

constexpr FieldId kPhone = 3;

TEST(MvRegister, ReusedDotWithAnotherValueStillJoinsCommutatively) {
  // Found by fuzz/record_join (corpus same_dot_different_value): a dot that names two values
  // only comes from a buggy or hostile replica, but arrival order must not decide the outcome.
  const Dot dot{.replica = 7, .hlc = 1000};
  ValueRegister x = ValueRegister::FromParts({{dot, Scalar(std::string("Chen Hardware"))}}, {});
  ValueRegister y = ValueRegister::FromParts({{dot, Scalar(std::string("Chen 0ardware"))}}, {});
  ValueRegister xy = x, yx = y;
  xy.Join(y);
  yx.Join(x);
  EXPECT_EQ(xy, yx);
  ASSERT_EQ(xy.siblings().size(), 1u);
  EXPECT_EQ(Text(xy.Displayed()), "Chen 0ardware");
}

TEST(MvRegister, ConcurrentWritesBothSurviveAndDisplaySameEverywhere) {
  TestReplica a(1), b(2);
  Record da = a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "555-0100").ok()); });
  Record db = b.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "555-0199").ok()); });
  a.Receive(db);
  b.Receive(da);

  ASSERT_EQ(a.Canonical(), b.Canonical());
  const ValueRegister& r = Reg(a.record(), kPhone);
  ASSERT_EQ(r.siblings().size(), 2u);
  EXPECT_TRUE(r.HasConflict());
  // Equal wall times: the replica id breaks the tie, identically on both sides.
  EXPECT_EQ(Text(r.Displayed()), "555-0199");
  EXPECT_EQ(Text(Reg(b.record(), kPhone).Displayed()), "555-0199");
}

TEST(MvRegister, WriteThatSawBothSiblingsClearsTheConflict) {
  TestReplica a(1), b(2), c(3);
  Record da = a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "555-0100").ok()); });
  Record db = b.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "555-0199").ok()); });
  c.Receive(da);
  c.Receive(db);
  ASSERT_TRUE(Reg(c.record(), kPhone).HasConflict());

  Record dc = c.Edit(2000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "555-0123").ok()); });
  a.Receive(db);
  a.Receive(dc);
  b.Receive(dc);  // b never saw a's write directly; c's write supersedes it anyway
  b.Receive(da);  // late arrival of a superseded write stays superseded

  for (const TestReplica* r : {&a, &b, &c}) {
    const ValueRegister& reg = Reg(r->record(), kPhone);
    EXPECT_FALSE(reg.HasConflict());
    EXPECT_EQ(Text(reg.Displayed()), "555-0123");
  }
  EXPECT_EQ(a.Canonical(), b.Canonical());
  EXPECT_EQ(b.Canonical(), c.Canonical());
}

TEST(MvRegister, SequentialWriteSupersedesWithoutConflict) {
  TestReplica a(1), b(2);
  b.Receive(a.Edit(1000, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "old").ok()); }));
  a.Receive(b.Edit(1001, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "new").ok()); }));
  EXPECT_FALSE(Reg(a.record(), kPhone).HasConflict());
  EXPECT_EQ(Text(Reg(a.record(), kPhone).Displayed()), "new");
}

TEST(MvRegister, GreatestDotWinsDisplayEvenWhenItsWallClockIsBehind) {
  TestReplica a(1), b(2);
  // b's wall clock is a day behind; after seeing a's write its clock still moves past it.
  Record da = a.Edit(86'400'000 + 5, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "a").ok()); });
  b.Receive(da);
  Record db = b.Edit(5, [](RecordEdit& e) { ASSERT_TRUE(e.Set(kPhone, "b").ok()); });
  a.Receive(db);
  EXPECT_FALSE(Reg(a.record(), kPhone).HasConflict());
  EXPECT_EQ(Text(Reg(a.record(), kPhone).Displayed()), "b");
}

TEST(MvRegister, JoinReportsChangeOnlyWhenStateChanges) {
  ValueRegister r;
  r.Write(Dot{1, 10}, std::string("x"));
  ValueRegister copy = r;
  EXPECT_FALSE(r.Join(copy));
  ValueRegister other;
  other.Write(Dot{2, 11}, std::string("y"));
  EXPECT_TRUE(r.Join(other));
  EXPECT_FALSE(r.Join(other));
}

}  // namespace
}  // namespace rapport::crdt
