#include "tools/cli/conflicts_command.h"

#include <iostream>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/json_value.h"
#include "tools/cli/record_lookup.h"
#include "tools/cli/text_table.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

struct ConflictFlags {
  StoreFlags store;
  std::string id;
  std::string key;
  std::string field;
  int choose = -1;
  std::string value;
  bool has_value = false;
};

// One conflicted value: where it is and its siblings, displayed first.
struct Conflict {
  std::string path;  // "phone", "interactions[<entry>].summary", "contacts[boss].phone"
  std::vector<Value> siblings;
};

std::vector<Conflict> ConflictsOf(const RecordView& record) {
  std::vector<Conflict> out;
  auto add = [&](const std::string& path, const ValueView& view) {
    if (view.conflicts.empty()) return;
    Conflict c{path, {view.displayed}};
    c.siblings.insert(c.siblings.end(), view.conflicts.begin(), view.conflicts.end());
    out.push_back(std::move(c));
  };
  for (const auto& [name, view] : record.values) add(name, view);
  for (const auto& [name, entries] : record.timelines) {
    for (const EntryView& e : entries) {
      for (const auto& [sub, view] : e.fields) add(absl::StrCat(name, "[", e.id, "].", sub), view);
    }
  }
  for (const auto& [name, entries] : record.maps) {
    for (const auto& [key, fields] : entries) {
      for (const auto& [sub, view] : fields) add(absl::StrCat(name, "[", key, "].", sub), view);
    }
  }
  return out;
}

JsonValue ConflictsJson(const RecordView& record) {
  JsonValue out;
  out.Set("id", record.id);
  JsonValue::Array conflicts;
  for (const Conflict& c : ConflictsOf(record)) {
    JsonValue item;
    item.Set("field", c.path);
    JsonValue::Array siblings;
    for (const Value& v : c.siblings) siblings.push_back(FormatValueJson(v));
    item.Set("siblings", JsonValue(std::move(siblings)));
    conflicts.push_back(std::move(item));
  }
  out.Set("conflicts", JsonValue(std::move(conflicts)));
  return out;
}

absl::Status RunList(const ConflictFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   replica->ListConflicts(std::numeric_limits<size_t>::max()));
  JsonValue::Array items;
  TextTable table({"id", "name", "fields in conflict"});
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(std::optional<RecordView> record, replica->Get(id));
    if (!record.has_value()) continue;
    if (flags.store.json) {
      items.push_back(ConflictsJson(*record));
      continue;
    }
    std::string fields;
    for (const Conflict& c : ConflictsOf(*record)) fields += (fields.empty() ? "" : ", ") + c.path;
    auto name = record->values.find("name");
    table.AddRow(
        {id, name == record->values.end() ? "" : FormatValueText(name->second.displayed), fields});
  }
  if (flags.store.json) {
    std::cout << JsonValue(std::move(items)).Serialize() << "\n";
  } else {
    table.Print(std::cout);
    std::cout << ids.size() << " record(s) in conflict\n";
  }
  return absl::OkStatus();
}

absl::Status RunShow(const ConflictFlags& flags) {
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(RecordView record,
                   LookUpRecord(*replica, flags.store.type, flags.id, flags.key));
  if (flags.store.json) {
    std::cout << ConflictsJson(record).Serialize() << "\n";
    return absl::OkStatus();
  }
  const std::vector<Conflict> conflicts = ConflictsOf(record);
  if (conflicts.empty()) std::cout << record.id << ": no conflict\n";
  for (const Conflict& c : conflicts) {
    std::cout << c.path << ":\n";
    for (size_t i = 0; i < c.siblings.size(); ++i) {
      std::cout << "  [" << i << "] " << FormatValueText(c.siblings[i])
                << (i == 0 ? "   (displayed)" : "") << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunResolve(const ConflictFlags& flags) {
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(RecordView record, LookUpRecord(*replica, type->name(), flags.id, flags.key));
  const schema::FieldSpec* spec = type->FindField(flags.field);
  if (spec == nullptr || spec->kind() != crdt::FieldKind::kValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("--field \"", flags.field,
                     "\" is not a top-level value field; conflicts inside "
                     "interactions or contacts are resolved with `rapport edit`"));
  }
  if ((flags.choose >= 0) == flags.has_value) {
    return absl::InvalidArgumentError("give exactly one of --choose N and --value V");
  }
  Value value;
  if (flags.has_value) {
    ASSIGN_OR_RETURN(value, ParseValueText(*spec, flags.value));
  } else {
    auto it = record.values.find(flags.field);
    if (it == record.values.end() || it->second.conflicts.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "record ", record.id, ": field \"", flags.field, "\" has no conflict to choose from"));
    }
    const size_t n = static_cast<size_t>(flags.choose);
    if (n > it->second.conflicts.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--choose ", n, ": the field has siblings 0 to ", it->second.conflicts.size()));
    }
    value = n == 0 ? it->second.displayed : it->second.conflicts[n - 1];
  }
  RETURN_IF_ERROR(replica->ResolveConflict(record.id, flags.field, value));
  if (flags.store.json) {
    JsonValue out;
    out.Set("id", record.id);
    out.Set("field", flags.field);
    out.Set("value", FormatValueJson(value));
    std::cout << out.Serialize() << "\n";
  } else {
    std::cout << "resolved " << record.id << " " << flags.field << " = " << FormatValueText(value)
              << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddConflictsCommand(CLI::App& app, int* exit_code) {
  CLI::App* conflicts =
      app.add_subcommand("conflicts", "List, show and resolve conflicting concurrent edits");
  conflicts->require_subcommand(1);

  auto list_flags = std::make_shared<ConflictFlags>();
  CLI::App* list = conflicts->add_subcommand("list", "Records with an open conflict");
  AddStoreFlags(list, &list_flags->store);
  SetAction(list, exit_code, [list_flags] { return RunList(*list_flags); });

  auto show_flags = std::make_shared<ConflictFlags>();
  CLI::App* show = conflicts->add_subcommand("show", "A record's conflicts, siblings numbered");
  AddStoreFlags(show, &show_flags->store);
  show->add_option("ID", show_flags->id, "Record id");
  show->add_option("--key", show_flags->key, "Find the record by its external_key instead");
  SetAction(show, exit_code, [show_flags] { return RunShow(*show_flags); });

  auto resolve_flags = std::make_shared<ConflictFlags>();
  CLI::App* resolve = conflicts->add_subcommand(
      "resolve", "Close a conflict by choosing sibling N (see `show`) or writing a new value");
  AddStoreFlags(resolve, &resolve_flags->store);
  resolve->add_option("ID", resolve_flags->id, "Record id");
  resolve->add_option("--key", resolve_flags->key, "Find the record by its external_key instead");
  resolve->add_option("--field", resolve_flags->field, "The conflicted field")->required();
  resolve->add_option("--choose", resolve_flags->choose, "Keep sibling N (0 = displayed)");
  resolve->add_option("--value", resolve_flags->value, "Write this value instead")
      ->each([resolve_flags](const std::string&) { resolve_flags->has_value = true; });
  SetAction(resolve, exit_code, [resolve_flags] { return RunResolve(*resolve_flags); });
}

}  // namespace rapport::cli
