// Each report against a small fixture whose expected output was worked out by hand (the
// arithmetic is in the comments).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/cli/report_due.h"
#include "tools/cli/report_funnel.h"
#include "tools/cli/report_loyalty.h"
#include "tools/cli/report_satisfaction.h"
#include "tools/cli/report_tiers.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

Date D(const char* text) { return ParseDate(text).value(); }
Timestamp At(const char* text) { return ParseTimestamp(text).value(); }

RecordView Customer(const std::string& id) {
  RecordView r;
  r.id = id;
  r.type = "customer";
  r.values["name"].displayed = "Customer " + id;
  return r;
}

EntryView Entry(const char* at, const std::string& kind, bool retracted = false) {
  EntryView e;
  e.occurred_at = At(at);
  e.retracted = retracted;
  e.fields["kind"].displayed = EnumValue{kind};
  return e;
}

EntryView Survey(const char* at, double expected, double perceived, const std::string& level) {
  EntryView e = Entry(at, "survey");
  if (expected >= 0) e.fields["expected_score"].displayed = expected;
  if (perceived >= 0) e.fields["perceived_score"].displayed = perceived;
  if (!level.empty()) e.fields["satisfaction_level"].displayed = EnumValue{level};
  return e;
}

TEST(ReportTiers, ParetoCutsAtEightyAndNinetyFivePercent) {
  // Values 500, 300, 100, 50, 50, 0 of total 1000. Share before each: 0, .5 -> A (A holds 800 =
  // 80%); .8, .9 -> B (150 = 15%); .95 -> C, and the customer with no value is C (50 = 5%).
  std::vector<RecordView> records;
  const int64_t values[] = {100, 50, 500, 0, 300, 50};
  for (int i = 0; i < 6; ++i) {
    RecordView r = Customer(std::string(1, static_cast<char>('a' + i)));
    r.counters["lifetime_value_cents"] = values[i];
    records.push_back(r);
  }
  const TierReport report = ComputeTiers(records, TierOptions{});
  EXPECT_EQ(report.total_value, 1000);
  ASSERT_EQ(report.tiers.size(), 3u);
  EXPECT_EQ(report.tiers[0].tier, "A");
  EXPECT_EQ(report.tiers[0].customers, 2u);
  EXPECT_EQ(report.tiers[0].value, 800);
  EXPECT_DOUBLE_EQ(report.tiers[0].value_share, 0.8);
  EXPECT_DOUBLE_EQ(report.tiers[0].customer_share, 2.0 / 6);
  EXPECT_EQ(report.tiers[1].customers, 2u);
  EXPECT_EQ(report.tiers[1].value, 150);
  EXPECT_EQ(report.tiers[2].customers, 2u);
  EXPECT_EQ(report.tiers[2].value, 50);
  ASSERT_EQ(report.assignment.size(), 6u);
  EXPECT_EQ(report.assignment[0].id, "c");  // 500
  EXPECT_EQ(report.assignment[0].tier, "A");
  EXPECT_EQ(report.assignment[2].id, "a");  // 100: crosses 90% from 80%: B
  EXPECT_EQ(report.assignment[2].tier, "B");
  EXPECT_EQ(report.assignment[3].id, "b");  // 50 (tie broken by id): B
  EXPECT_EQ(report.assignment[4].id, "f");  // 50 after 95%: C
  EXPECT_EQ(report.assignment[4].tier, "C");

  // One cut at 50%: the 500 customer alone reaches it; A = {500}, B = the rest.
  const TierReport halves = ComputeTiers(records, TierOptions{{0.5}, "lifetime_value_cents"});
  ASSERT_EQ(halves.tiers.size(), 2u);
  EXPECT_EQ(halves.tiers[0].customers, 1u);
  EXPECT_EQ(halves.tiers[1].customers, 5u);
}

// A lifecycle_history entry; "" for an absent stage.
EntryView Change(const char* at, const std::string& from, const std::string& to,
                 bool retracted = false) {
  EntryView e;
  e.occurred_at = At(at);
  e.retracted = retracted;
  if (!from.empty()) e.fields["from"].displayed = EnumValue{from};
  if (!to.empty()) e.fields["to"].displayed = EnumValue{to};
  return e;
}

RecordView Staged(const std::string& id, const std::string& stage, std::vector<EntryView> history) {
  RecordView r = Customer(id);
  if (!stage.empty()) r.values["lifecycle_stage"].displayed = EnumValue{stage};
  if (!history.empty()) r.timelines["lifecycle_history"] = std::move(history);
  return r;
}

TEST(ReportFunnel, TransitionsAreTheStageHistoryEntriesOfThePeriod) {
  // Period February 2026.
  const std::vector<RecordView> records = {
      Staged("c1", "current",
             {Change("2026-01-10T09:00:00Z", "", "potential"),  // before the period
              Change("2026-02-10T09:00:00Z", "potential", "current")}),
      // Two phones made the same change concurrently: two entries, one customer. The later
      // win-back was retracted.
      Staged("c2", "lost",
             {Change("2026-02-05T09:00:00Z", "current", "lost"),
              Change("2026-02-05T09:00:00Z", "current", "lost"),
              Change("2026-02-20T09:00:00Z", "lost", "current", /*retracted=*/true)}),
      Staged("c3", "current",
             {Change("2026-02-01T00:00:00Z", "", "current"),        // first instant of the period
              Change("2026-03-01T00:00:00Z", "current", "lost")}),  // after it
      Staged("c4", "potential", {}),  // a record from before the history: no transitions
      Staged("c5", "", {Change("2026-02-28T23:59:59Z", "target", "")}),  // stage cleared
      Staged("c6", "current", {Change("2026-02-14T09:00:00Z", "potential", "current")}),
  };
  // The interactions-based guess counted this one as a first purchase and a win-back: a visit,
  // then its first order 100 days later. No history: it makes no transition.
  RecordView c7 = Customer("c7");
  c7.timelines["interactions"] = {Entry("2025-11-01T09:00:00Z", "visit"),
                                  Entry("2026-02-09T09:00:00Z", "order")};
  std::vector<RecordView> all = records;
  all.push_back(c7);

  FunnelOptions options;
  options.from = D("2026-02-01");
  options.to = D("2026-02-28");
  options.history_field = "lifecycle_history";
  const std::vector<std::string> stages = {"non_customer", "potential", "target", "current",
                                           "lost"};
  const FunnelReport report = ComputeFunnel(all, stages, options);
  const std::vector<std::pair<std::string, size_t>> expected_stages = {
      {"non_customer", 0}, {"potential", 1}, {"target", 0},
      {"current", 3},      {"lost", 1},      {"(none)", 2}};
  EXPECT_EQ(report.stages, expected_stages);
  EXPECT_EQ(report.records_with_history, 5u);  // c1, c2, c3, c5, c6

  auto text = [](const FunnelTransition& t) {
    return t.from + ">" + t.to + " " + std::to_string(t.changes) + "/" +
           std::to_string(t.customers);
  };
  std::vector<std::string> transitions;
  for (const FunnelTransition& t : report.transitions) transitions.push_back(text(t));
  // Ordered by from, then to, in the stages' order; (none) first as a from, last as a to.
  EXPECT_EQ(transitions, (std::vector<std::string>{"(none)>current 1/1", "potential>current 2/2",
                                                   "target>(none) 1/1", "current>lost 2/1"}));

  // A schema without a history of the stage: stages only.
  options.history_field.clear();
  EXPECT_TRUE(ComputeFunnel(all, stages, options).transitions.empty());
}

TEST(ReportSatisfaction, IndexPerBranchAndSevenLevels) {
  RecordView sh = Customer("sh");  // c = 88/80 = 1.1 and 90/100 = 0.9: mean 1.0, satisfied
  sh.values["branch"].displayed = std::string("sh");
  sh.timelines["interactions"] = {Survey("2026-01-05T10:00:00Z", 80, 88, "satisfied"),
                                  Survey("2026-01-06T10:00:00Z", 100, 90, "fairly_satisfied")};
  RecordView bj = Customer("bj");  // c = 30/60 = 0.5: dissatisfied; one survey without scores
  bj.values["branch"].displayed = std::string("bj");
  EntryView retracted = Survey("2026-01-07T10:00:00Z", 10, 100, "very_satisfied");
  retracted.retracted = true;
  bj.timelines["interactions"] = {Survey("2026-01-05T10:00:00Z", 60, 30, "very_dissatisfied"),
                                  Entry("2026-01-06T10:00:00Z", "visit"), retracted,
                                  Survey("2026-01-08T10:00:00Z", -1, -1, "neutral")};
  RecordView none = Customer("x");  // c = 60/50 = 1.2: delighted
  none.timelines["interactions"] = {Survey("2026-01-05T10:00:00Z", 50, 60, "very_satisfied")};

  const SatisfactionReport report = ComputeSatisfaction({sh, bj, none}, SatisfactionOptions{});
  ASSERT_EQ(report.groups.size(), 3u);
  EXPECT_EQ(report.groups[0].group, "bj");
  EXPECT_EQ(report.groups[0].surveys, 2u);
  EXPECT_EQ(report.groups[0].scored, 1u);
  EXPECT_DOUBLE_EQ(report.groups[0].index, 0.5);
  EXPECT_EQ(report.groups[0].verdict, "dissatisfied");
  EXPECT_EQ(report.groups[0].levels, (std::array<size_t, 7>{0, 0, 0, 1, 0, 0, 1}));
  EXPECT_EQ(report.groups[1].group, "sh");
  EXPECT_DOUBLE_EQ(report.groups[1].index, 1.0);
  EXPECT_EQ(report.groups[1].verdict, "satisfied");
  EXPECT_EQ(report.groups[1].levels, (std::array<size_t, 7>{0, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(report.groups[2].group, "(none)");
  EXPECT_DOUBLE_EQ(report.groups[2].index, 1.2);
  EXPECT_EQ(report.groups[2].verdict, "delighted");
  // All: (1.1 + 0.9 + 0.5 + 1.2) / 4 = 0.925: dissatisfied.
  EXPECT_EQ(report.total.surveys, 5u);
  EXPECT_EQ(report.total.scored, 4u);
  EXPECT_NEAR(report.total.index, 0.925, 1e-12);
  EXPECT_EQ(report.total.verdict, "dissatisfied");
  EXPECT_EQ(report.total.levels, (std::array<size_t, 7>{1, 1, 1, 1, 0, 0, 1}));

  // A period that leaves out 01-05 keeps only sh's second survey and bj's unscored one.
  SatisfactionOptions later;
  later.from = D("2026-01-06");
  EXPECT_EQ(ComputeSatisfaction({sh, bj, none}, later).total.surveys, 2u);
}

TEST(ReportDue, BirthdaysAnniversariesFollowUpsAndInactive) {
  // Today 2026-02-26 (2026 is not a leap year), 7 days counting today: up to 2026-03-04.
  RecordView d1 = Customer("d1");
  d1.values["birthday"].displayed = D("1990-03-01");        // in 3 days
  d1.values["founding_date"].displayed = D("2000-02-28");   // 26th anniversary in 2 days
  d1.values["next_follow_up"].displayed = D("2026-02-20");  // 6 days overdue
  d1.values["lifecycle_stage"].displayed = EnumValue{"current"};
  d1.timelines["interactions"] = {Entry("2025-10-01T08:00:00Z", "visit")};  // 148 days ago
  RecordView d2 = Customer("d2");
  d2.values["birthday"].displayed = D("1992-02-29");                // falls on 02-28: in 2 days
  d2.values["first_transaction_date"].displayed = D("2025-03-04");  // 1 year, in 6 days
  d2.values["next_follow_up"].displayed = D("2026-03-10");          // beyond the window
  d2.values["last_interaction_at"].displayed = At("2026-02-01T12:00:00Z");  // 25 days ago
  RecordView d3 = Customer("d3");
  d3.values["birthday"].displayed = D("1980-02-25");  // yesterday: next year
  d3.values["lifecycle_stage"].displayed = EnumValue{"lost"};
  d3.timelines["interactions"] = {Entry("2024-01-01T08:00:00Z", "visit")};  // lost: not listed
  d3.maps["contacts"]["c1"]["name"].displayed = std::string("Zhou");
  d3.maps["contacts"]["c1"]["birthday"].displayed = D("1975-03-04");  // in 6 days, the last
  RecordView d4 = Customer("d4");
  d4.values["founding_date"].displayed = D("2026-02-27");  // 0 years: not an anniversary

  const DueReport report = ComputeDue({d1, d2, d3, d4}, DueOptions{D("2026-02-26"), 7, 90});
  ASSERT_EQ(report.birthdays.size(), 3u);
  EXPECT_EQ(report.birthdays[0].id, "d2");
  EXPECT_EQ(report.birthdays[0].date, D("2026-02-28"));
  EXPECT_EQ(report.birthdays[0].in_days, 2);
  EXPECT_EQ(report.birthdays[1].id, "d1");
  EXPECT_EQ(report.birthdays[1].in_days, 3);
  EXPECT_EQ(report.birthdays[2].id, "d3");
  EXPECT_EQ(report.birthdays[2].what, "contact birthday");
  EXPECT_EQ(report.birthdays[2].detail, "Zhou");
  EXPECT_EQ(report.birthdays[2].in_days, 6);
  ASSERT_EQ(report.anniversaries.size(), 2u);
  EXPECT_EQ(report.anniversaries[0].id, "d1");
  EXPECT_EQ(report.anniversaries[0].detail, "26 years");
  EXPECT_EQ(report.anniversaries[1].id, "d2");
  EXPECT_EQ(report.anniversaries[1].detail, "1 years");
  EXPECT_EQ(report.anniversaries[1].in_days, 6);
  ASSERT_EQ(report.follow_ups.size(), 1u);
  EXPECT_EQ(report.follow_ups[0].id, "d1");
  EXPECT_EQ(report.follow_ups[0].in_days, -6);
  EXPECT_EQ(report.follow_ups[0].detail, "overdue");
  ASSERT_EQ(report.inactive.size(), 1u);
  EXPECT_EQ(report.inactive[0].id, "d1");
  EXPECT_EQ(report.inactive[0].detail, "148 days");
  EXPECT_EQ(report.never_contacted, 1u);  // d4
}

TEST(ReportDue, DaysNCoversTodayAndTheNextNMinusOneDays) {
  // --days 3 from 2026-02-26: the 26th, 27th and 28th; 1 March is the fourth day, outside.
  std::vector<RecordView> records;
  for (const char* day : {"1990-02-26", "1990-02-28", "1990-03-01"}) {
    RecordView r = Customer(day);
    r.values["birthday"].displayed = D(day);
    records.push_back(r);
  }
  for (const char* day : {"2026-02-28", "2026-03-01"}) {
    RecordView r = Customer(std::string("f") + day);
    r.values["next_follow_up"].displayed = D(day);
    records.push_back(r);
  }
  const DueReport report = ComputeDue(records, DueOptions{D("2026-02-26"), 3, 90});
  ASSERT_EQ(report.birthdays.size(), 2u);
  EXPECT_EQ(report.birthdays[0].in_days, 0);
  EXPECT_EQ(report.birthdays[1].in_days, 2);
  ASSERT_EQ(report.follow_ups.size(), 1u);
  EXPECT_EQ(report.follow_ups[0].date, D("2026-02-28"));
}

TEST(ReportLoyalty, PointsAndPurchasesByStage) {
  RecordView l1 = Customer("l1"), l2 = Customer("l2"), l3 = Customer("l3"), l4 = Customer("l4");
  l1.values["loyalty_stage"].displayed = EnumValue{"loyal"};
  l1.counters = {{"loyalty_points", 100}, {"purchase_count", 10}};
  l2.values["loyalty_stage"].displayed = EnumValue{"loyal"};
  l2.counters = {{"loyalty_points", 50}, {"purchase_count", 4}};
  l3.values["loyalty_stage"].displayed = EnumValue{"new"};
  l3.counters = {{"loyalty_points", 5}, {"purchase_count", 1}};
  const auto rows = ComputeLoyalty({l1, l2, l3, l4}, {"potential", "new", "repeat", "loyal"});
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].stage, "potential");
  EXPECT_EQ(rows[0].customers, 0u);
  EXPECT_EQ(rows[1].stage, "new");
  EXPECT_EQ(rows[1].points, 5);
  EXPECT_EQ(rows[3].stage, "loyal");
  EXPECT_EQ(rows[3].customers, 2u);
  EXPECT_EQ(rows[3].points, 150);
  EXPECT_EQ(rows[3].purchases, 14);
  EXPECT_DOUBLE_EQ(rows[3].average_points, 75);
  EXPECT_DOUBLE_EQ(rows[3].average_purchases, 7);
  EXPECT_EQ(rows[4].stage, "(none)");
  EXPECT_EQ(rows[4].customers, 1u);
}

}  // namespace
}  // namespace rapport::cli
