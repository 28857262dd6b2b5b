#include "client-lib/src/convert.h"

#include <charconv>
#include <cstdint>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rapport {

Date Date::FromCivil(int year, unsigned month, unsigned day) {
  return Date{crdt::DateFromCivil(year, month, day).days};
}

std::string ValueToText(const Value& value) {
  return crdt::ScalarToText(internal::ToScalar(value));
}

namespace internal {

crdt::Scalar ToScalar(const Value& value) {
  return std::visit(
      [](const auto& v) -> crdt::Scalar {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Date>) {
          return crdt::Date{v.days};
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return crdt::Timestamp{v.millis};
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          return crdt::EnumSymbol{v.symbol};
        } else {
          return v;
        }
      },
      value);
}

Value FromScalar(const crdt::Scalar& scalar) {
  return std::visit(
      [](const auto& v) -> Value {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, crdt::Date>) {
          return Date{v.days};
        } else if constexpr (std::is_same_v<T, crdt::Timestamp>) {
          return Timestamp{v.millis};
        } else if constexpr (std::is_same_v<T, crdt::EnumSymbol>) {
          return EnumValue{v.symbol};
        } else {
          return v;
        }
      },
      scalar);
}

std::string EntryIdText(const crdt::Dot& dot) {
  return absl::StrFormat("%016x.%016x", dot.replica, dot.hlc);
}

absl::StatusOr<crdt::Dot> ParseEntryId(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("malformed entry id \"",
                                                   absl::string_view(text.data(), text.size()),
                                                   "\" (want 16 hex digits, '.', 16 hex digits)"));
  };
  if (text.size() != 33 || text[16] != '.') return bad();
  crdt::Dot dot;
  const char* begin = text.data();
  auto r1 = std::from_chars(begin, begin + 16, dot.replica, 16);
  auto r2 = std::from_chars(begin + 17, begin + 33, dot.hlc, 16);
  if (r1.ec != std::errc() || r1.ptr != begin + 16 || r2.ec != std::errc() ||
      r2.ptr != begin + 33) {
    return bad();
  }
  return dot;
}

std::string ReplicaIdText(crdt::ReplicaId id) { return absl::StrFormat("%016x", id); }

}  // namespace internal
}  // namespace rapport
