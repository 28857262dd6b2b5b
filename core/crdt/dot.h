// Identity of one write: which replica made it and at which hybrid-logical-clock stamp.
#pragma once

#include <compare>
#include <cstdint>

namespace rapport::crdt {

// 64-bit random id, created once per store.
using ReplicaId = uint64_t;

// Hybrid logical clock stamp: 48 bits of Unix milliseconds, then a 16-bit counter.
using Hlc = uint64_t;

// Number of a field inside a record, a timeline entry or a map entry (like a protobuf field
// number): the schema maps names to numbers, so renaming a field never rewrites data.
using FieldId = uint32_t;

constexpr Hlc MakeHlc(uint64_t unix_ms, uint16_t counter) { return (unix_ms << 16) | counter; }
constexpr uint64_t HlcMillis(Hlc hlc) { return hlc >> 16; }

// A dot names one write. Dots are totally ordered by (hlc, replica), which is how every replica
// picks the same displayed value among concurrent siblings.
struct Dot {
  ReplicaId replica = 0;
  Hlc hlc = 0;

  friend constexpr bool operator==(const Dot&, const Dot&) = default;
  friend constexpr std::strong_ordering operator<=>(const Dot& a, const Dot& b) {
    if (auto c = a.hlc <=> b.hlc; c != 0) return c;
    return a.replica <=> b.replica;
  }
};

}  // namespace rapport::crdt
