// The on-disk layout of a record store: table names, meta keys and key/value encodings. The
// byte-level description lives in docs/storage.md; keep the two in step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/crdt/record.h"
#include "core/crdt/record_id.h"
#include "core/store/lmdb_env.h"
#include "core/store/store_types.h"

namespace rapport::store::layout {

inline constexpr char kRecords[] =
    "records";  // record id (16 bytes) -> RecordState with seqs, no id
inline constexpr char kChanges[] = "changes";  // seq (8 bytes BE) -> record id
inline constexpr char kIndexes[] = "indexes";  // index number, key, id -> empty
inline constexpr char kPeers[] = "peers";      // peer id -> pull (8 BE) push (8 BE)
inline constexpr char kMeta[] = "meta";        // key name -> value, see below
// Keyed bytes for layers above the store (sync quarantine, server delivery marks). Added after
// format 1 shipped: Open creates it in an older store (old builds ignore it).
inline constexpr char kAux[] = "aux";
inline constexpr unsigned kMaxTables = 8;  // the six above, with room to grow

// The layout this build reads and writes. Bump it (and teach Open to migrate, or refuse the
// older version clearly) whenever an older build would misread a newer store. 2: record format 2
// (proto/rapport/v1/crdt.proto), postings keyed by index number (docs/storage.md).
inline constexpr uint64_t kFormatVersion = 2;

inline constexpr std::string_view kMagic = "rapport.store";

// Meta keys. Numbers are 8 bytes big-endian.
inline constexpr std::string_view kMetaMagic = "magic";                   // kMagic
inline constexpr std::string_view kMetaFormatVersion = "format_version";  // number
inline constexpr std::string_view kMetaReplicaId = "replica_id";          // number
inline constexpr std::string_view kMetaClock = "clock";                   // number: last HLC stamp
inline constexpr std::string_view kMetaLastSeq = "last_seq";              // number
inline constexpr std::string_view kMetaSchemaHash = "schema_hash";        // text
// Index names are numbered on first use, so a posting starts with one byte instead of the name.
inline constexpr std::string_view kMetaIndexCount = "index_count";  // number: indexes named
inline constexpr std::string_view kMetaIndexPrefix = "index/";      // + name -> its number

// The store's tables, opened once at start-up.
struct Tables {
  Table records, changes, indexes, peers, meta, aux;
};

std::string EncodeU64(uint64_t v);
std::optional<uint64_t> DecodeU64(std::string_view bytes);

// Index names must be non-empty and free of NUL.
bool ValidIndexName(std::string_view index);
// The meta key holding the number of index `index`.
std::string IndexNumberKey(std::string_view index);
// The index number as a varint (self-delimiting): every posting of that index starts with it.
std::string IndexPrefix(uint32_t number);

// Index keys are arbitrary bytes of any length ("a" and "a\0b" may both occur), so a posting
// stores them escaped and terminated: every 0x00 becomes 0x00 0xFF and the key ends with
// 0x00 0x01. This keeps postings in (key, id) order and lets a scan stop at the first key >= hi.
std::string EscapeIndexKey(std::string_view key);
std::string PostingKey(uint32_t index_number, std::string_view key, const crdt::RecordId& id);

// A posting key without its IndexPrefix: the index key (unescaped) and the record id.
struct PostingTail {
  std::string key;
  crdt::RecordId id;
};
std::optional<PostingTail> SplitPostingTail(std::string_view tail);

// A value of the records table: the record with local seqs, without its id (the key has it).
void EncodeStoredRecord(const crdt::Record& record, std::string* out);
// A value of the records table; DataLoss naming the record if it does not decode.
absl::StatusOr<crdt::Record> DecodeStoredRecord(std::string_view id_bytes, std::string_view value);

std::string EncodePeer(const PeerCheckpoint& checkpoint);
std::optional<PeerCheckpoint> DecodePeer(std::string_view bytes);

}  // namespace rapport::store::layout
