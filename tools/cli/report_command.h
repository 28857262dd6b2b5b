// `rapport report tiers|funnel|satisfaction|due|loyalty --store PATH [--json]`: CRM reports
// computed from every live record of the store (report_*.h), "today" from --today so runs are
// reproducible.
#pragma once

#include "CLI/CLI.hpp"

namespace rapport::cli {

void AddReportCommand(CLI::App& app, int* exit_code);

}  // namespace rapport::cli
