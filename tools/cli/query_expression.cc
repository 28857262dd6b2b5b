#include "tools/cli/query_expression.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tools/cli/value_text.h"

namespace rapport::cli {

absl::StatusOr<Query> ParseQueryExpression(const schema::RecordType& type,
                                           const std::string& expression) {
  const size_t eq = expression.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("query \"", expression, "\" is not FIELD=VALUE, FIELD^=TEXT or FIELD=LO..HI"));
  }
  const bool prefix = expression[eq - 1] == '^';
  const std::string field = expression.substr(0, prefix ? eq - 1 : eq);
  const std::string text = expression.substr(eq + 1);
  const schema::FieldSpec* spec = type.FindField(field);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: type \"", type.name(), "\" has no field \"", field, "\""));
  }
  if (spec->index() == schema::IndexKind::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: field \"", field,
                     "\" is not indexed; indexed fields are listed by "
                     "`rapport find --help`"));
  }
  Query q;
  q.type = type.name();
  if (prefix) {
    q = Query::Prefix(field, text);
  } else if (spec->kind() == crdt::FieldKind::kSet) {
    q = Query::HasTag(field, text);
  } else if (spec->kind() == crdt::FieldKind::kCounter) {
    const size_t dots = text.find("..");
    auto number = [&](const std::string& t) -> absl::StatusOr<Value> {
      if (t.empty()) return Value{};
      int64_t n = 0;
      if (!absl::SimpleAtoi(t, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("query: counter \"", field, "\" expects whole numbers, got \"", t, "\""));
      }
      return Value{n};
    };
    if (dots == std::string::npos) {
      ASSIGN_OR_RETURN(Value v, number(text));
      q = Query::Equals(field, v);
    } else {
      ASSIGN_OR_RETURN(Value lo, number(text.substr(0, dots)));
      ASSIGN_OR_RETURN(Value hi, number(text.substr(dots + 2)));
      q = Query::Range(field, lo, hi);
    }
  } else if (spec->index() == schema::IndexKind::kRange && text.find("..") != std::string::npos) {
    const size_t dots = text.find("..");
    ASSIGN_OR_RETURN(Value lo, ParseValueText(*spec, text.substr(0, dots)));
    ASSIGN_OR_RETURN(Value hi, ParseValueText(*spec, text.substr(dots + 2)));
    q = Query::Range(field, lo, hi);
  } else {
    ASSIGN_OR_RETURN(Value v, ParseValueText(*spec, text));
    q = Query::Equals(field, v);
  }
  q.type = type.name();
  return q;
}

absl::StatusOr<std::vector<std::string>> AllMatches(const Replica& replica, Query query) {
  std::vector<std::string> ids;
  query.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(QueryResult page, replica.Query(query));
    ids.insert(ids.end(), page.ids.begin(), page.ids.end());
    if (page.next_cursor.empty()) return ids;
    query.cursor = page.next_cursor;
  }
}

}  // namespace rapport::cli
