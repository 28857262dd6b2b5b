#include "core/store/store_layout.h"

#include "absl/strings/str_cat.h"
#include "core/crdt/record_codec.h"

namespace rapport::store::layout {

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * (7 - i)));
  return out;
}

std::optional<uint64_t> DecodeU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

bool ValidIndexName(std::string_view index) {
  return !index.empty() && index.find('\0') == std::string_view::npos;
}

std::string IndexNumberKey(std::string_view index) {
  std::string out(kMetaIndexPrefix);
  out.append(index);
  return out;
}

std::string IndexPrefix(uint32_t number) {
  std::string out;
  for (; number >= 0x80; number >>= 7) out.push_back(static_cast<char>(number | 0x80));
  out.push_back(static_cast<char>(number));
  return out;
}

std::string EscapeIndexKey(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  for (char c : key) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  out.append("\0\x01", 2);
  return out;
}

std::string PostingKey(uint32_t index_number, std::string_view key, const crdt::RecordId& id) {
  std::string out = IndexPrefix(index_number);
  out.append(EscapeIndexKey(key));
  out.append(id.bytes());
  return out;
}

std::optional<PostingTail> SplitPostingTail(std::string_view tail) {
  PostingTail out;
  size_t i = 0;
  for (;; ++i) {
    if (i + 1 >= tail.size()) return std::nullopt;  // no terminator
    if (tail[i] != '\0') {
      out.key.push_back(tail[i]);
    } else if (tail[i + 1] == '\xff') {
      out.key.push_back('\0');
      ++i;
    } else if (tail[i + 1] == '\x01') {
      break;
    } else {
      return std::nullopt;
    }
  }
  absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(tail.substr(i + 2));
  if (!id.ok()) return std::nullopt;
  out.id = *id;
  return out;
}

void EncodeStoredRecord(const crdt::Record& record, std::string* out) {
  crdt::EncodeRecordTo(record, {.with_seqs = true, .without_id = true}, out);
}

absl::StatusOr<crdt::Record> DecodeStoredRecord(std::string_view id_bytes, std::string_view value) {
  absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(id_bytes);
  absl::StatusOr<crdt::Record> record =
      id.ok() ? crdt::DecodeRecord(value, *id) : absl::StatusOr<crdt::Record>(id.status());
  if (record.ok()) return record;
  return absl::DataLossError(
      absl::StrCat("record ", id.ok() ? id->ToString() : "(malformed id)",
                   " in table 'records' does not decode: ", record.status().message()));
}

std::string EncodePeer(const PeerCheckpoint& checkpoint) {
  return EncodeU64(checkpoint.pull.base) + EncodeU64(checkpoint.push.base) +
         EncodeU64(checkpoint.pull.position) + EncodeU64(checkpoint.push.position);
}

std::optional<PeerCheckpoint> DecodePeer(std::string_view bytes) {
  auto u64 = [&](size_t i) { return *DecodeU64(bytes.substr(8 * i, 8)); };
  // 16 bytes: written before scans were resumable (base == position).
  if (bytes.size() == 16) {
    return PeerCheckpoint{FeedCheckpoint::At(u64(0)), FeedCheckpoint::At(u64(1))};
  }
  if (bytes.size() != 32) return std::nullopt;
  const PeerCheckpoint checkpoint{{u64(0), u64(2)}, {u64(1), u64(3)}};
  if (checkpoint.pull.position < checkpoint.pull.base ||
      checkpoint.push.position < checkpoint.push.base) {
    return std::nullopt;
  }
  return checkpoint;
}

}  // namespace rapport::store::layout
