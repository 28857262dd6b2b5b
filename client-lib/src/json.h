// Minimal JSON output for the C API: string escaping (UTF-8 passed through, control characters
// and quotes escaped) and the JSON form of record views and values. Internal; pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rapport/record_view.h"
#include "rapport/value.h"

namespace rapport::internal {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view text);
// null, string, number, true/false; dates as "YYYY-MM-DD", enums as their symbol string,
// timestamps as integer milliseconds.
void AppendJsonValue(std::string& out, const Value& value);
std::string JsonStringArray(const std::vector<std::string>& items);
// {"id":..,"type":..,"deleted":..,"erased":..,"values":{name:{"value":..,"conflicts":[..]}},
//  "counters":{..},"sets":{name:[..]},"timelines":{name:[{"id","occurred_at","retracted",
//  "fields"}]},"maps":{name:{key:{field:{"value","conflicts"}}}}}
std::string RecordViewJson(const RecordView& view);

}  // namespace rapport::internal
