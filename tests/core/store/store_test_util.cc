#include "tests/core/store/store_test_util.h"

#include <fstream>
#include <sstream>

namespace rapport::store::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

crdt::Scalar ValueOf(const crdt::Record& record, crdt::FieldId field) {
  const crdt::Field* f = record.fields().Find(field);
  if (f == nullptr || f->As<crdt::ValueRegister>() == nullptr) return {};
  return f->As<crdt::ValueRegister>()->Displayed();
}

IndexExtractor TestIndexes() {
  return [](const crdt::Record& record) {
    std::vector<IndexEntry> out;
    const crdt::Scalar name = ValueOf(record, kName);
    if (const auto* text = std::get_if<std::string>(&name)) out.push_back({"name", *text});
    if (const crdt::Field* tags = record.fields().Find(kTags)) {
      if (const auto* set = tags->As<crdt::OrSet>()) {
        for (const auto& element : set->elements()) out.push_back({"tags", element.value});
      }
    }
    return out;
  };
}

StoreOptions TestOptions(const uint64_t* now_ms) {
  StoreOptions options;
  options.indexes = TestIndexes();
  options.wall_clock_ms = [now_ms] { return *now_ms; };
  return options;
}

}  // namespace rapport::store::testing
