#include "tools/cli/batch_commit.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

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

void PendingBatch::Add(const schema::RecordType& type, PendingRow row) {
  first_mutation_.push_back(mutations_.size());
  changes_.push_back(AppendRowMutations(type, row.row, row.existing ? &*row.existing : nullptr,
                                        refs_, mutations_));
  rows_.push_back(std::move(row));
}

BatchOutcome CommitBatch(Replica& replica, const schema::RecordType& type, PendingBatch& batch) {
  BatchOutcome out;
  std::vector<PendingRow>& rows = batch.rows_;
  while (!rows.empty()) {
    const absl::Status applied =
        batch.mutations_.empty() ? absl::OkStatus() : replica.Apply(batch.mutations_).status();
    if (applied.ok()) {
      for (size_t i = 0; i < rows.size(); ++i) Count(out, rows[i], batch.changes_[i]);
      return out;
    }
    if (!IsRowError(applied)) {
      out.status = applied;
      return out;
    }
    if (std::optional<size_t> bad = MutationIndex(applied.message())) {
      const auto& first = batch.first_mutation_;
      const size_t row = std::upper_bound(first.begin(), first.end(), *bad) - first.begin() - 1;
      Refuse(out, rows[row], applied);
      rows.erase(rows.begin() + row);
      // The "@N" references of the rows after it have moved: plan the rest again.
      PendingBatch rest;
      for (PendingRow& p : rows) rest.Add(type, std::move(p));
      batch = std::move(rest);
      continue;
    }
    // The batch failed as a whole (a required field is checked after the last mutation):
    // commit the rows one at a time to find which.
    for (PendingRow& p : rows) {
      PendingBatch one;
      one.Add(type, std::move(p));
      const PendingRow& row = one.rows_.front();
      const absl::Status s =
          one.mutations_.empty() ? absl::OkStatus() : replica.Apply(one.mutations_).status();
      if (s.ok()) {
        Count(out, row, one.changes_.front());
      } else if (IsRowError(s)) {
        Refuse(out, row, s);
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
