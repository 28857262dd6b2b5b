// libFuzzer target: `rapport import` of a CSV file, from the bytes to the store. An input is an
// optional mapping file (`column,field` CSV lines, docs/cli.md) ended by a form feed (\f), then
// the CSV file; without a form feed it is all CSV.
//  - The CSV reader (on the CSV part): every input is read to its end in bounded steps (each
//    record consumes input), each record is either well formed or carries an error naming a
//    field that exists, line numbers never go back, and every well-formed record written back
//    with the CSV writer reads back as the same fields.
//  - The import (the default customer schema, through the mapping): a mapping or header is
//    refused only as InvalidArgument; each row's issues name its line; every value a cell is
//    coerced to (dates, timestamps, numbers, enums, bools) reads back the same from its own
//    text form, and every timeline value from its JSON form; a row the checks accept is stored
//    by Replica::Apply or refused as a rule violation, never with another error; and importing
//    a row again onto the record it made — or onto the record of the row before, after it
//    updated that one — changes nothing (the re-import rule of docs/cli.md).
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/schema/schema.h"
#include "rapport/replica.h"
#include "tools/cli/csv_reader.h"
#include "tools/cli/csv_writer.h"
#include "tools/cli/field_mapping.h"
#include "tools/cli/import_plan.h"
#include "tools/cli/input_rows.h"
#include "tools/cli/value_text.h"

namespace {

using rapport::cli::InputRow;

// Rows imported per input, so one input stays fast however many lines it has.
constexpr int kMaxRows = 8;

void Check(bool ok, const char* law, int line = 0) {
  if (ok) return;
  std::fprintf(stderr, "csv_import: %s (line %d)\n", law, line);
  std::abort();
}

// One replica per process, in a scratch directory removed at exit. In /dev/shm when there is
// one: the store commits durably, and fsync on a disk would make every input slow.
class ScratchReplica {
 public:
  static ScratchReplica& Get() {
    static ScratchReplica store;
    return store;
  }
  rapport::Replica& replica() { return *replica_; }

 private:
  ScratchReplica() {
    const char* base = getenv("TMPDIR");
    std::string dir = std::filesystem::is_directory("/dev/shm")
                          ? "/dev/shm"
                          : (base != nullptr && *base != '\0' ? base : "/tmp");
    std::string pattern = dir + "/rapport-fuzz-import-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Check(false, "mkdtemp failed");
    dir_ = pattern;
    auto replica = rapport::Replica::Open(dir_);
    Check(replica.ok(), "the scratch replica opens");
    replica_ = *std::move(replica);
  }
  ~ScratchReplica() {
    replica_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
  std::unique_ptr<rapport::Replica> replica_;
};

void CheckReader(std::string_view text) {
  rapport::cli::CsvReader reader(text);
  rapport::cli::CsvRecord record;
  int last_line = 0;
  size_t last_position = 0;
  while (reader.Next(record)) {
    Check(reader.position() > last_position, "every record consumes input");
    Check(reader.position() <= reader.size(), "the reader stays inside the text");
    last_position = reader.position();
    Check(record.line >= last_line && record.line >= 1, "line numbers start at 1 and grow");
    last_line = record.line;
    if (!record.error.empty()) {
      Check(record.error_field >= 1, "a malformed record names the field (1-based)");
      continue;
    }
    // Round trip: written back and read again, the fields are the same.
    std::string written;
    rapport::cli::AppendCsvRecord(written, record.fields);
    rapport::cli::CsvReader again(written);
    rapport::cli::CsvRecord reread;
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (blank) continue;  // a lone empty field is a blank line, which the reader skips
    Check(again.Next(reread), "a written record reads back");
    Check(reread.error.empty(), "a written record is well formed");
    Check(reread.fields == record.fields, "a written record reads back as the same fields");
  }
}

// The mapping file's text through FieldMapping::Load, which reads a path: a memory file.
std::optional<rapport::cli::FieldMapping> LoadMapping(std::string_view text) {
  const int fd = memfd_create("mapping", MFD_CLOEXEC);
  if (fd < 0) return std::nullopt;
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  auto mapping = rapport::cli::FieldMapping::Load("/proc/self/fd/" + std::to_string(fd));
  close(fd);
  if (!mapping.ok()) {
    Check(mapping.status().code() == absl::StatusCode::kInvalidArgument,
          "a bad mapping file is refused as InvalidArgument");
    return std::nullopt;
  }
  return *std::move(mapping);
}

// Every coerced value reads back the same from its text (cells) or JSON (timeline) form.
void CheckCoercions(const rapport::schema::RecordType& type, const InputRow& row) {
  for (const auto& [name, view] : row.data.values) {
    const rapport::schema::FieldSpec* spec = type.FindField(name);
    if (spec == nullptr || rapport::IsNull(view.displayed)) continue;
    auto again = rapport::cli::ParseValueText(*spec, rapport::cli::FormatValueText(view.displayed));
    Check(again.ok() && *again == view.displayed, "a coerced value reads back from its text",
          row.line);
  }
  for (const auto& [name, entries] : row.data.timelines) {
    const rapport::schema::FieldSpec* spec = type.FindField(name);
    if (spec == nullptr) continue;
    for (const rapport::EntryView& entry : entries) {
      for (const auto& [sub, view] : entry.fields) {
        const rapport::schema::FieldSpec* sub_spec = spec->sub_fields().Find(sub);
        if (sub_spec == nullptr || rapport::IsNull(view.displayed)) continue;
        auto again =
            rapport::cli::ParseValueJson(*sub_spec, rapport::cli::FormatValueJson(view.displayed));
        Check(again.ok() && *again == view.displayed,
              "a timeline value reads back from its JSON form", row.line);
      }
    }
  }
}

// Applies `mutations`; the id of the record they made or changed, or nullopt if the store
// refused them as breaking a rule.
std::optional<std::string> Commit(const std::vector<rapport::Mutation>& mutations,
                                  const std::string& existing, int line) {
  auto done = ScratchReplica::Get().replica().Apply(mutations);
  if (!done.ok()) {
    const absl::StatusCode code = done.status().code();
    Check(code == absl::StatusCode::kInvalidArgument ||
              code == absl::StatusCode::kFailedPrecondition ||
              code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kOutOfRange,
          "a checked row is stored or refused as a rule violation", line);
    return std::nullopt;
  }
  if (!existing.empty()) return existing;
  Check(done->created.size() == 1, "a new row makes one record", line);
  return done->created[0];
}

// Importing `row` again onto record `id` needs no change.
void CheckReimportChangesNothing(const rapport::schema::RecordType& type, const InputRow& row,
                                 const std::string& id, const char* law) {
  auto view = ScratchReplica::Get().replica().Get(id);
  Check(view.ok() && view->has_value(), "a stored record reads back", row.line);
  rapport::cli::BatchRefs refs;
  std::vector<rapport::Mutation> again;
  Check(!rapport::cli::AppendRowMutations(type, row, &**view, refs, again), law, row.line);
}

// `row` imported onto record `id` (made by the row before) as an update.
void CheckUpdate(const rapport::schema::RecordType& type, const InputRow& row,
                 const std::string& id) {
  InputRow update = row;
  rapport::cli::CheckRow(type, /*creating=*/false, update);
  if (!update.issues.empty()) return;
  auto view = ScratchReplica::Get().replica().Get(id);
  Check(view.ok() && view->has_value(), "a stored record reads back", row.line);
  rapport::cli::BatchRefs refs;
  std::vector<rapport::Mutation> mutations;
  if (rapport::cli::AppendRowMutations(type, update, &**view, refs, mutations) &&
      Commit(mutations, id, row.line)) {
    CheckReimportChangesNothing(type, update, id,
                                "importing a row again onto the record it updated changes nothing");
  }
}

void CheckImport(std::string_view mapping_text, std::string_view csv, bool has_mapping) {
  rapport::cli::FieldMapping mapping;
  if (has_mapping) {
    std::optional<rapport::cli::FieldMapping> loaded = LoadMapping(mapping_text);
    if (!loaded) return;
    mapping = *std::move(loaded);
  }
  const rapport::schema::RecordType* type =
      rapport::schema::Schema::DefaultCustomer().FindType("customer");
  Check(type != nullptr, "the default schema has customers");
  auto rows = rapport::cli::OpenCsvRows(csv, *type, mapping);
  if (!rows.ok()) {
    Check(rows.status().code() == absl::StatusCode::kInvalidArgument,
          "a bad header is refused as InvalidArgument");
    return;
  }
  InputRow row;
  int last_line = 0;
  std::optional<std::string> previous;  // the record the row before made
  for (int n = 0; n < kMaxRows && (*rows)->Next(row); ++n) {
    Check(row.line >= last_line && row.line >= 2, "rows follow the header in line order", row.line);
    last_line = row.line;
    for (const rapport::cli::RowIssue& issue : row.issues) {
      Check(issue.line == row.line, "a row's issue names its line", row.line);
    }
    if (!row.issues.empty()) continue;
    CheckCoercions(*type, row);

    InputRow create = row;
    rapport::cli::CheckRow(*type, /*creating=*/true, create);
    std::optional<std::string> made;
    if (create.issues.empty()) {
      rapport::cli::BatchRefs refs;
      std::vector<rapport::Mutation> mutations;
      Check(rapport::cli::AppendRowMutations(*type, create, nullptr, refs, mutations),
            "a new row always makes a change", row.line);
      made = Commit(mutations, "", row.line);
      if (made) {
        CheckReimportChangesNothing(*type, create, *made,
                                    "importing a row again onto its record changes nothing");
      }
    }
    if (previous) CheckUpdate(*type, row, *previous);
    if (made) previous = made;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t form_feed = input.find('\f');
  const bool has_mapping = form_feed != std::string_view::npos;
  const std::string_view mapping = has_mapping ? input.substr(0, form_feed) : std::string_view();
  const std::string_view csv = has_mapping ? input.substr(form_feed + 1) : input;
  CheckReader(csv);
  CheckImport(mapping, csv, has_mapping);
  return 0;
}
