#include "tools/cli/report_funnel.h"

#include <algorithm>
#include <map>
#include <set>

#include "tools/cli/report_fields.h"

namespace rapport::cli {
namespace {

constexpr char kNone[] = "(none)";

// Sort keys of a transition's ends: the declared stages in order, then symbols the schema does
// not declare; "(none)" first as a `from` (a first stage), last as a `to` (a cleared one).
size_t DeclaredRank(const std::vector<std::string>& stages, const std::string& stage) {
  return static_cast<size_t>(std::find(stages.begin(), stages.end(), stage) - stages.begin());
}
size_t FromRank(const std::vector<std::string>& stages, const std::string& stage) {
  return stage == kNone ? 0 : DeclaredRank(stages, stage) + 1;
}
size_t ToRank(const std::vector<std::string>& stages, const std::string& stage) {
  return stage == kNone ? stages.size() + 1 : DeclaredRank(stages, stage);
}

std::string StageOf(const EntryView& entry, const std::string& sub_field) {
  const std::string text = EntryText(entry, sub_field);
  return text.empty() ? kNone : text;
}

}  // namespace

FunnelReport ComputeFunnel(const std::vector<RecordView>& records,
                           const std::vector<std::string>& stages, const FunnelOptions& options) {
  FunnelReport report;
  for (const std::string& s : stages) report.stages.emplace_back(s, 0);
  size_t none = 0;
  auto in_period = [&](Date d) { return !(d < options.from) && !(options.to < d); };
  // (from, to) -> changes and the records that made them.
  std::map<std::pair<std::string, std::string>, std::pair<size_t, std::set<std::string>>> counted;

  for (const RecordView& r : records) {
    const std::string stage = DisplayedText(r, options.stage_field);
    auto it = std::find_if(report.stages.begin(), report.stages.end(),
                           [&](const auto& s) { return s.first == stage; });
    if (it == report.stages.end()) {
      ++none;
    } else {
      ++it->second;
    }
    if (options.history_field.empty()) continue;
    auto history = r.timelines.find(options.history_field);
    if (history == r.timelines.end() || history->second.empty()) continue;
    ++report.records_with_history;
    for (const EntryView& e : history->second) {
      if (e.retracted || !in_period(DateOf(e.occurred_at))) continue;
      auto& [changes, ids] = counted[{StageOf(e, "from"), StageOf(e, "to")}];
      ++changes;
      ids.insert(r.id);
    }
  }
  if (none > 0) report.stages.emplace_back(kNone, none);

  for (const auto& [ends, count] : counted) {
    report.transitions.push_back({ends.first, ends.second, count.first, count.second.size()});
  }
  // Stable: symbols of equal rank stay in the map's alphabetical order.
  std::stable_sort(report.transitions.begin(), report.transitions.end(),
                   [&](const FunnelTransition& a, const FunnelTransition& b) {
                     const size_t af = FromRank(stages, a.from), bf = FromRank(stages, b.from);
                     if (af != bf) return af < bf;
                     return ToRank(stages, a.to) < ToRank(stages, b.to);
                   });
  return report;
}

}  // namespace rapport::cli
