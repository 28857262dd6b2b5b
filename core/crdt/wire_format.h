// Protocol-buffer wire primitives for the record codec, which writes and reads
// rapport.v1.RecordState bytes directly instead of going through a generated message tree (the
// tree cost more than the rest of encoding and decoding together: docs/benchmarks.md).
// WireWriter appends to a string; WireReader walks a byte range and never reads past it.
// Not thread-safe (plain values).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rapport::crdt::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (uint64_t{0} - (v & 1)));
}

class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(*out) {}

  void Varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf, n);
  }
  void Tag(uint32_t field, WireType type) { Varint((uint64_t{field} << 3) | type); }
  void Fixed64(uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out_.append(buf, 8);
  }
  void Raw(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }

  // A length-delimited field whose content is written next; End() backfills the length.
  // Content under 128 bytes (most nested messages) needs no move.
  size_t Begin(uint32_t field) {
    Tag(field, kLengthDelimited);
    out_.push_back('\0');
    return out_.size();
  }
  void End(size_t start) {
    const size_t length = out_.size() - start;
    char buf[10];
    size_t n = 0;
    uint64_t v = length;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    if (n > 1) {
      // Not string::insert: GCC 12 warns falsely (-Wrestrict) about its inlined copy.
      out_.resize(out_.size() + n - 1);
      std::memmove(out_.data() + start + n - 1, out_.data() + start, length);
    }
    std::memcpy(out_.data() + start - 1, buf, n);
  }
  // As End(), but drops the field altogether when nothing was written (proto3 omits empty
  // packed columns and empty bytes).
  void EndOrDrop(size_t start, uint32_t field) {
    if (out_.size() == start) {
      out_.erase(start - 1 - TagSize(field));
    } else {
      End(start);
    }
  }
  void Bytes(uint32_t field, std::string_view bytes) {
    Tag(field, kLengthDelimited);
    Varint(bytes.size());
    Raw(bytes);
  }

  size_t size() const { return out_.size(); }

 private:
  static size_t TagSize(uint32_t field) {
    size_t n = 1;
    for (uint64_t v = uint64_t{field} << 3; v >= 0x80; v >>= 7) ++n;
    return n;
  }

  std::string& out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool done() const { return p_ == end_; }
  bool failed() const { return failed_; }

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail();
      const uint8_t b = *p_++;
      result |= uint64_t{b & 0x7Fu} << shift;
      if (b < 0x80) {
        // The tenth byte may carry only the top bit.
        if (shift == 63 && b > 1) return Fail();
        *v = result;
        return true;
      }
    }
    return Fail();
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return Fail();
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= uint64_t{p_[i]} << (8 * i);
    p_ += 8;
    *v = r;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (p_ == end_) return Fail();
    *b = *p_++;
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (static_cast<size_t>(end_ - p_) < n) return Fail();
    *out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool LengthDelimited(std::string_view* out) {
    uint64_t n;
    return Varint(&n) && Bytes(n, out);
  }
  // The next field's number and wire type; false at the end or on a malformed tag.
  bool Next(uint32_t* field, WireType* type) {
    if (done() || failed_) return false;
    uint64_t tag;
    if (!Varint(&tag)) return false;
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1FFFFFFF) return Fail();
    *field = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<WireType>(tag & 7);
    return true;
  }
  // Skips a field of an unknown number, as protobuf parsers do. Groups are refused.
  bool Skip(WireType type) {
    uint64_t v;
    std::string_view s;
    switch (type) {
      case kVarint:
        return Varint(&v);
      case kFixed64:
        return Fixed64(&v);
      case kLengthDelimited:
        return LengthDelimited(&s);
      case kFixed32:
        return Bytes(4, &s);
    }
    return Fail();
  }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
};

}  // namespace rapport::crdt::wire
