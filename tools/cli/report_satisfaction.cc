#include "tools/cli/report_satisfaction.h"

#include <map>

#include "tools/cli/report_fields.h"

namespace rapport::cli {
namespace {

struct Accumulator {
  SatisfactionGroup group;
  double sum_c = 0;
};

std::optional<double> Score(const EntryView& e, const std::string& field) {
  auto it = e.fields.find(field);
  if (it == e.fields.end()) return std::nullopt;
  if (const double* d = std::get_if<double>(&it->second.displayed)) return *d;
  return std::nullopt;
}

void Add(Accumulator& acc, const EntryView& e) {
  acc.group.surveys += 1;
  const std::optional<double> b = Score(e, "perceived_score");
  const std::optional<double> a = Score(e, "expected_score");
  if (a.has_value() && b.has_value() && *a > 0) {
    acc.group.scored += 1;
    acc.sum_c += *b / *a;
  }
  const std::string level = EntryText(e, "satisfaction_level");
  for (size_t i = 0; i < kSatisfactionLevels.size(); ++i) {
    if (level == kSatisfactionLevels[i]) acc.group.levels[i] += 1;
  }
}

SatisfactionGroup Finish(Accumulator acc) {
  if (acc.group.scored > 0) {
    acc.group.index = acc.sum_c / acc.group.scored;
    acc.group.verdict = SatisfactionVerdict(acc.group.index);
  }
  return acc.group;
}

}  // namespace

std::string SatisfactionVerdict(double c) {
  if (c < 0.95) return "dissatisfied";
  if (c <= 1.05) return "satisfied";
  return "delighted";
}

SatisfactionReport ComputeSatisfaction(const std::vector<RecordView>& records,
                                       const SatisfactionOptions& options) {
  std::map<std::string, Accumulator> groups;
  Accumulator total;
  total.group.group = "(all)";
  for (const RecordView& r : records) {
    std::string name = DisplayedText(r, options.group_by);
    if (name.empty()) name = "(none)";
    for (const EntryView* e : LiveInteractions(r)) {
      if (EntryText(*e, "kind") != "survey") continue;
      const Date day = DateOf(e->occurred_at);
      if (options.from.has_value() && day < *options.from) continue;
      if (options.to.has_value() && day > *options.to) continue;
      Accumulator& acc = groups[name];
      acc.group.group = name;
      Add(acc, *e);
      Add(total, *e);
    }
  }
  SatisfactionReport report;
  std::optional<SatisfactionGroup> none;
  for (auto& [name, acc] : groups) {
    if (name == "(none)") {
      none = Finish(acc);
    } else {
      report.groups.push_back(Finish(acc));
    }
  }
  if (none.has_value()) report.groups.push_back(*none);
  report.total = Finish(total);
  return report;
}

}  // namespace rapport::cli
