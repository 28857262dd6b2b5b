// Each report as a terminal table and as JSON (docs/cli.md, "report"). Pure functions over the
// computed reports of report_*.h.
#pragma once

#include <ostream>

#include "tools/cli/json_value.h"
#include "tools/cli/report_due.h"
#include "tools/cli/report_funnel.h"
#include "tools/cli/report_loyalty.h"
#include "tools/cli/report_satisfaction.h"
#include "tools/cli/report_tiers.h"

namespace rapport::cli {

JsonValue TiersJson(const TierReport& report, bool with_customers);
void PrintTiers(const TierReport& report, bool with_customers, std::ostream& out);

JsonValue FunnelJson(const FunnelReport& report, const FunnelOptions& options);
void PrintFunnel(const FunnelReport& report, const FunnelOptions& options, std::ostream& out);

JsonValue SatisfactionJson(const SatisfactionReport& report, const SatisfactionOptions& options);
void PrintSatisfaction(const SatisfactionReport& report, const SatisfactionOptions& options,
                       std::ostream& out);

JsonValue DueJson(const DueReport& report, const DueOptions& options);
void PrintDue(const DueReport& report, const DueOptions& options, std::ostream& out);

JsonValue LoyaltyJson(const std::vector<LoyaltyRow>& rows);
void PrintLoyalty(const std::vector<LoyaltyRow>& rows, std::ostream& out);

}  // namespace rapport::cli
