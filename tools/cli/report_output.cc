#include "tools/cli/report_output.h"

#include "absl/strings/str_cat.h"
#include "tools/cli/text_table.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

// Rounds shares and indexes for JSON so outputs compare exactly in tests and diffs.
JsonValue Rounded(double value, int digits = 4) {
  double scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  return JsonValue(
      static_cast<double>(static_cast<int64_t>(value * scale + (value < 0 ? -0.5 : 0.5))) / scale);
}

JsonValue DueItemsJson(const std::vector<DueItem>& items) {
  JsonValue::Array out;
  for (const DueItem& item : items) {
    JsonValue j;
    j.Set("id", item.id);
    j.Set("name", item.name);
    j.Set("what", item.what);
    j.Set("date", FormatDate(item.date));
    j.Set("in_days", item.in_days);
    if (!item.detail.empty()) j.Set("detail", item.detail);
    out.push_back(std::move(j));
  }
  return JsonValue(std::move(out));
}

void PrintDueItems(const std::string& title, const std::vector<DueItem>& items,
                   const std::string& days_header, std::ostream& out) {
  out << title << " (" << items.size() << ")\n";
  if (items.empty()) return;
  TextTable table({"date", days_header, "name", "what", "detail", "id"});
  for (const DueItem& item : items) {
    table.AddRow({FormatDate(item.date), std::to_string(item.in_days), item.name, item.what,
                  item.detail, item.id});
  }
  table.Print(out);
}

}  // namespace

JsonValue TiersJson(const TierReport& report, bool with_customers) {
  JsonValue out;
  out.Set("customers", static_cast<uint64_t>(report.customers));
  out.Set("total_value_cents", report.total_value);
  JsonValue::Array cuts;
  for (double c : report.cuts) cuts.push_back(Rounded(c));
  out.Set("cut_points", JsonValue(std::move(cuts)));
  JsonValue::Array tiers;
  for (const TierRow& row : report.tiers) {
    JsonValue t;
    t.Set("tier", row.tier);
    t.Set("customers", static_cast<uint64_t>(row.customers));
    t.Set("customer_share", Rounded(row.customer_share));
    t.Set("value_cents", row.value);
    t.Set("value_share", Rounded(row.value_share));
    tiers.push_back(std::move(t));
  }
  out.Set("tiers", JsonValue(std::move(tiers)));
  if (with_customers) {
    JsonValue::Array customers;
    for (const TierAssignment& a : report.assignment) {
      JsonValue c;
      c.Set("id", a.id);
      c.Set("tier", a.tier);
      c.Set("value_cents", a.value);
      customers.push_back(std::move(c));
    }
    out.Set("assignment", JsonValue(std::move(customers)));
  }
  return out;
}

void PrintTiers(const TierReport& report, bool with_customers, std::ostream& out) {
  out << "ABC value tiers of " << report.customers << " customers by lifetime value (total "
      << report.total_value << " cents), cut points";
  for (double c : report.cuts) out << " " << Percent(c);
  out << "\n";
  TextTable table({"tier", "customers", "% customers", "value (cents)", "% value"});
  for (const TierRow& row : report.tiers) {
    table.AddRow({row.tier, std::to_string(row.customers), Percent(row.customer_share),
                  std::to_string(row.value), Percent(row.value_share)});
  }
  table.Print(out);
  if (!with_customers) return;
  TextTable list({"tier", "value (cents)", "id"});
  for (const TierAssignment& a : report.assignment) {
    list.AddRow({a.tier, std::to_string(a.value), a.id});
  }
  out << "\n";
  list.Print(out);
}

JsonValue FunnelJson(const FunnelReport& report, const FunnelOptions& options) {
  JsonValue out;
  JsonValue stages;
  stages = JsonValue(JsonValue::Object{});
  for (const auto& [stage, count] : report.stages) stages.Set(stage, static_cast<uint64_t>(count));
  out.Set("stages", std::move(stages));
  JsonValue period;
  period.Set("from", FormatDate(options.from));
  period.Set("to", FormatDate(options.to));
  out.Set("period", std::move(period));
  out.Set("history_field",
          options.history_field.empty() ? JsonValue() : JsonValue(options.history_field));
  out.Set("records_with_history", static_cast<uint64_t>(report.records_with_history));
  JsonValue::Array transitions;
  for (const FunnelTransition& t : report.transitions) {
    JsonValue j;
    j.Set("from", t.from);
    j.Set("to", t.to);
    j.Set("changes", static_cast<uint64_t>(t.changes));
    j.Set("customers", static_cast<uint64_t>(t.customers));
    transitions.push_back(std::move(j));
  }
  out.Set("transitions", JsonValue(std::move(transitions)));
  return out;
}

void PrintFunnel(const FunnelReport& report, const FunnelOptions& options, std::ostream& out) {
  size_t total = 0;
  for (const auto& [stage, count] : report.stages) total += count;
  out << "Customers per lifecycle stage\n";
  TextTable stages({"stage", "customers", "%"});
  for (const auto& [stage, count] : report.stages) {
    stages.AddRow({stage, std::to_string(count),
                   Percent(total > 0 ? static_cast<double>(count) / total : 0)});
  }
  stages.Print(out);
  out << "\nStage changes from " << FormatDate(options.from) << " to " << FormatDate(options.to);
  if (options.history_field.empty()) {
    out << ": none, the schema records no history of " << options.stage_field << "\n";
    return;
  }
  out << " (from " << options.history_field << "; " << report.records_with_history << " of "
      << total << " customers have a history)\n";
  if (report.transitions.empty()) {
    out << "(none in this period)\n";
    return;
  }
  TextTable transitions({"from", "to", "changes", "customers"});
  for (const FunnelTransition& t : report.transitions) {
    transitions.AddRow({t.from, t.to, std::to_string(t.changes), std::to_string(t.customers)});
  }
  transitions.Print(out);
}

JsonValue SatisfactionJson(const SatisfactionReport& report, const SatisfactionOptions& options) {
  auto group_json = [](const SatisfactionGroup& g) {
    JsonValue j;
    j.Set("group", g.group);
    j.Set("surveys", static_cast<uint64_t>(g.surveys));
    j.Set("scored", static_cast<uint64_t>(g.scored));
    j.Set("index", g.scored > 0 ? Rounded(g.index) : JsonValue());
    j.Set("verdict", g.verdict);
    JsonValue levels = JsonValue(JsonValue::Object{});
    for (size_t i = 0; i < kSatisfactionLevels.size(); ++i) {
      levels.Set(kSatisfactionLevels[i], static_cast<uint64_t>(g.levels[i]));
    }
    j.Set("levels", std::move(levels));
    return j;
  };
  JsonValue out;
  out.Set("group_by", options.group_by);
  JsonValue::Array groups;
  for (const SatisfactionGroup& g : report.groups) groups.push_back(group_json(g));
  out.Set("groups", JsonValue(std::move(groups)));
  out.Set("total", group_json(report.total));
  return out;
}

void PrintSatisfaction(const SatisfactionReport& report, const SatisfactionOptions& options,
                       std::ostream& out) {
  out << "Satisfaction index c = perceived / expected, by " << options.group_by << "\n";
  std::vector<std::string> header = {options.group_by, "surveys", "scored", "index c", "verdict"};
  for (const char* level : kSatisfactionLevels) header.push_back(level);
  TextTable table(header);
  auto add = [&](const SatisfactionGroup& g) {
    std::vector<std::string> row = {g.group, std::to_string(g.surveys), std::to_string(g.scored),
                                    g.scored > 0 ? Fixed(g.index, 3) : "-", g.verdict};
    for (size_t n : g.levels) row.push_back(std::to_string(n));
    table.AddRow(std::move(row));
  };
  for (const SatisfactionGroup& g : report.groups) add(g);
  add(report.total);
  table.Print(out);
}

JsonValue DueJson(const DueReport& report, const DueOptions& options) {
  JsonValue out;
  out.Set("today", FormatDate(options.today));
  out.Set("days", options.days);
  out.Set("inactive_days", options.inactive_days);
  out.Set("birthdays", DueItemsJson(report.birthdays));
  out.Set("anniversaries", DueItemsJson(report.anniversaries));
  out.Set("follow_ups", DueItemsJson(report.follow_ups));
  out.Set("inactive", DueItemsJson(report.inactive));
  out.Set("never_contacted", static_cast<uint64_t>(report.never_contacted));
  return out;
}

void PrintDue(const DueReport& report, const DueOptions& options, std::ostream& out) {
  out << "Due from " << FormatDate(options.today) << " to "
      << FormatDate(Date{options.today.days + options.days}) << "\n\n";
  PrintDueItems("Birthdays", report.birthdays, "in days", out);
  out << "\n";
  PrintDueItems("Anniversaries", report.anniversaries, "in days", out);
  out << "\n";
  PrintDueItems("Follow-ups due (negative: overdue)", report.follow_ups, "in days", out);
  out << "\n";
  PrintDueItems(
      absl::StrCat("No interaction for ", options.inactive_days, "+ days (drifting towards lost)"),
      report.inactive, "days ago", out);
  out << report.never_contacted << " customer(s) not lost have no interaction at all\n";
}

JsonValue LoyaltyJson(const std::vector<LoyaltyRow>& rows) {
  JsonValue::Array out;
  for (const LoyaltyRow& row : rows) {
    JsonValue j;
    j.Set("stage", row.stage);
    j.Set("customers", static_cast<uint64_t>(row.customers));
    j.Set("points", row.points);
    j.Set("purchases", row.purchases);
    j.Set("average_points", Rounded(row.average_points, 2));
    j.Set("average_purchases", Rounded(row.average_purchases, 2));
    out.push_back(std::move(j));
  }
  JsonValue result;
  result.Set("stages", JsonValue(std::move(out)));
  return result;
}

void PrintLoyalty(const std::vector<LoyaltyRow>& rows, std::ostream& out) {
  out << "Loyalty points and purchases by loyalty stage\n";
  TextTable table({"stage", "customers", "points", "avg points", "purchases", "avg purchases"});
  for (const LoyaltyRow& row : rows) {
    table.AddRow({row.stage, std::to_string(row.customers), std::to_string(row.points),
                  Fixed(row.average_points, 1), std::to_string(row.purchases),
                  Fixed(row.average_purchases, 1)});
  }
  table.Print(out);
}

}  // namespace rapport::cli
