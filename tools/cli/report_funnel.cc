#include "tools/cli/report_funnel.h"

#include <algorithm>
#include <optional>

#include "tools/cli/report_fields.h"

namespace rapport::cli {

FunnelReport ComputeFunnel(const std::vector<RecordView>& records,
                           const std::vector<std::string>& stages, const FunnelOptions& options) {
  FunnelReport report;
  for (const std::string& s : stages) report.stages.emplace_back(s, 0);
  size_t none = 0;
  FunnelTransition first_purchase{"first_purchase", "prospect", "current", 0};
  FunnelTransition drifted{"drifted_to_lost", "current", "lost", 0};
  FunnelTransition won_back{"won_back", "lost", "current", 0};
  auto in_period = [&](Date d) { return !(d < options.from) && !(options.to < d); };

  for (const RecordView& r : records) {
    const std::string stage = DisplayedText(r, "lifecycle_stage");
    auto it = std::find_if(report.stages.begin(), report.stages.end(),
                           [&](const auto& s) { return s.first == stage; });
    if (it == report.stages.end()) {
      ++none;
    } else {
      ++it->second;
    }

    // Interaction days in order (the timeline is ordered by occurred_at).
    std::vector<std::pair<Date, bool>> days;  // (day, is an order)
    for (const EntryView* e : LiveInteractions(r)) {
      days.emplace_back(DateOf(e->occurred_at), EntryText(*e, "kind") == "order");
    }
    bool first_order_seen = false, won = false;
    for (size_t i = 0; i < days.size(); ++i) {
      if (!days[i].second) continue;
      if (!first_order_seen) {
        first_order_seen = true;
        if (in_period(days[i].first)) ++first_purchase.customers;
      }
      if (i > 0 && in_period(days[i].first) &&
          days[i].first.days - days[i - 1].first.days >= options.lost_after_days) {
        won = true;
      }
    }
    if (won) ++won_back.customers;

    // The latest interaction up to the period's end; did its silence reach the threshold
    // inside the period?
    std::optional<Date> last;
    for (const auto& [day, is_order] : days) {
      if (!(options.to < day)) last = day;
    }
    if (last.has_value()) {
      const Date lost_on{last->days + options.lost_after_days};
      if (in_period(lost_on)) ++drifted.customers;
    }
  }
  if (none > 0) report.stages.emplace_back("(none)", none);
  report.transitions = {first_purchase, drifted, won_back};
  return report;
}

}  // namespace rapport::cli
