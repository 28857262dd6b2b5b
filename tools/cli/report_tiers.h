// ABC / Pareto value tiers (DOMAIN.md, the 80/20 rule): customers sorted by lifetime purchase
// value, highest first; a customer is in tier A while the cumulative value share BEFORE it is
// below the first cut point (so the customer that crosses 80% is still A), in B below the
// second, and so on; C holds the rest, customers with no value included. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rapport/record_view.h"

namespace rapport::cli {

struct TierOptions {
  std::vector<double> cuts = {0.80, 0.95};  // ascending, in (0, 1)
  std::string value_field = "lifetime_value_cents";
};

struct TierRow {
  std::string tier;  // "A", "B", ...
  size_t customers = 0;
  int64_t value = 0;
  double customer_share = 0;
  double value_share = 0;
};

struct TierAssignment {
  std::string id;
  std::string tier;
  int64_t value = 0;
};

struct TierReport {
  size_t customers = 0;
  int64_t total_value = 0;
  std::vector<double> cuts;
  std::vector<TierRow> tiers;              // one per tier, A first, empty tiers included
  std::vector<TierAssignment> assignment;  // every customer, highest value first
};

TierReport ComputeTiers(const std::vector<RecordView>& records, const TierOptions& options);

}  // namespace rapport::cli
