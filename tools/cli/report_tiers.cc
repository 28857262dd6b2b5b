#include "tools/cli/report_tiers.h"

#include <algorithm>

#include "tools/cli/report_fields.h"

namespace rapport::cli {

TierReport ComputeTiers(const std::vector<RecordView>& records, const TierOptions& options) {
  TierReport report;
  report.cuts = options.cuts;
  for (size_t i = 0; i <= options.cuts.size(); ++i) {
    report.tiers.push_back({std::string(1, static_cast<char>('A' + i)), 0, 0, 0, 0});
  }
  for (const RecordView& r : records) {
    const int64_t value = std::max<int64_t>(0, CounterValue(r, options.value_field));
    report.assignment.push_back({r.id, "", value});
    report.total_value += value;
  }
  report.customers = records.size();
  std::sort(report.assignment.begin(), report.assignment.end(),
            [](const TierAssignment& a, const TierAssignment& b) {
              return a.value != b.value ? a.value > b.value : a.id < b.id;
            });
  int64_t before = 0;
  for (TierAssignment& a : report.assignment) {
    const double share_before =
        report.total_value > 0 ? static_cast<double>(before) / report.total_value : 1.0;
    size_t tier = 0;
    while (tier < options.cuts.size() && share_before >= options.cuts[tier]) ++tier;
    if (a.value == 0) tier = options.cuts.size();  // no purchases: never a top tier
    a.tier = report.tiers[tier].tier;
    report.tiers[tier].customers += 1;
    report.tiers[tier].value += a.value;
    before += a.value;
  }
  for (TierRow& row : report.tiers) {
    row.customer_share =
        report.customers > 0 ? static_cast<double>(row.customers) / report.customers : 0;
    row.value_share =
        report.total_value > 0 ? static_cast<double>(row.value) / report.total_value : 0;
  }
  return report;
}

}  // namespace rapport::cli
