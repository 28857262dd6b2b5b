// Internal: the text of schemas/customer.textproto, embedded at build time
// (default_schema_text.cc.in, see CMakeLists.txt), so Schema::DefaultCustomer() needs no file.
#pragma once

#include <string_view>

namespace rapport::schema::internal {

extern const std::string_view kDefaultCustomerSchemaText;

}  // namespace rapport::schema::internal
