#include "core/crdt/record_id.h"

#include "absl/strings/str_cat.h"

namespace rapport::crdt {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int kTextLength = 26;  // 130 bits: two leading zero bits, then the 128 of the id

int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') return 1;
  if (c == 'O') return 0;
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

// Bit `i` of the 130-bit big-endian number whose low 128 bits are `bytes`.
int BitAt(const std::array<uint8_t, 16>& bytes, int i) {
  const int b = i - 2;
  if (b < 0) return 0;
  return (bytes[b / 8] >> (7 - b % 8)) & 1;
}

}  // namespace

RecordId RecordId::FromParts(uint64_t unix_ms, const std::array<uint8_t, 10>& random) {
  RecordId id;
  for (int i = 0; i < 6; ++i) id.bytes_[i] = static_cast<uint8_t>(unix_ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) id.bytes_[6 + i] = random[i];
  return id;
}

absl::StatusOr<RecordId> RecordId::FromBytes(std::string_view bytes) {
  if (bytes.size() != kBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("record id must be ", kBytes, " bytes, got ", bytes.size()));
  }
  RecordId id;
  for (size_t i = 0; i < kBytes; ++i) id.bytes_[i] = static_cast<uint8_t>(bytes[i]);
  return id;
}

absl::StatusOr<RecordId> RecordId::Parse(std::string_view text) {
  const absl::string_view shown(text.data(), text.size());
  if (text.size() != kTextLength) {
    return absl::InvalidArgumentError(absl::StrCat("record id '", shown, "' must be ", kTextLength,
                                                   " characters of Crockford base32"));
  }
  RecordId id;
  for (int c = 0; c < kTextLength; ++c) {
    const int v = DecodeChar(text[c]);
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("record id '", shown, "' has an invalid character at position ", c));
    }
    if (c == 0 && v > 7) {
      return absl::InvalidArgumentError(
          absl::StrCat("record id '", shown, "' is out of range: it must start with 0-7"));
    }
    for (int k = 0; k < 5; ++k) {
      const int bit = c * 5 + k - 2;
      if (bit < 0 || !((v >> (4 - k)) & 1)) continue;
      id.bytes_[bit / 8] |= static_cast<uint8_t>(1u << (7 - bit % 8));
    }
  }
  return id;
}

std::string RecordId::ToString() const {
  std::string out(kTextLength, '0');
  for (int c = 0; c < kTextLength; ++c) {
    int v = 0;
    for (int k = 0; k < 5; ++k) v = (v << 1) | BitAt(bytes_, c * 5 + k);
    out[c] = kAlphabet[v];
  }
  return out;
}

uint64_t RecordId::unix_ms() const {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return ms;
}

}  // namespace rapport::crdt
