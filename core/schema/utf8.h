// Minimal UTF-8 helpers for schema rules: length limits count Unicode code points, not bytes, so a
// 3-character Chinese name (9 bytes) is 3 characters long, as a user counts it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rapport::schema {

// True if `text` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

// Number of code points in well-formed UTF-8 `text` (for malformed input: the number of bytes
// that are not continuation bytes).
size_t CountCodePoints(std::string_view text);

// Decodes the code point starting at `text[*pos]` and advances `*pos` past it. Returns false,
// advancing by one byte, if the bytes there are not a well-formed sequence.
bool DecodeCodePoint(std::string_view text, size_t* pos, char32_t* out);

}  // namespace rapport::schema
