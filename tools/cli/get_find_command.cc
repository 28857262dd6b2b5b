#include "tools/cli/get_find_command.h"

#include <iostream>
#include <memory>

#include "core/status_macros.h"
#include "tools/cli/command_common.h"
#include "tools/cli/query_expression.h"
#include "tools/cli/record_json.h"
#include "tools/cli/record_lookup.h"
#include "tools/cli/record_printer.h"
#include "tools/cli/record_source.h"
#include "tools/cli/text_table.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {
namespace {

struct GetFlags {
  StoreFlags store;
  std::string id;
  std::string key;
};

struct FindFlags {
  StoreFlags store;
  std::string expression;
};

absl::Status RunGet(const GetFlags& flags) {
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(RecordView record, LookUpRecord(*replica, type->name(), flags.id, flags.key));
  if (flags.store.json) {
    std::cout << RecordToJson(*type, record, /*with_conflicts=*/true).Serialize() << "\n";
  } else {
    PrintRecord(*type, record, std::cout);
  }
  return absl::OkStatus();
}

std::string Shown(const RecordView& record, const std::string& field) {
  auto it = record.values.find(field);
  return it == record.values.end() ? "" : FormatValueText(it->second.displayed);
}

absl::Status RunFind(const FindFlags& flags) {
  ASSIGN_OR_RETURN(schema::Schema schema, LoadSchema(flags.store));
  ASSIGN_OR_RETURN(const schema::RecordType* type, FindRecordType(schema, flags.store.type));
  ASSIGN_OR_RETURN(Query query, ParseQueryExpression(*type, flags.expression));
  ASSIGN_OR_RETURN(std::unique_ptr<Replica> replica, OpenStore(flags.store, false));
  ASSIGN_OR_RETURN(std::vector<RecordView> records, LoadRecords(*replica, type->name(), query));
  if (flags.store.json) {
    JsonValue::Array out;
    for (const RecordView& r : records) out.push_back(RecordToJson(*type, r, true));
    std::cout << JsonValue(std::move(out)).Serialize() << "\n";
    return absl::OkStatus();
  }
  TextTable table({"id", "name", "external_key", "city", "lifecycle_stage"});
  for (const RecordView& r : records) {
    table.AddRow({r.id, Shown(r, "name"), Shown(r, "external_key"), Shown(r, "city"),
                  Shown(r, "lifecycle_stage")});
  }
  table.Print(std::cout);
  std::cout << records.size() << " record(s)\n";
  return absl::OkStatus();
}

}  // namespace

void AddGetCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<GetFlags>();
  CLI::App* cmd = app.add_subcommand("get", "Show one record, with any open conflicts");
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("ID", flags->id, "Record id (26 characters)");
  cmd->add_option("--key", flags->key, "Find the record by its external_key instead");
  SetAction(cmd, exit_code, [flags] { return RunGet(*flags); });
}

void AddFindCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<FindFlags>();
  CLI::App* cmd = app.add_subcommand(
      "find",
      "Find records through an index: FIELD=VALUE, FIELD^=TEXT (prefix), FIELD=LO..HI (range). "
      "Indexed fields of the customer schema: name, phone (prefix); email, city, industry, "
      "lifecycle_stage, loyalty_stage, value_tier, owner, territory, branch, external_key, "
      "membership_level (exact); birthday, next_follow_up, last_interaction_at, loyalty_points, "
      "lifetime_value_cents (range); tags (set)");
  AddStoreFlags(cmd, &flags->store);
  cmd->add_option("EXPR", flags->expression, "The query, e.g. city=杭州 or name^=wang")->required();
  SetAction(cmd, exit_code, [flags] { return RunFind(*flags); });
}

}  // namespace rapport::cli
