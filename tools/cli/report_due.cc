#include "tools/cli/report_due.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/cli/report_fields.h"

namespace rapport::cli {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Date OnYear(int year, unsigned month, unsigned day) {
  if (month == 2 && day == 29 && !IsLeap(year)) day = 28;
  return Date::FromCivil(year, month, day);
}

int YearOf(Date d) {
  int y = 0;
  unsigned m = 0, day = 0;
  CivilOf(d, &y, &m, &day);
  return y;
}

const Date* DateField(const RecordView& r, const std::string& field) {
  const Value* v = DisplayedValue(r, field);
  return v == nullptr ? nullptr : std::get_if<Date>(v);
}

void SortItems(std::vector<DueItem>& items) {
  std::sort(items.begin(), items.end(), [](const DueItem& a, const DueItem& b) {
    if (a.date != b.date) return a.date < b.date;
    if (a.name != b.name) return a.name < b.name;
    return a.detail < b.detail;
  });
}

}  // namespace

Date NextOccurrence(Date date, Date today) {
  int y = 0, ty = 0;
  unsigned m = 0, d = 0, tm = 0, td = 0;
  CivilOf(date, &y, &m, &d);
  CivilOf(today, &ty, &tm, &td);
  Date next = OnYear(ty, m, d);
  if (next < today) next = OnYear(ty + 1, m, d);
  return next;
}

DueReport ComputeDue(const std::vector<RecordView>& records, const DueOptions& options) {
  DueReport report;
  // The last day of the window: `days` days counting today, so --days 7 is today + 6.
  const int32_t horizon = options.today.days + options.days - 1;
  for (const RecordView& r : records) {
    const std::string name = DisplayedText(r, "name");
    auto item = [&](std::string what, Date date, std::string detail) {
      return DueItem{
          r.id, name, std::move(what), date, date.days - options.today.days, std::move(detail)};
    };
    if (const Date* birthday = DateField(r, "birthday")) {
      const Date next = NextOccurrence(*birthday, options.today);
      if (next.days <= horizon) report.birthdays.push_back(item("birthday", next, ""));
    }
    if (auto contacts = r.maps.find("contacts"); contacts != r.maps.end()) {
      for (const auto& [key, fields] : contacts->second) {
        auto removed = fields.find("removed");
        if (removed != fields.end() && removed->second.displayed == Value{true}) continue;
        auto birthday = fields.find("birthday");
        if (birthday == fields.end()) continue;
        const Date* d = std::get_if<Date>(&birthday->second.displayed);
        if (d == nullptr) continue;
        const Date next = NextOccurrence(*d, options.today);
        auto contact_name = fields.find("name");
        const std::string who =
            contact_name == fields.end() ? key : FormatValueText(contact_name->second.displayed);
        if (next.days <= horizon) report.birthdays.push_back(item("contact birthday", next, who));
      }
    }
    for (const auto& [field, what] :
         {std::pair<std::string, std::string>{"founding_date", "founding anniversary"},
          {"first_transaction_date", "first transaction anniversary"}}) {
      const Date* d = DateField(r, field);
      if (d == nullptr) continue;
      const Date next = NextOccurrence(*d, options.today);
      const int years = YearOf(next) - YearOf(*d);
      if (years >= 1 && next.days <= horizon) {
        report.anniversaries.push_back(item(what, next, absl::StrCat(years, " years")));
      }
    }
    if (const Date* follow_up = DateField(r, "next_follow_up")) {
      if (follow_up->days <= horizon) {
        report.follow_ups.push_back(
            item("follow-up", *follow_up, follow_up->days < options.today.days ? "overdue" : ""));
      }
    }
    if (DisplayedText(r, "lifecycle_stage") == "lost") continue;
    std::optional<Date> last;
    for (const EntryView* e : LiveInteractions(r)) {
      const Date day = DateOf(e->occurred_at);
      if (!last.has_value() || *last < day) last = day;
    }
    if (const Value* v = DisplayedValue(r, "last_interaction_at")) {
      if (const Timestamp* ts = std::get_if<Timestamp>(v)) {
        const Date day = DateOf(*ts);
        if (!last.has_value() || *last < day) last = day;
      }
    }
    if (!last.has_value()) {
      ++report.never_contacted;
    } else if (options.today.days - last->days >= options.inactive_days) {
      report.inactive.push_back(
          item("inactive", *last, absl::StrCat(options.today.days - last->days, " days")));
    }
  }
  SortItems(report.birthdays);
  SortItems(report.anniversaries);
  SortItems(report.follow_ups);
  SortItems(report.inactive);
  return report;
}

}  // namespace rapport::cli
