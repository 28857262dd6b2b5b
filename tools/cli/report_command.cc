#include "tools/cli/report_command.h"

#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/record_source.h"
#include "tools/cli/report_output.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

struct ReportFlags {
  StoreFlags store;
  std::string today;  // YYYY-MM-DD; empty: the real date (UTC)
  std::string from, to;
  std::string cuts = "80,95";
  bool list_customers = false;
  std::string group_by = "branch";
  int days = 7;
  int inactive_days = 90;
};

struct Archive {
  std::optional<schema::Schema> schema;  // optional: Schema has no empty state
  const schema::RecordType* type = nullptr;
  std::vector<RecordView> records;
  Date today;
};

absl::StatusOr<Archive> LoadArchive(const ReportFlags& flags) {
  Archive archive;
  ASSIGN_OR_RETURN(archive.schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(archive.type, FindRecordType(*archive.schema, flags.store.type));
  archive.today = TodayUtc();
  if (!flags.today.empty()) {
    absl::StatusOr<Date> today = ParseDate(flags.today);
    if (!today.ok())
      return absl::InvalidArgumentError(absl::StrCat("--today: ", today.status().message()));
    archive.today = *today;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(archive.records, LoadRecords(*replica, archive.type->name(), std::nullopt));
  return archive;
}

absl::StatusOr<std::optional<Date>> OptionalDate(const std::string& text, const char* option) {
  if (text.empty()) return std::optional<Date>();
  absl::StatusOr<Date> date = ParseDate(text);
  if (!date.ok())
    return absl::InvalidArgumentError(absl::StrCat(option, ": ", date.status().message()));
  return std::optional<Date>(*date);
}

std::vector<std::string> EnumSymbols(const schema::RecordType& type, const std::string& field) {
  const schema::FieldSpec* spec = type.FindField(field);
  if (spec == nullptr) return {};
  return {spec->def().enum_values().begin(), spec->def().enum_values().end()};
}

void Emit(const ReportFlags& flags, const JsonValue& json, const std::function<void()>& print) {
  if (flags.store.json) {
    std::cout << json.Serialize() << "\n";
  } else {
    print();
  }
}

// "80,95" as fractions {0.8, 0.95}: one or more strictly increasing percentages in (0, 100).
// Every comma-separated part must be one, so "80,,95" or "" is a mistake, not fewer tiers.
absl::StatusOr<std::vector<double>> ParseCuts(const std::string& text) {
  std::vector<double> cuts;
  int position = 0;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    ++position;
    part = absl::StripAsciiWhitespace(part);
    double percent = 0;
    std::string problem;
    if (part.empty()) {
      problem = absl::StrCat("cut ", position, " is empty");
    } else if (!absl::SimpleAtod(part, &percent) || !(percent > 0 && percent < 100)) {
      problem = absl::StrCat("cut ", position, " \"", part, "\" is not a percentage above 0 and ",
                             "below 100");
    } else if (!cuts.empty() && percent / 100 <= cuts.back()) {
      problem = absl::StrCat("cut ", position, " (", part, ") is not above the one before it");
    }
    if (!problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cuts \"", text, "\": ", problem,
                       "; give strictly increasing percentages between 0 and 100, e.g. 80,95"));
    }
    cuts.push_back(percent / 100);
  }
  return cuts;
}

absl::Status RunTiers(const ReportFlags& flags) {
  TierOptions options;
  ASSIGN_OR_RETURN(options.cuts, ParseCuts(flags.cuts));
  ASSIGN_OR_RETURN(Archive archive, LoadArchive(flags));
  const TierReport report = ComputeTiers(archive.records, options);
  Emit(flags, TiersJson(report, flags.list_customers),
       [&] { PrintTiers(report, flags.list_customers, std::cout); });
  return absl::OkStatus();
}

absl::Status RunFunnel(const ReportFlags& flags) {
  ASSIGN_OR_RETURN(Archive archive, LoadArchive(flags));
  FunnelOptions options;
  if (const schema::FieldSpec* stage = archive.type->FindField(options.stage_field)) {
    options.history_field = stage->history();
  }
  ASSIGN_OR_RETURN(std::optional<Date> from, OptionalDate(flags.from, "--from"));
  ASSIGN_OR_RETURN(std::optional<Date> to, OptionalDate(flags.to, "--to"));
  options.to = to.value_or(archive.today);
  options.from = from.value_or(Date{options.to.days - 29});
  const FunnelReport report =
      ComputeFunnel(archive.records, EnumSymbols(*archive.type, "lifecycle_stage"), options);
  Emit(flags, FunnelJson(report, options), [&] { PrintFunnel(report, options, std::cout); });
  return absl::OkStatus();
}

absl::Status RunSatisfaction(const ReportFlags& flags) {
  if (flags.group_by != "branch" && flags.group_by != "territory" && flags.group_by != "owner") {
    return absl::InvalidArgumentError("--by must be branch, territory or owner");
  }
  ASSIGN_OR_RETURN(Archive archive, LoadArchive(flags));
  SatisfactionOptions options;
  options.group_by = flags.group_by;
  ASSIGN_OR_RETURN(options.from, OptionalDate(flags.from, "--from"));
  ASSIGN_OR_RETURN(options.to, OptionalDate(flags.to, "--to"));
  const SatisfactionReport report = ComputeSatisfaction(archive.records, options);
  Emit(flags, SatisfactionJson(report, options),
       [&] { PrintSatisfaction(report, options, std::cout); });
  return absl::OkStatus();
}

absl::Status RunDue(const ReportFlags& flags) {
  if (flags.days < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--days ", flags.days, ": give at least 1 (1 is today only)"));
  }
  ASSIGN_OR_RETURN(Archive archive, LoadArchive(flags));
  DueOptions options{archive.today, flags.days, flags.inactive_days};
  const DueReport report = ComputeDue(archive.records, options);
  Emit(flags, DueJson(report, options), [&] { PrintDue(report, options, std::cout); });
  return absl::OkStatus();
}

absl::Status RunLoyalty(const ReportFlags& flags) {
  ASSIGN_OR_RETURN(Archive archive, LoadArchive(flags));
  const std::vector<LoyaltyRow> rows =
      ComputeLoyalty(archive.records, EnumSymbols(*archive.type, "loyalty_stage"));
  Emit(flags, LoyaltyJson(rows), [&] { PrintLoyalty(rows, std::cout); });
  return absl::OkStatus();
}

CLI::App* AddReport(CLI::App* report, const std::string& name, const std::string& description,
                    const std::shared_ptr<ReportFlags>& flags) {
  CLI::App* cmd = report->add_subcommand(name, description);
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("--today", flags->today, "Today as YYYY-MM-DD (default: the real date, UTC)");
  return cmd;
}

}  // namespace

void AddReportCommand(CLI::App& app, int* exit_code) {
  CLI::App* report = app.add_subcommand("report", "CRM reports computed from the archive");
  report->require_subcommand(1);

  auto tiers = std::make_shared<ReportFlags>();
  CLI::App* cmd = AddReport(report, "tiers",
                            "ABC / Pareto tiers by lifetime value: counts and value share", tiers);
  cmd->add_option("--cuts", tiers->cuts,
                  "Cumulative value shares closing tiers A, B, ... in % "
                  "(default 80,95)");
  cmd->add_flag("--customers", tiers->list_customers, "Also list every customer's tier");
  SetAction(cmd, exit_code, [tiers] { return RunTiers(*tiers); });

  auto funnel = std::make_shared<ReportFlags>();
  cmd = AddReport(report, "funnel",
                  "Customers per lifecycle stage, and the stage changes of a period from the "
                  "stage's history",
                  funnel);
  cmd->add_option("--from", funnel->from, "First day of the period (default: 29 days before --to)");
  cmd->add_option("--to", funnel->to, "Last day of the period (default: today)");
  SetAction(cmd, exit_code, [funnel] { return RunFunnel(*funnel); });

  auto satisfaction = std::make_shared<ReportFlags>();
  cmd = AddReport(report, "satisfaction",
                  "Satisfaction index c = perceived / expected from surveys, and the seven levels",
                  satisfaction);
  cmd->add_option("--by", satisfaction->group_by, "branch (default), territory or owner");
  cmd->add_option("--from", satisfaction->from, "Only surveys on or after YYYY-MM-DD");
  cmd->add_option("--to", satisfaction->to, "Only surveys on or before YYYY-MM-DD");
  SetAction(cmd, exit_code, [satisfaction] { return RunSatisfaction(*satisfaction); });

  auto due = std::make_shared<ReportFlags>();
  cmd = AddReport(report, "due",
                  "Birthdays, anniversaries and follow-ups due soon; customers drifting to lost",
                  due);
  cmd->add_option("--days", due->days,
                  "Cover this many days, today included (default 7: today and the next 6)");
  cmd->add_option("--inactive-days", due->inactive_days,
                  "List customers with no interaction for this many days (default 90)");
  SetAction(cmd, exit_code, [due] { return RunDue(*due); });

  auto loyalty = std::make_shared<ReportFlags>();
  cmd = AddReport(report, "loyalty", "Points and purchase counts by loyalty stage", loyalty);
  SetAction(cmd, exit_code, [loyalty] { return RunLoyalty(*loyalty); });
}

}  // namespace rapport::cli
