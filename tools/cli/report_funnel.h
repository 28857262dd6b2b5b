// The lifecycle funnel (DOMAIN.md: non-customer, potential, target, current, lost): customers
// per stage today, and the stage changes of a period read from the stage's history timeline
// (the schema's `history` of lifecycle_stage, lifecycle_history: one entry per recorded change,
// with from and to). Every entry not retracted whose occurred_at falls in the period counts
// once, so two concurrent changes made on two phones count twice (docs/cli.md, "report
// funnel"); records without history contribute no transitions. Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport::cli {

struct FunnelOptions {
  Date from;  // first day of the period (UTC)
  Date to;    // last day of the period (inclusive)
  std::string stage_field = "lifecycle_stage";
  std::string history_field;  // the stage's history timeline; "" when the schema records none
};

// The changes from one stage to another in the period; "(none)" for an absent stage (a record
// given its first stage, or a stage cleared).
struct FunnelTransition {
  std::string from;
  std::string to;
  size_t changes = 0;    // history entries
  size_t customers = 0;  // distinct records among them
};

struct FunnelReport {
  std::vector<std::pair<std::string, size_t>> stages;  // declared order, then "(none)" if any
  // Ordered by `from`, then `to`, each in the stages' declared order ("(none)" first as a
  // `from`, last as a `to`; symbols the schema no longer declares after the declared ones).
  std::vector<FunnelTransition> transitions;
  size_t records_with_history = 0;  // records holding at least one history entry
};

FunnelReport ComputeFunnel(const std::vector<RecordView>& records,
                           const std::vector<std::string>& stages, const FunnelOptions& options);

}  // namespace rapport::cli
