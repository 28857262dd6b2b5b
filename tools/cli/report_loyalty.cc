#include "tools/cli/report_loyalty.h"

#include "tools/cli/report_fields.h"

namespace rapport::cli {

std::vector<LoyaltyRow> ComputeLoyalty(const std::vector<RecordView>& records,
                                       const std::vector<std::string>& stages) {
  std::vector<LoyaltyRow> rows;
  for (const std::string& s : stages) rows.push_back({s});
  LoyaltyRow none{"(none)"};
  for (const RecordView& r : records) {
    const std::string stage = DisplayedText(r, "loyalty_stage");
    LoyaltyRow* row = &none;
    for (LoyaltyRow& candidate : rows) {
      if (candidate.stage == stage) row = &candidate;
    }
    row->customers += 1;
    row->points += CounterValue(r, "loyalty_points");
    row->purchases += CounterValue(r, "purchase_count");
  }
  if (none.customers > 0) rows.push_back(none);
  for (LoyaltyRow& row : rows) {
    if (row.customers == 0) continue;
    row.average_points = static_cast<double>(row.points) / row.customers;
    row.average_purchases = static_cast<double>(row.purchases) / row.customers;
  }
  return rows;
}

}  // namespace rapport::cli
