#include "core/store/record_store.h"

#include <lmdb.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/store/lmdb_status.h"
#include "core/string_view_compat.h"

namespace rapport::store {
namespace {

// Doubling from 64 KiB reaches 64 TiB in 30 steps; more means something else is wrong.
constexpr int kMaxResizes = 30;
// ChangesSince reads this many records per read transaction, so no reader lives long and the
// visitor runs with no transaction open.
constexpr size_t kChangesChunk = 256;

}  // namespace

RecordStore::RecordStore(PassKey, std::string dir, LmdbEnv env, layout::Tables tables,
                         StoreOptions options)
    : dir_(std::move(dir)), env_(std::move(env)), tables_(tables), options_(std::move(options)) {}

RecordStore::~RecordStore() = default;

uint64_t RecordStore::RealWallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

absl::Status RecordStore::WithRead(absl::FunctionRef<absl::Status(const ReadTxn&)> fn) const {
  for (int attempt = 0;; ++attempt) {
    {
      absl::ReaderMutexLock lock(&env_mu_);
      absl::StatusOr<ReadTxn> txn = ReadTxn::Begin(env_);
      if (txn.ok()) return fn(*txn);
      if (!IsMdbCode(txn.status(), MDB_MAP_RESIZED) || attempt > 0) return txn.status();
    }
    RETURN_IF_ERROR(ResizeMap(/*adopt=*/true));
  }
}

absl::Status RecordStore::ResizeMap(bool adopt) const {
  absl::MutexLock lock(&env_mu_);
  if (adopt) return env_.SetMapSize(0);
  const size_t now = env_.map_size();
  if (now > std::numeric_limits<size_t>::max() / 2) {
    return absl::ResourceExhaustedError(
        absl::StrCat("store at ", dir_, ": map size ", now, " cannot grow further"));
  }
  return env_.SetMapSize(now * 2);
}

absl::StatusOr<ChangeSet> RecordStore::WriteOnce(
    absl::FunctionRef<absl::Status(WriteTransaction&)> fn) {
  absl::ReaderMutexLock lock(&env_mu_);
  ASSIGN_OR_RETURN(WriteTxn txn, WriteTxn::Begin(env_));
  const uint64_t wall_ms = options_.wall_clock_ms ? options_.wall_clock_ms() : RealWallClockMs();
  WriteTransaction write({txn, tables_, options_.indexes, replica_id_, env_.max_key_size(), rng_},
                         clock_, last_seq(), wall_ms);
  const absl::Status status = fn(write);
  // A full map poisons the LMDB transaction whatever `fn` made of the error; rerun it all.
  if (txn.map_full()) return MdbStatus(MDB_MAP_FULL, "write", dir_);
  RETURN_IF_ERROR(status);
  ASSIGN_OR_RETURN(ChangeSet changes, write.Finish());
  RETURN_IF_ERROR(txn.Commit());
  clock_ = write.clock_last();
  last_seq_.store(changes.last_seq, std::memory_order_release);
  return changes;
}

absl::StatusOr<ChangeSet> RecordStore::Write(
    absl::FunctionRef<absl::Status(WriteTransaction&)> fn) {
  absl::MutexLock lock(&write_mu_);
  for (int resizes = 0;; ++resizes) {
    absl::StatusOr<ChangeSet> changes = WriteOnce(fn);
    if (changes.ok()) {
      if (!changes->changed.empty() || !changes->purged.empty()) Notify(*changes);
      return changes;
    }
    const bool full = IsMdbCode(changes.status(), MDB_MAP_FULL);
    const bool resized = IsMdbCode(changes.status(), MDB_MAP_RESIZED);
    if ((!full && !resized) || resizes == kMaxResizes) return changes.status();
    RETURN_IF_ERROR(ResizeMap(/*adopt=*/resized));
  }
}

void RecordStore::Notify(const ChangeSet& changes) {
  std::vector<std::function<void(const ChangeSet&)>> observers;
  {
    absl::MutexLock lock(&observers_mu_);
    for (const auto& [handle, observer] : observers_) observers.push_back(observer);
  }
  // Called without observers_mu_ so an observer may add or remove observers.
  for (const auto& observer : observers) observer(changes);
}

int RecordStore::AddObserver(std::function<void(const ChangeSet&)> observer) {
  absl::MutexLock lock(&observers_mu_);
  const int handle = next_observer_++;
  observers_.emplace(handle, std::move(observer));
  return handle;
}

void RecordStore::RemoveObserver(int handle) {
  absl::MutexLock lock(&observers_mu_);
  observers_.erase(handle);
}

absl::StatusOr<std::optional<crdt::Record>> RecordStore::Get(const crdt::RecordId& id) const {
  std::optional<crdt::Record> out;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, txn.Get(tables_.records, id.bytes()));
    if (!bytes) return absl::OkStatus();
    ASSIGN_OR_RETURN(out, layout::DecodeStoredRecord(id.bytes(), *bytes));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RecordStore::ChangesSince(
    FeedCheckpoint from, size_t limit,
    absl::FunctionRef<bool(const crdt::Record& delta, uint64_t seq)> visit) const {
  // The chunk read is ours to trim: a record mostly changed after `base` is mostly kept, and
  // copying it into a delta was most of the feed's cost.
  return ScanOwnedFeed(from.position, limit, [&](crdt::Record& record, uint64_t seq) {
    record.TrimToDeltaSince(from.base);
    return visit(record, seq);
  });
}

absl::Status RecordStore::ScanFeed(
    uint64_t after, size_t limit,
    absl::FunctionRef<bool(const crdt::Record& record, uint64_t seq)> visit) const {
  return ScanOwnedFeed(after, limit,
                       [&](crdt::Record& record, uint64_t seq) { return visit(record, seq); });
}

absl::Status RecordStore::ScanOwnedFeed(
    uint64_t after, size_t limit,
    absl::FunctionRef<bool(crdt::Record& record, uint64_t seq)> visit) const {
  uint64_t position = after;
  size_t visited = 0;
  while (visited < limit && position < std::numeric_limits<uint64_t>::max()) {
    const size_t want = std::min(kChangesChunk, limit - visited);
    std::vector<std::pair<crdt::Record, uint64_t>> chunk;
    RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
      return txn.WithCursor(tables_.changes, [&](Cursor& cursor) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<KeyValue> entry,
                         cursor.Seek(layout::EncodeU64(position + 1)));
        while (entry && chunk.size() < want) {
          const std::optional<uint64_t> seq = layout::DecodeU64(entry->key);
          ASSIGN_OR_RETURN(std::optional<std::string_view> bytes,
                           txn.Get(tables_.records, entry->value));
          if (!seq || !bytes) {
            return absl::DataLossError(absl::StrCat(
                "store at ", dir_, ": table 'changes' has an entry (seq ", seq.value_or(0),
                ") naming a record that is missing from table 'records'"));
          }
          ASSIGN_OR_RETURN(crdt::Record record, layout::DecodeStoredRecord(entry->value, *bytes));
          chunk.emplace_back(std::move(record), *seq);
          ASSIGN_OR_RETURN(entry, cursor.Next());
        }
        return absl::OkStatus();
      });
    }));
    for (auto& [record, seq] : chunk) {
      ++visited;
      if (!visit(record, seq)) return absl::OkStatus();
      position = seq;
    }
    if (chunk.size() < want) break;
  }
  return absl::OkStatus();
}

absl::Status RecordStore::ScanFeedIds(
    uint64_t after, size_t limit,
    absl::FunctionRef<bool(const crdt::RecordId& id, uint64_t seq)> visit) const {
  // Ids are small: bigger chunks than ScanFeed's, still one short read transaction each.
  constexpr size_t kIdChunk = 4096;
  uint64_t position = after;
  size_t visited = 0;
  while (visited < limit && position < std::numeric_limits<uint64_t>::max()) {
    const size_t want = std::min(kIdChunk, limit - visited);
    std::vector<std::pair<crdt::RecordId, uint64_t>> chunk;
    chunk.reserve(want);
    RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
      return txn.WithCursor(tables_.changes, [&](Cursor& cursor) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<KeyValue> entry,
                         cursor.Seek(layout::EncodeU64(position + 1)));
        while (entry && chunk.size() < want) {
          const std::optional<uint64_t> seq = layout::DecodeU64(entry->key);
          absl::StatusOr<crdt::RecordId> id = crdt::RecordId::FromBytes(entry->value);
          if (!seq || !id.ok()) {
            return absl::DataLossError(
                absl::StrCat("store at ", dir_, ": table 'changes' has a malformed entry"));
          }
          chunk.emplace_back(*id, *seq);
          ASSIGN_OR_RETURN(entry, cursor.Next());
        }
        return absl::OkStatus();
      });
    }));
    for (const auto& [id, seq] : chunk) {
      ++visited;
      if (!visit(id, seq)) return absl::OkStatus();
      position = seq;
    }
    if (chunk.size() < want) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<QueryPage> RecordStore::Scan(const std::string& index, const std::string& lo,
                                            const std::string& hi, size_t limit,
                                            const std::string& resume_after) const {
  if (!layout::ValidIndexName(index)) {
    return absl::InvalidArgumentError(
        absl::StrCat("index name '", index, "' must be non-empty and contain no NUL"));
  }
  if (limit == 0) return absl::InvalidArgumentError("scan limit must be at least 1");
  if (!resume_after.empty() && !layout::SplitPostingTail(resume_after)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed scan cursor for index '", index, "'"));
  }
  QueryPage page;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string_view> number_bytes,
                     txn.Get(tables_.meta, layout::IndexNumberKey(index)));
    if (!number_bytes) return absl::OkStatus();  // nothing was ever posted to this index
    const std::optional<uint64_t> number = layout::DecodeU64(*number_bytes);
    if (!number || *number == 0 || *number > UINT32_MAX) {
      return absl::DataLossError(
          absl::StrCat("store at ", dir_, ": index '", index, "' has a malformed number"));
    }
    const std::string prefix = layout::IndexPrefix(static_cast<uint32_t>(*number));
    return txn.WithCursor(tables_.indexes, [&](Cursor& cursor) -> absl::Status {
      // Without its terminator the escaped `lo` sorts before every posting of a key >= lo.
      std::string start = prefix;
      if (resume_after.empty()) {
        const std::string escaped = layout::EscapeIndexKey(lo);
        start.append(escaped, 0, escaped.size() - 2);
      } else {
        start.append(resume_after);
      }
      ASSIGN_OR_RETURN(std::optional<KeyValue> entry, cursor.Seek(start));
      if (!resume_after.empty() && entry && entry->key == start) {
        ASSIGN_OR_RETURN(entry, cursor.Next());
      }
      std::string_view last_tail;
      while (entry && entry->key.starts_with(prefix)) {
        const std::string_view tail = entry->key.substr(prefix.size());
        const std::optional<layout::PostingTail> posting = layout::SplitPostingTail(tail);
        if (!posting) {
          return absl::DataLossError(
              absl::StrCat("store at ", dir_, ": index '", index, "' has a malformed posting"));
        }
        if (!hi.empty() && posting->key >= hi) break;
        if (page.ids.size() == limit) {
          page.next_cursor = std::string(last_tail);
          break;
        }
        page.ids.push_back(posting->id);
        last_tail = tail;
        ASSIGN_OR_RETURN(entry, cursor.Next());
      }
      return absl::OkStatus();
    });
  }));
  return page;
}

absl::StatusOr<PeerCheckpoint> RecordStore::GetPeer(const std::string& peer) const {
  PeerCheckpoint out;
  if (peer.empty()) return out;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, txn.Get(tables_.peers, peer));
    if (!bytes) return absl::OkStatus();
    std::optional<PeerCheckpoint> checkpoint = layout::DecodePeer(*bytes);
    if (!checkpoint) {
      return absl::DataLossError(
          absl::StrCat("peer '", peer, "' in table 'peers' has a malformed checkpoint"));
    }
    out = *checkpoint;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, PeerCheckpoint>>> RecordStore::Peers(
    const std::string& prefix) const {
  std::vector<std::pair<std::string, PeerCheckpoint>> out;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    return txn.WithCursor(tables_.peers, [&](Cursor& cursor) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<KeyValue> entry,
                       prefix.empty() ? cursor.First() : cursor.Seek(prefix));
      for (; entry && entry->key.substr(0, prefix.size()) == prefix;) {
        std::optional<PeerCheckpoint> checkpoint = layout::DecodePeer(entry->value);
        if (!checkpoint) {
          return absl::DataLossError(absl::StrCat("peer '", AV(entry->key),
                                                  "' in table 'peers' has a malformed checkpoint"));
        }
        out.emplace_back(std::string(entry->key), *checkpoint);
        ASSIGN_OR_RETURN(entry, cursor.Next());
      }
      return absl::OkStatus();
    });
  }));
  return out;
}

absl::StatusOr<std::optional<std::string>> RecordStore::GetAux(std::string_view key) const {
  std::optional<std::string> out;
  if (key.empty()) return out;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string_view> bytes, txn.Get(tables_.aux, key));
    if (bytes) out = std::string(*bytes);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status RecordStore::ScanAux(
    std::string_view prefix,
    absl::FunctionRef<bool(std::string_view key, std::string_view value)> visit) const {
  return WithRead([&](const ReadTxn& txn) -> absl::Status {
    return txn.WithCursor(tables_.aux, [&](Cursor& cursor) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<KeyValue> entry,
                       prefix.empty() ? cursor.First() : cursor.Seek(prefix));
      while (entry && entry->key.substr(0, prefix.size()) == prefix) {
        if (!visit(entry->key, entry->value)) break;
        ASSIGN_OR_RETURN(entry, cursor.Next());
      }
      return absl::OkStatus();
    });
  });
}

absl::StatusOr<StoreStats> RecordStore::Stats() const {
  StoreStats stats;
  RETURN_IF_ERROR(WithRead([&](const ReadTxn& txn) -> absl::Status {
    const std::pair<const Table*, uint64_t*> counts[] = {
        {&tables_.records, &stats.records},
        {&tables_.changes, &stats.changes},
        {&tables_.indexes, &stats.postings},
        {&tables_.peers, &stats.peers},
    };
    for (const auto& [table, count] : counts) {
      ASSIGN_OR_RETURN(MDB_stat stat, txn.Stat(*table));
      *count = stat.ms_entries;
    }
    stats.map_bytes = env_.map_size();
    stats.used_bytes = env_.used_bytes();
    return absl::OkStatus();
  }));
  stats.last_seq = last_seq();
  return stats;
}

absl::Status RecordStore::Backup(const std::string& path) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create backup directory ", path, ": ", ec.message()));
  }
  if (fs::exists(fs::path(path) / "data.mdb", ec)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "backup directory ", path, " already holds a data.mdb; refusing to overwrite"));
  }
  absl::ReaderMutexLock lock(&env_mu_);
  return env_.CopyCompact(path);
}

}  // namespace rapport::store
