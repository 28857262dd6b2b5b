// Loyalty programme figures by loyalty stage (DOMAIN.md: potential, new, repeat, loyal):
// customers, points and purchase counts, totals and averages. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rapport/record_view.h"

namespace rapport::cli {

struct LoyaltyRow {
  std::string stage;  // a symbol of loyalty_stage, or "(none)"
  size_t customers = 0;
  int64_t points = 0;
  int64_t purchases = 0;
  double average_points = 0;
  double average_purchases = 0;
};

// Rows in the order of `stages` (the enum's declared order), then "(none)" if any customer has
// no stage. Every declared stage has a row, even when empty.
std::vector<LoyaltyRow> ComputeLoyalty(const std::vector<RecordView>& records,
                                       const std::vector<std::string>& stages);

}  // namespace rapport::cli
