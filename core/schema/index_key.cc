#include "core/schema/index_key.h"

#include <bit>
#include <cmath>
#include <limits>
#include <variant>

#include "core/schema/utf8.h"

namespace rapport::schema {
namespace {

void AppendBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string Int64Key(int64_t v) {
  std::string out;
  // Flipping the sign bit maps int64 order onto uint64 order.
  AppendBigEndian(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63), 8, &out);
  return out;
}

std::string DateKey(int32_t days) {
  std::string out;
  AppendBigEndian(static_cast<uint32_t>(days) ^ (uint32_t{1} << 31), 4, &out);
  return out;
}

std::string DoubleKey(double v) {
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  if (v == 0) v = 0.0;  // -0.0 == 0.0, so they must share a key
  uint64_t bits = std::bit_cast<uint64_t>(v);
  // Negative numbers: larger magnitude is smaller, so flip every bit; positive: set the sign bit
  // so they sort above all negatives.
  bits = (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
  std::string out;
  AppendBigEndian(bits, 8, &out);
  return out;
}

bool IsDroppedSeparator(char32_t c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\v':
    case '\f':
    case '-':
    case '.':
    case '(':
    case ')':
    case '/':
    case 0x00A0:  // no-break space
    case 0x3000:  // ideographic space
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string FoldForPrefix(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    char32_t c;
    if (!DecodeCodePoint(text, &pos, &c)) {
      out.push_back(text[start]);  // keep malformed bytes: folding must never lose input
      continue;
    }
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII forms
    if (IsDroppedSeparator(c)) continue;
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
      out.push_back(static_cast<char>(c));
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

std::string IndexKey(const crdt::Scalar& value, IndexKind kind) {
  struct Encoder {
    IndexKind kind;
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(const std::string& s) const {
      return kind == IndexKind::kPrefix ? FoldForPrefix(s) : s;
    }
    std::string operator()(int64_t v) const { return Int64Key(v); }
    std::string operator()(double v) const { return DoubleKey(v); }
    std::string operator()(bool v) const { return std::string(1, v ? '\1' : '\0'); }
    std::string operator()(const crdt::Date& d) const { return DateKey(d.days); }
    std::string operator()(const crdt::EnumSymbol& e) const { return e.symbol; }
    std::string operator()(const crdt::Timestamp& t) const { return Int64Key(t.millis); }
  };
  return std::visit(Encoder{kind}, value);
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty() && static_cast<uint8_t>(out.back()) == 0xFF) out.pop_back();
  if (out.empty()) return out;
  out.back() = static_cast<char>(static_cast<uint8_t>(out.back()) + 1);
  return out;
}

}  // namespace rapport::schema
