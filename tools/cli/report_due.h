// Service timing (DOMAIN.md, 服务时机): what is due in the next `days` days, today included
// (today .. today + days - 1):
// birthdays (of the customer and of its contacts), anniversaries (founding date, first
// transaction) and follow-ups (next_follow_up, overdue ones included); and customers not lost
// whose latest interaction is `inactive_days` or more ago (drifting towards "lost"). A 29
// February birthday falls on 28 February in other years. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport::cli {

struct DueOptions {
  Date today;
  int days = 7;  // at least 1
  int inactive_days = 90;
};

struct DueItem {
  std::string id;
  std::string name;
  std::string what;    // birthday, contact birthday, founding anniversary, ...
  Date date;           // when it falls (for inactive: the latest interaction's day)
  int in_days = 0;     // date - today; negative: overdue / days since
  std::string detail;  // contact name, years, ...
};

struct DueReport {
  std::vector<DueItem> birthdays;
  std::vector<DueItem> anniversaries;
  std::vector<DueItem> follow_ups;
  std::vector<DueItem> inactive;
  size_t never_contacted = 0;  // customers not lost with no interaction at all
};

DueReport ComputeDue(const std::vector<RecordView>& records, const DueOptions& options);

// The next day on or after `today` that is `date`'s month and day.
Date NextOccurrence(Date date, Date today);

}  // namespace rapport::cli
