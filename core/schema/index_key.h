// Order-preserving byte encodings of scalars for secondary indexes. For two values a, b of the
// same scalar type, a < b implies IndexKey(a) < IndexKey(b) compared as unsigned bytes (memcmp),
// so the store answers "birthday between X and Y" with one key-range scan. Keys carry no type
// tag: an index belongs to one field, which has one scalar type. Format: docs/schema.md.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/crdt/scalar.h"

namespace rapport::schema {

enum class IndexKind : uint8_t {
  kNone = 0,
  kExact = 1,       // any scalar, encoded as below
  kPrefix = 2,      // strings folded by FoldForPrefix, for "starts with" search
  kRange = 3,       // numbers, dates, timestamps (same encoding as kExact)
  kMembership = 4,  // set elements, as raw bytes
};

// Encodes `value` for an index of `kind`:
//   null       -> ""                          (the indexer never posts nulls)
//   string     -> its UTF-8 bytes; FoldForPrefix(bytes) for kPrefix
//   enum       -> the symbol's bytes
//   bool       -> one byte, 0x00 or 0x01
//   int64      -> 8 bytes big-endian of the value with the sign bit flipped
//   timestamp  -> as int64 (milliseconds)
//   date       -> 4 bytes big-endian of the day number with the sign bit flipped
//   double     -> 8 bytes big-endian of the IEEE-754 bits, all bits flipped if negative, else
//                 only the sign bit; -0.0 is encoded as +0.0 (they are equal values) and every
//                 NaN as the one positive quiet NaN, which sorts after +infinity. (The schema
//                 refuses non-finite values, so NaN only reaches here from a caller's query.)
std::string IndexKey(const crdt::Scalar& value, IndexKind kind);

// Folding applied to PREFIX-indexed text and to the search text alike, so "Li-Na", "li na" and
// "ＬＩＮＡ" all find "Lina": full-width ASCII forms (U+FF01..U+FF5E) become ASCII, ASCII
// letters become lower case, and whitespace (incl. U+3000 and U+00A0) and the separators
// - . ( ) / are dropped, which also makes "+86 138-0013-8000" searchable as "+86138". Every other
// character, Chinese included, is kept as its UTF-8 bytes; malformed bytes are kept as they are.
std::string FoldForPrefix(std::string_view text);

// The smallest key greater than every key that starts with `prefix`: a scan over [prefix,
// PrefixSuccessor(prefix)) yields exactly the keys with that prefix. Returns "" (meaning "no
// upper bound") when no such key exists, i.e. for "" or a prefix of only 0xFF bytes.
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace rapport::schema
