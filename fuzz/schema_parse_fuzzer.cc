// libFuzzer target: schema files (protobuf text format) through Schema::Parse, which also checks
// them. A schema comes from an operator's file, but rapportd and every device parse it at start,
// so any input must give a schema or an error, never a crash or a hang. A schema that parses must
// hash deterministically and parse again from the same text to the same hash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/schema/schema.h"
#include "google/protobuf/stubs/logging.h"

// Protobuf logs every invalid UTF-8 string it meets; fuzzed text is full of them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schema = rapport::schema::Schema::Parse(text);
  if (!schema.ok()) return 0;
  auto again = rapport::schema::Schema::Parse(text);
  if (!again.ok() || again->Hash() != schema->Hash()) {
    std::fprintf(stderr, "schema_parse_fuzzer: parsing the same text twice differs\n");
    std::abort();
  }
  return 0;
}
