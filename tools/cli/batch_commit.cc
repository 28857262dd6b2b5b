#include "tools/cli/batch_commit.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "tools/cli/import_plan.h"

namespace rapport::cli {
namespace {

// Parses the "mutation <i>: " prefix Replica::Apply puts on a refused batch.
std::optional<size_t> MutationIndex(absl::string_view message) {
  if (!absl::StartsWith(message, "mutation ")) return std::nullopt;
  message.remove_prefix(9);
  const size_t colon = message.find(':');
  size_t index = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(message.substr(0, colon), &index)) {
    return std::nullopt;
  }
  return index;
}

// Drops "mutation <i>: record <id>: " from a message about a row (the row's line says where).
std::string RowReason(absl::string_view message) {
  for (absl::string_view prefix : {"mutation ", "record "}) {
    if (!absl::StartsWith(message, prefix)) continue;
    const size_t colon = message.find(": ");
    if (colon != absl::string_view::npos) message.remove_prefix(colon + 2);
  }
  return std::string(message);
}

bool IsRowError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kNotFound ||
         status.code() == absl::StatusCode::kFailedPrecondition;
}

void Count(BatchOutcome& out, const PendingRow& p, bool changed) {
  ++(!p.existing.has_value() ? out.imported : changed ? out.updated : out.unchanged);
  if (p.unknown_id) ++out.unknown_ids;
}

void Refuse(BatchOutcome& out, const PendingRow& p, const absl::Status& status) {
  ++out.refused;
  out.issues.push_back({p.row.line, "", RowReason(status.message())});
}

}  // namespace

BatchOutcome CommitBatch(Replica& replica, const schema::RecordType& type,
                         std::vector<PendingRow> rows) {
  BatchOutcome out;
  while (!rows.empty()) {
    std::vector<Mutation> mutations;
    std::vector<size_t> first_mutation;  // per row
    std::vector<bool> changes;
    BatchRefs refs;
    for (const PendingRow& p : rows) {
      first_mutation.push_back(mutations.size());
      changes.push_back(
          AppendRowMutations(type, p.row, p.existing ? &*p.existing : nullptr, refs, mutations));
    }
    const absl::Status applied =
        mutations.empty() ? absl::OkStatus() : replica.Apply(mutations).status();
    if (applied.ok()) {
      for (size_t i = 0; i < rows.size(); ++i) Count(out, rows[i], changes[i]);
      return out;
    }
    if (!IsRowError(applied)) {
      out.status = applied;
      return out;
    }
    if (std::optional<size_t> bad = MutationIndex(applied.message())) {
      const size_t row = std::upper_bound(first_mutation.begin(), first_mutation.end(), *bad) -
                         first_mutation.begin() - 1;
      Refuse(out, rows[row], applied);
      rows.erase(rows.begin() + row);
      continue;
    }
    // The batch failed as a whole (a required field is checked after the last mutation):
    // commit the rows one at a time to find which.
    for (const PendingRow& p : rows) {
      std::vector<Mutation> one;
      BatchRefs one_refs;
      const bool changed =
          AppendRowMutations(type, p.row, p.existing ? &*p.existing : nullptr, one_refs, one);
      const absl::Status s = one.empty() ? absl::OkStatus() : replica.Apply(one).status();
      if (s.ok()) {
        Count(out, p, changed);
      } else if (IsRowError(s)) {
        Refuse(out, p, s);
      } else {
        out.status = s;
        return out;
      }
    }
    return out;
  }
  return out;
}

}  // namespace rapport::cli
