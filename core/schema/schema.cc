#include "core/schema/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/schema/default_schema_text.h"
#include "core/schema/names.h"
#include "core/schema/schema_compile.h"
#include "core/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"

namespace rapport::schema {
namespace {

// Collects text-format errors with their position; the parser reports lines and columns from 0.
class PositionedErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit PositionedErrors(std::string source) : source_(std::move(source)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {}

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

void ClearDocs(rapport::v1::FieldDef* field) {
  field->clear_doc();
  for (auto& sub : *field->mutable_fields()) ClearDocs(&sub);
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Canonical bytes of what the schema means: docs cleared, deterministic serialization (fields in
// number order; the definition has no maps, so this is stable across protobuf versions).
std::string HashOf(const rapport::v1::Schema& proto) {
  rapport::v1::Schema canonical = proto;
  canonical.clear_doc();
  for (auto& type : *canonical.mutable_types()) {
    type.clear_doc();
    for (auto& field : *type.mutable_fields()) ClearDocs(&field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&out);
  }
  return absl::StrFormat("%016x", Fnv1a64(bytes));
}

absl::StatusOr<Schema> ParseNamed(std::string_view text, const std::string& source) {
  rapport::v1::Schema proto;
  google::protobuf::TextFormat::Parser parser;
  PositionedErrors errors(source);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid schema"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
  }
  return Schema::FromProto(std::move(proto));
}

}  // namespace

struct Schema::Impl {
  rapport::v1::Schema proto;
  std::vector<RecordType> types;
  std::map<std::string, size_t, std::less<>> types_by_name;
  std::string hash;
};

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "rep") return Role::kRep;
  if (name == "manager") return Role::kManager;
  if (name == "admin") return Role::kAdmin;
  if (name == "replica") return Role::kReplica;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRep:
      return "rep";
    case Role::kManager:
      return "manager";
    case Role::kAdmin:
      return "admin";
    case Role::kReplica:
      return "replica";
  }
  return "unknown";
}

const FieldSpec* FieldTable::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &fields_[it->second];
}

const FieldSpec* FieldTable::Find(crdt::FieldId number) const {
  auto it = std::lower_bound(fields_.begin(), fields_.end(), number,
                             [](const FieldSpec& f, crdt::FieldId n) { return f.number() < n; });
  return it != fields_.end() && it->number() == number ? &*it : nullptr;
}

const FieldSpec* RecordType::FindPath(std::string_view path) const {
  const FieldTable* table = &fields_;
  const FieldSpec* field = nullptr;
  while (true) {
    const size_t dot = path.find('.');
    field = table->Find(path.substr(0, dot));
    if (field == nullptr || dot == std::string_view::npos) return field;
    table = &field->sub_fields();
    path.remove_prefix(dot + 1);
  }
}

absl::StatusOr<Schema> Schema::Parse(std::string_view text) {
  return ParseNamed(text, "<schema text>");
}

absl::StatusOr<Schema> Schema::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open schema file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read schema file ", path));
  absl::StatusOr<Schema> schema = ParseNamed(text.str(), path);
  if (!schema.ok() && !absl::StartsWith(schema.status().message(), path)) {
    // Definition errors carry no position; say which file they are in.
    return absl::Status(schema.status().code(),
                        absl::StrCat(path, ": ", schema.status().message()));
  }
  return schema;
}

absl::StatusOr<Schema> Schema::FromProto(rapport::v1::Schema proto) {
  auto impl = std::make_shared<Impl>();
  ASSIGN_OR_RETURN(impl->types, internal::Compiler::Compile(proto));
  for (size_t i = 0; i < impl->types.size(); ++i) {
    impl->types_by_name.emplace(impl->types[i].name(), i);
  }
  impl->hash = HashOf(proto);
  impl->proto = std::move(proto);
  return Schema(std::move(impl));
}

const Schema& Schema::DefaultCustomer() {
  // Built once, on first use (thread-safe static initialisation); never destroyed, so it stays
  // valid for code running during static destruction.
  static const Schema* const schema = [] {
    absl::StatusOr<Schema> parsed = Parse(internal::kDefaultCustomerSchemaText);
    if (!parsed.ok()) {
      // Only a broken build gets here: a unit test parses the same embedded text.
      std::fprintf(stderr, "embedded schemas/customer.textproto is invalid: %s\n",
                   std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return std::make_unique<const Schema>(*std::move(parsed)).release();
  }();
  return *schema;
}

const rapport::v1::Schema& Schema::proto() const { return impl_->proto; }
const std::string& Schema::name() const { return impl_->proto.name(); }
uint32_t Schema::version() const { return impl_->proto.version(); }
const std::vector<RecordType>& Schema::types() const { return impl_->types; }
std::string Schema::Hash() const { return impl_->hash; }

const RecordType* Schema::FindType(std::string_view name) const {
  auto it = impl_->types_by_name.find(name);
  return it == impl_->types_by_name.end() ? nullptr : &impl_->types[it->second];
}

const FieldSpec* Schema::FindField(std::string_view type, std::string_view path) const {
  const RecordType* t = FindType(type);
  return t == nullptr ? nullptr : t->FindPath(path);
}

}  // namespace rapport::schema
