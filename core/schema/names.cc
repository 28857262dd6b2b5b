#include "core/schema/names.h"

#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace rapport::schema::internal {

std::string TypeName(rapport::v1::FieldDef::ScalarType type) {
  if (!rapport::v1::FieldDef::ScalarType_IsValid(type)) return absl::StrCat("type ", type);
  return absl::AsciiStrToLower(rapport::v1::FieldDef::ScalarType_Name(type));
}

std::string_view ScalarTypeName(const crdt::Scalar& value) {
  static constexpr std::string_view kNames[] = {"null", "string", "int64", "double",
                                                "bool", "date",   "enum",  "timestamp"};
  return kNames[value.index()];
}

std::string_view IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kNone:
      return "none";
    case IndexKind::kExact:
      return "EXACT";
    case IndexKind::kPrefix:
      return "PREFIX";
    case IndexKind::kRange:
      return "RANGE";
    case IndexKind::kMembership:
      return "MEMBERSHIP";
  }
  return "unknown";
}

std::string Quote(std::string_view text) {
  constexpr size_t kMaxCodePoints = 64;
  size_t cut = text.size();
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80 && seen++ == kMaxCodePoints) {
      cut = i;
      break;
    }
  }
  std::string out = absl::StrCat("\"", absl::Utf8SafeCEscape(AV(text.substr(0, cut))), "\"");
  if (cut < text.size()) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

std::string Describe(const crdt::Scalar& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return Quote(*s);
  if (const auto* e = std::get_if<crdt::EnumSymbol>(&value)) return Quote(e->symbol);
  if (crdt::IsNull(value)) return "null";
  // crdt::CivilFromDate overflows int32 for day numbers this close to the limit; a hostile
  // delta may carry one, so such dates are shown as day numbers.
  if (const auto* d = std::get_if<crdt::Date>(&value); d != nullptr && d->days > 2000000000) {
    return absl::StrCat("date (day ", d->days, ")");
  }
  return crdt::ScalarToText(value);
}

}  // namespace rapport::schema::internal
