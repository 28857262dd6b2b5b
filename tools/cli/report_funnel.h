// The lifecycle funnel (DOMAIN.md: non-customer, potential, target, current, lost): customers
// per stage today, and the transitions of a period. The schema keeps no history of
// lifecycle_stage (a register keeps its current value and open conflicts only), so transitions
// are derived from the interactions timeline, which is a dated history (docs/cli.md, "report
// funnel"):
//   first purchase   prospect -> current  the customer's first order falls in the period
//   drifted to lost  current -> lost      the latest interaction before the period's end is
//                                          `lost_after_days` old at a day inside the period
//   won back         lost -> current      an order in the period comes `lost_after_days` or more
//                                          after the interaction before it
// Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport::cli {

struct FunnelOptions {
  Date from;  // first day of the period
  Date to;    // last day of the period (inclusive)
  int lost_after_days = 90;
};

struct FunnelTransition {
  std::string name;  // first_purchase, drifted_to_lost, won_back
  std::string from;
  std::string to;
  size_t customers = 0;
};

struct FunnelReport {
  std::vector<std::pair<std::string, size_t>> stages;  // declared order, then "(none)" if any
  std::vector<FunnelTransition> transitions;
};

FunnelReport ComputeFunnel(const std::vector<RecordView>& records,
                           const std::vector<std::string>& stages, const FunnelOptions& options);

}  // namespace rapport::cli
