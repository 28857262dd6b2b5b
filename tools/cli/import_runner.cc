#include "tools/cli/import_runner.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/crdt/record_id.h"
#include "core/status_macros.h"
#include "tools/cli/batch_commit.h"
#include "tools/cli/field_mapping.h"
#include "tools/cli/import_plan.h"

namespace rapport::cli {
namespace {

class Importer {
 public:
  Importer(Replica& replica, const schema::RecordType& type, const ImportOptions& options,
           ImportSummary& summary)
      : replica_(replica), type_(type), options_(options), summary_(summary) {}

  absl::Status Add(InputRow row) {
    ++summary_.rows;
    if (!row.issues.empty()) return Refuse(row.issues);
    std::optional<RecordView> existing;
    bool unknown_id = false;
    if (!row.data.id.empty()) {
      if (absl::StatusOr<crdt::RecordId> id = crdt::RecordId::Parse(row.data.id); !id.ok()) {
        return Refuse({{row.line, row.id_column.empty() ? "id" : row.id_column,
                        absl::StrCat(id.status().message(),
                                     "; leave the cell empty to create a new record")}});
      }
    }
    const ValueView* key = nullptr;
    if (auto it = row.data.values.find(options_.key_field); it != row.data.values.end()) {
      key = &it->second;
    }
    const std::string* key_text =
        key != nullptr ? std::get_if<std::string>(&key->displayed) : nullptr;
    if (key_text != nullptr && !key_text->empty()) {
      auto [seen, fresh] = key_lines_.emplace(*key_text, row.line);
      if (!fresh) {
        return Refuse(
            {{row.line, options_.key_field,
              absl::StrCat(options_.key_field, " \"", *key_text, "\" repeats the key of line ",
                           seen->second, "; each key may appear once per file")}});
      }
      ASSIGN_OR_RETURN(existing, FindByKey(*key_text));
    } else if (!row.data.id.empty()) {
      if (!id_lines_.emplace(row.data.id, row.line).second) {
        return Refuse(
            {{row.line, "id", absl::StrCat("id ", row.data.id, " repeats an earlier row")}});
      }
      ASSIGN_OR_RETURN(existing, replica_.Get(row.data.id));
      // Record ids cannot be chosen, so a row from another store's export becomes a new
      // record with a new id; the summary counts such rows so a mistyped id is noticed.
      unknown_id = !existing.has_value();
    }
    if (existing.has_value() && (existing->deleted || existing->erased)) {
      return Refuse(
          {{row.line, "",
            absl::StrCat("record ", existing->id, existing->erased ? " is erased" : " is deleted",
                         "; undelete it before re-importing")}});
    }
    CheckRow(type_, !existing.has_value(), row);
    if (!row.issues.empty()) return Refuse(row.issues);
    pending_.Add(type_, {std::move(row), std::move(existing), unknown_id});
    if (pending_.size() >= options_.batch_size) return Flush();
    return absl::OkStatus();
  }

  // Hands the pending rows to a worker thread that commits them while the next batch is read,
  // after collecting the batch before it (one batch in flight: memory stays bounded). The
  // committing thread is the import's bottleneck, so a batch is planned before and destroyed
  // after it on this thread.
  absl::Status Flush() {
    RETURN_IF_ERROR(Join());
    if (pending_.empty()) return absl::OkStatus();
    committing_ = std::move(pending_);  // destroys the batch committed before, here
    pending_ = PendingBatch();
    in_flight_ =
        std::async(std::launch::async, [&replica = replica_, &type = type_, &batch = committing_] {
          return CommitBatch(replica, type, batch);
        });
    return absl::OkStatus();
  }

  // Waits for the batch in flight and adds up what it did.
  absl::Status Join() {
    if (!in_flight_.valid()) return absl::OkStatus();
    BatchOutcome outcome = in_flight_.get();
    summary_.imported += outcome.imported;
    summary_.updated += outcome.updated;
    summary_.unchanged += outcome.unchanged;
    summary_.refused += outcome.refused;
    summary_.unknown_ids += outcome.unknown_ids;
    summary_.issues.insert(summary_.issues.end(), outcome.issues.begin(), outcome.issues.end());
    return outcome.status;
  }

 private:
  absl::StatusOr<std::optional<RecordView>> FindByKey(const std::string& key) {
    Query q = Query::Equals(options_.key_field, key);
    q.type = type_.name();
    q.limit = 2;
    ASSIGN_OR_RETURN(QueryResult result, replica_.Query(q));
    if (result.ids.empty()) return std::optional<RecordView>();
    ASSIGN_OR_RETURN(std::optional<RecordView> record, replica_.Get(result.ids.front()));
    return record;
  }

  absl::Status Refuse(const std::vector<RowIssue>& issues) {
    ++summary_.refused;
    summary_.issues.insert(summary_.issues.end(), issues.begin(), issues.end());
    return absl::OkStatus();
  }

  Replica& replica_;
  const schema::RecordType& type_;
  const ImportOptions& options_;
  ImportSummary& summary_;
  PendingBatch pending_;
  PendingBatch committing_;  // the batch in flight: only its worker touches it until Join
  std::future<BatchOutcome> in_flight_;
  std::map<std::string, int> key_lines_;
  std::map<std::string, int> id_lines_;
};

}  // namespace

absl::StatusOr<InputFormat> ParseFormatName(const std::string& name) {
  if (name == "csv") return InputFormat::kCsv;
  if (name == "jsonl" || name == "ndjson") return InputFormat::kJsonLines;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", name, "\"; use csv or jsonl"));
}

absl::StatusOr<InputFormat> FormatOfPath(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".csv")) return InputFormat::kCsv;
  if (absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".ndjson")) {
    return InputFormat::kJsonLines;
  }
  return absl::InvalidArgumentError(absl::StrCat("cannot tell the format of \"", path,
                                                 "\" from its extension; pass --format csv|jsonl"));
}

absl::StatusOr<ImportSummary> RunImport(Replica& replica, const schema::RecordType& type,
                                        const ImportOptions& options, ProgressMeter& progress) {
  const auto start = std::chrono::steady_clock::now();
  // The key column finds the record a row updates through the key field's index; a type
  // without the field simply has no re-import key.
  if (const schema::FieldSpec* key = type.FindField(options.key_field);
      key != nullptr && key->index() != schema::IndexKind::kExact) {
    return absl::InvalidArgumentError(absl::StrCat("type \"", type.name(), "\": key field \"",
                                                   options.key_field, "\" needs an EXACT index"));
  }
  FieldMapping mapping;
  if (!options.mapping_path.empty()) {
    ASSIGN_OR_RETURN(mapping, FieldMapping::Load(options.mapping_path));
  }
  ASSIGN_OR_RETURN(const std::string text, ReadFileText(options.path));
  std::unique_ptr<RowSource> rows;
  if (options.format == InputFormat::kCsv) {
    ASSIGN_OR_RETURN(rows, OpenCsvRows(text, type, mapping));
  } else {
    ASSIGN_OR_RETURN(rows, OpenJsonLinesRows(text, type, mapping));
  }
  ImportSummary summary;
  Importer importer(replica, type, options, summary);
  InputRow row;
  while (rows->Next(row)) {
    RETURN_IF_ERROR(importer.Add(std::move(row)));
    progress.Update(summary.rows, rows->fraction_done());
  }
  RETURN_IF_ERROR(importer.Flush());
  RETURN_IF_ERROR(importer.Join());
  progress.Finish(summary.rows);
  std::stable_sort(summary.issues.begin(), summary.issues.end(),
                   [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace rapport::cli
