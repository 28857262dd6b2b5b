// Satisfaction index (DOMAIN.md, 客户满意度): for every survey interaction that gives both
// scores, c = perceived / expected (b / a); a group's index is the mean c of its surveys, read
// as dissatisfied (c < 0.95), satisfied (0.95 <= c <= 1.05) or delighted (c > 1.05). Beside it,
// the seven-level distribution of the surveys' satisfaction_level. Groups are the customers'
// branch, territory or owner. Pure; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport::cli {

inline constexpr std::array<const char*, 7> kSatisfactionLevels = {
    "very_satisfied",        "satisfied",    "fairly_satisfied", "neutral",
    "somewhat_dissatisfied", "dissatisfied", "very_dissatisfied"};

struct SatisfactionOptions {
  std::string group_by = "branch";  // branch, territory or owner
  std::optional<Date> from;         // surveys on or after this day
  std::optional<Date> to;           // surveys on or before this day
};

struct SatisfactionGroup {
  std::string group;               // the field's value, or "(none)"
  size_t surveys = 0;              // survey entries in the period
  size_t scored = 0;               // of which with both scores (expected > 0)
  double index = 0;                // mean c over the scored surveys; 0 when none
  std::string verdict;             // dissatisfied / satisfied / delighted, "" when none scored
  std::array<size_t, 7> levels{};  // per kSatisfactionLevels
};

struct SatisfactionReport {
  std::vector<SatisfactionGroup> groups;  // by group name, "(none)" last
  SatisfactionGroup total;
};

std::string SatisfactionVerdict(double c);
SatisfactionReport ComputeSatisfaction(const std::vector<RecordView>& records,
                                       const SatisfactionOptions& options);

}  // namespace rapport::cli
