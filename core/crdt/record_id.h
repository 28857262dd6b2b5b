// 128-bit record id, time-ordered like a ULID: 48 bits of creation milliseconds, then 80 random
// bits. Printed as 26 characters of Crockford base32. Plain value type.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rapport::crdt {

class RecordId {
 public:
  static constexpr size_t kBytes = 16;

  RecordId() = default;

  // The randomness is passed in so the model stays pure; callers use a real random source.
  static RecordId FromParts(uint64_t unix_ms, const std::array<uint8_t, 10>& random);

  // Parses the 26-character form; case-insensitive, and I/L read as 1 and O as 0 as Crockford
  // specifies.
  static absl::StatusOr<RecordId> Parse(std::string_view text);

  // From the 16 raw bytes (storage and wire form).
  static absl::StatusOr<RecordId> FromBytes(std::string_view bytes);

  std::string ToString() const;
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  uint64_t unix_ms() const;
  bool is_nil() const { return *this == RecordId(); }

  friend bool operator==(const RecordId&, const RecordId&) = default;
  friend auto operator<=>(const RecordId&, const RecordId&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const RecordId& id) {
    return H::combine(std::move(h), id.bytes());
  }

 private:
  std::array<uint8_t, kBytes> bytes_{};
};

}  // namespace rapport::crdt
