#include "tools/cli/edit_command.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"
#include "tools/cli/command_common.h"
#include "tools/cli/json_value.h"
#include "tools/cli/record_lookup.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

struct EditFlags {
  StoreFlags store;
  std::string id;
  std::string key;
  std::vector<std::string> sets;        // FIELD=VALUE
  std::vector<std::string> tags;        // element
  std::vector<std::string> untags;      // element
  std::vector<std::string> increments;  // FIELD=N
  int64_t points = 0;
  std::string log_kind;
  std::string summary;
  std::string at;
  std::string author;
  std::vector<std::string> entry_fields;  // FIELD=VALUE of the logged entry
  std::vector<std::string> contacts;      // KEY.FIELD=VALUE
  bool delete_record = false;
  bool undelete_record = false;
};

absl::StatusOr<std::pair<std::string, std::string>> SplitAssignment(const std::string& text,
                                                                    std::string_view option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(option), " expects FIELD=VALUE, got \"", text, "\""));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::StatusOr<std::vector<Mutation>> BuildMutations(const schema::RecordType& type,
                                                     const EditFlags& flags,
                                                     const std::string& id) {
  std::vector<Mutation> out;
  for (const std::string& assignment : flags.sets) {
    ASSIGN_OR_RETURN(auto kv, SplitAssignment(assignment, "--set"));
    const schema::FieldSpec* spec = type.FindField(kv.first);
    if (spec == nullptr || spec->kind() != crdt::FieldKind::kValue) {
      return absl::InvalidArgumentError(
          absl::StrCat("--set: \"", kv.first, "\" is not a value field of \"", type.name(), "\""));
    }
    ASSIGN_OR_RETURN(Value value, ParseValueText(*spec, kv.second));
    out.push_back(Mutation::Set(id, kv.first, std::move(value)));
  }
  for (const std::string& tag : flags.tags) out.push_back(Mutation::AddElement(id, "tags", tag));
  for (const std::string& tag : flags.untags) {
    out.push_back(Mutation::RemoveElement(id, "tags", tag));
  }
  for (const std::string& assignment : flags.increments) {
    ASSIGN_OR_RETURN(auto kv, SplitAssignment(assignment, "--increment"));
    int64_t amount = 0;
    if (!absl::SimpleAtoi(kv.second, &amount)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--increment: \"", kv.second, "\" is not a whole number"));
    }
    out.push_back(Mutation::Increment(id, kv.first, amount));
  }
  if (flags.points != 0) out.push_back(Mutation::Increment(id, "loyalty_points", flags.points));
  if (!flags.log_kind.empty()) {
    const schema::FieldSpec* timeline = type.FindField("interactions");
    if (timeline == nullptr) return absl::InvalidArgumentError("the type has no interactions");
    Timestamp at{std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count()};
    if (!flags.at.empty()) {
      ASSIGN_OR_RETURN(at, ParseTimestamp(flags.at));
    }
    std::vector<FieldValue> values = {{"kind", EnumValue{flags.log_kind}}};
    if (!flags.summary.empty()) values.emplace_back("summary", flags.summary);
    if (const std::string author = AuthorOr(flags.author); !author.empty()) {
      values.emplace_back("author", author);
    }
    for (const std::string& assignment : flags.entry_fields) {
      ASSIGN_OR_RETURN(auto kv, SplitAssignment(assignment, "--entry-field"));
      const schema::FieldSpec* sub = timeline->sub_fields().Find(kv.first);
      if (sub == nullptr || sub->implicit()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--entry-field: \"", kv.first, "\" is not a field of an interaction"));
      }
      ASSIGN_OR_RETURN(Value value, ParseValueText(*sub, kv.second));
      values.emplace_back(kv.first, std::move(value));
    }
    out.push_back(Mutation::AppendEntry(id, "interactions", at, std::move(values)));
  }
  for (const std::string& assignment : flags.contacts) {
    ASSIGN_OR_RETURN(auto kv, SplitAssignment(assignment, "--contact"));
    const size_t dot = kv.first.rfind('.');
    const schema::FieldSpec* contacts = type.FindField("contacts");
    const schema::FieldSpec* sub = contacts != nullptr && dot != std::string::npos
                                       ? contacts->sub_fields().Find(kv.first.substr(dot + 1))
                                       : nullptr;
    if (sub == nullptr || dot == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--contact expects KEY.FIELD=VALUE with FIELD one of the contact fields (name, role, "
          "phone, email, birthday, removed), got \"",
          assignment, "\""));
    }
    ASSIGN_OR_RETURN(Value value, ParseValueText(*sub, kv.second));
    out.push_back(Mutation::SetInMap(id, absl::StrCat("contacts.", sub->name()),
                                     kv.first.substr(0, dot), std::move(value)));
  }
  if (flags.delete_record) out.push_back(Mutation::Delete(id));
  if (flags.undelete_record) out.push_back(Mutation::Undelete(id));
  if (out.empty()) {
    return absl::InvalidArgumentError(
        "nothing to change: give --set, --tag, --untag, --increment, --points, --log, "
        "--contact, --delete or --undelete");
  }
  return out;
}

absl::Status RunEdit(const EditFlags& flags) {
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false, flags.author));
  ASSIGN_OR_RETURN(RecordView record, LookUpRecord(*replica, type->name(), flags.id, flags.key));
  ASSIGN_OR_RETURN(std::vector<Mutation> mutations, BuildMutations(*type, flags, record.id));
  ASSIGN_OR_RETURN(ChangeSummary summary, replica->Apply(mutations));
  if (flags.store.json) {
    JsonValue out;
    out.Set("id", record.id);
    out.Set("changes", static_cast<uint64_t>(mutations.size()));
    JsonValue::Array entries;
    for (const std::string& e : summary.entries) entries.emplace_back(e);
    out.Set("entries", JsonValue(std::move(entries)));
    std::cout << out.Serialize() << "\n";
  } else {
    std::cout << "updated " << record.id << ": " << mutations.size() << " change(s)\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddEditCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<EditFlags>();
  CLI::App* cmd = app.add_subcommand(
      "edit", "Change one record: set fields, tags, points, log an interaction (one atomic batch)");
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("ID", flags->id, "Record id");
  cmd->add_option("--key", flags->key, "Find the record by its external_key instead");
  cmd->add_option("--set", flags->sets, "FIELD=VALUE of a value field (empty VALUE clears it)");
  cmd->add_option("--tag", flags->tags, "Add a tag");
  cmd->add_option("--untag", flags->untags, "Remove a tag");
  cmd->add_option("--increment", flags->increments, "FIELD=N: move a counter by N (may be < 0)");
  cmd->add_option("--points", flags->points, "Add N loyalty points (negative to redeem)");
  cmd->add_option("--log", flags->log_kind,
                  "Log an interaction of this kind (visit, call, order, complaint, survey, ...)");
  cmd->add_option("--summary", flags->summary, "Summary of the logged interaction");
  cmd->add_option("--at", flags->at, "When it happened, YYYY-MM-DDTHH:MM:SSZ (default: now)");
  cmd->add_option("--author", flags->author,
                  "Who makes the edit: the logged interaction's author and that of the stage "
                  "history (default: $RAPPORT_AUTHOR)");
  cmd->add_option("--entry-field", flags->entry_fields,
                  "FIELD=VALUE of the logged interaction (e.g. perceived_score=80)");
  cmd->add_option("--contact", flags->contacts,
                  "KEY.FIELD=VALUE of a contact person, e.g. c1.phone=+86 138 0000 0000");
  cmd->add_flag("--delete", flags->delete_record, "Delete the record (reversible)");
  cmd->add_flag("--undelete", flags->undelete_record, "Undelete the record");
  SetAction(cmd, exit_code, [flags] { return RunEdit(*flags); });
}

}  // namespace rapport::cli
