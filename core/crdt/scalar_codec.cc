#include "core/crdt/scalar_codec.h"

#include <climits>
#include <cstring>
#include <string_view>

namespace rapport::crdt::scalar_codec {

static_assert(std::variant_size_v<Scalar> == 8, "a new scalar type needs a kind number");

namespace {

void WriteString(std::string_view s, StringsWritten& strings, wire::WireWriter& out) {
  if (std::optional<uint32_t> index = strings.Find(s)) {
    out.Varint((uint64_t{*index} << 1) | 1);
    return;
  }
  out.Varint(uint64_t{s.size()} << 1);
  out.Raw(s);
}

bool ReadString(StringsRead& strings, wire::WireReader& in, std::string_view* s) {
  uint64_t v;
  if (!in.Varint(&v)) return false;
  if ((v & 1) != 0) {
    if ((v >> 1) >= strings.seen.size()) return false;
    *s = strings.seen[v >> 1];
    return true;
  }
  if (!in.Bytes(v >> 1, s)) return false;
  strings.seen.push_back(*s);
  return true;
}

}  // namespace

std::optional<uint32_t> StringsWritten::Find(std::string_view s) {
  const auto [it, inserted] = index_.try_emplace(absl::string_view(s.data(), s.size()),
                                                 static_cast<uint32_t>(index_.size()));
  if (inserted) return std::nullopt;
  return it->second;
}

void WritePayload(const Scalar& value, uint64_t base_ms, StringsWritten& strings,
                  wire::WireWriter& out) {
  switch (KindOf(value)) {
    case kNull:
      return;
    case kText:
      WriteString(std::get<std::string>(value), strings, out);
      return;
    case kInteger:
      out.Varint(wire::ZigZag(std::get<int64_t>(value)));
      return;
    case kReal: {
      uint64_t bits;
      const double d = std::get<double>(value);
      std::memcpy(&bits, &d, sizeof bits);
      out.Fixed64(bits);
      return;
    }
    case kBool:
      out.Varint(std::get<bool>(value) ? 1 : 0);
      return;
    case kDate:
      out.Varint(wire::ZigZag(std::get<Date>(value).days));
      return;
    case kEnum:
      WriteString(std::get<EnumSymbol>(value).symbol, strings, out);
      return;
    case kTimestamp:
      // Wrapping difference: any int64 round-trips whatever the base.
      out.Varint(wire::ZigZag(static_cast<int64_t>(
          static_cast<uint64_t>(std::get<Timestamp>(value).millis) - base_ms)));
      return;
  }
}

bool ReadPayload(Kind kind, uint64_t base_ms, StringsRead& strings, wire::WireReader& in,
                 Scalar* value) {
  uint64_t v;
  std::string_view s;
  switch (kind) {
    case kNull:
      value->emplace<std::monostate>();
      return true;
    case kText:
      if (!ReadString(strings, in, &s)) return false;
      value->emplace<std::string>(s);
      return true;
    case kInteger:
      if (!in.Varint(&v)) return false;
      value->emplace<int64_t>(wire::UnZigZag(v));
      return true;
    case kReal: {
      if (!in.Fixed64(&v)) return false;
      double d;
      std::memcpy(&d, &v, sizeof d);
      value->emplace<double>(d);
      return true;
    }
    case kBool:
      if (!in.Varint(&v) || v > 1) return false;
      value->emplace<bool>(v == 1);
      return true;
    case kDate: {
      if (!in.Varint(&v)) return false;
      const int64_t days = wire::UnZigZag(v);
      if (days < INT32_MIN || days > INT32_MAX) return false;
      value->emplace<Date>(Date{static_cast<int32_t>(days)});
      return true;
    }
    case kEnum:
      if (!ReadString(strings, in, &s)) return false;
      value->emplace<EnumSymbol>(EnumSymbol{std::string(s)});
      return true;
    case kTimestamp:
      if (!in.Varint(&v)) return false;
      value->emplace<Timestamp>(
          Timestamp{static_cast<int64_t>(static_cast<uint64_t>(wire::UnZigZag(v)) + base_ms)});
      return true;
  }
  return false;
}

bool SkipPayload(Kind kind, wire::WireReader& in) {
  uint64_t v;
  std::string_view s;
  switch (kind) {
    case kNull:
      return true;
    case kText:
    case kEnum:
      return in.Varint(&v) && ((v & 1) != 0 || in.Bytes(v >> 1, &s));
    case kReal:
      return in.Fixed64(&v);
    case kInteger:
    case kBool:
    case kDate:
    case kTimestamp:
      return in.Varint(&v);
  }
  return false;
}

}  // namespace rapport::crdt::scalar_codec
